#!/usr/bin/env bash
# HTTP benchmark on loopback with wrk: chainnode against the tutorial's Python/Flask node
# (tests/foreign/flask_node/node_server.py, served by `flask run` as the tutorial runs it), in one
# run, on the same chain and with the same wrk settings:
# - GET /chain on chains of each length in CHAIN_LENGTHS (both servers hold the very same blocks:
#   chainnode mines them, then each Flask node takes them through POST /add_block);
# - POST /new_transaction, every post unique (a loop calls chainnode's /mine back to back meanwhile
#   so its bounded pool keeps room; the Flask node's pool has no bound). Posts refused because the
#   pool is full are counted (non-2xx) and left out of 2xx/s.
# Every case runs at each connection count in CONNECTIONS, one server at a time, the two servers
# interleaved (which goes first alternates), ROUNDS times; the best round by requests/s is kept,
# with its latency percentiles. Server CPU per request (user + system time of the server process
# over the run, divided by requests served) is kept beside it: the machine is shared, and CPU time
# per request moves less with the load than requests/s. Prints every run and appends one row per
# case to the Markdown table at the end of REPORT (default reports/bench/http.md), with the load.
#
# Usage: scripts/http_bench.sh [CHAINNODE] [REPORT]
# Environment: DURATION=5s ROUNDS=3 CONNECTIONS="4 32" CHAIN_LENGTHS="10 100" POSTS_PER_BLOCK=10
#              THREADS=2 (wrk's) MINE_THREADS=1
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
chainnode="${1:-$root/build/apps/chainnode}"
report="${2:-$root/reports/bench/http.md}"
duration="${DURATION:-5s}"
rounds="${ROUNDS:-3}"
connection_counts="${CONNECTIONS:-4 32}"
chain_lengths="${CHAIN_LENGTHS:-10 100}"
posts_per_block="${POSTS_PER_BLOCK:-10}"
threads="${THREADS:-2}"
mine_threads="${MINE_THREADS:-1}"
flask_dir="$root/tests/foreign/flask_node"

if ! command -v wrk >/dev/null; then
  echo "http_bench: wrk is not installed (apt-get install wrk); skipping" >&2
  exit 0
fi
if ! python3 -c 'import flask, requests' 2>/dev/null; then
  echo "http_bench: the Flask node needs python3 with flask and requests (apt-get install" \
    "python3-flask python3-requests); skipping" >&2
  exit 0
fi
[[ -x "$chainnode" ]] || { echo "http_bench: no chainnode at $chainnode (build it first)" >&2; exit 2; }

workdir="$(mktemp -d)"
pids=()
miner_pid=""
cleanup() {
  [[ -n "$miner_pid" ]] && kill "$miner_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$workdir"
}
trap cleanup EXIT

# Loopback only, whatever proxy the environment names.
get() { curl -fsS --noproxy '*' "$@"; }

wait_until_serving() {  # url pid log
  for _ in $(seq 200); do
    get -o /dev/null "$1/chain" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 1; }
    sleep 0.05
  done
  echo "http_bench: $1 did not start serving" >&2
  exit 1
}

# Starts a chainnode; sets `url` and `pid`. Warnings only: no line per request.
start_chainnode() {  # name
  "$chainnode" --host 127.0.0.1 --port 0 --port-file "$workdir/$1.port" --difficulty 2 \
    --mine-threads "$mine_threads" --log-level warn >"$workdir/$1.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do [[ -s "$workdir/$1.port" ]] && break; sleep 0.05; done
  url="http://127.0.0.1:$(cat "$workdir/$1.port" 2>/dev/null)"
  wait_until_serving "$url" "$pid" "$workdir/$1.log"
}

# Starts a Flask node as the tutorial runs it (flask run: threaded, a log line per request, to a
# file here); sets `url` and `pid`.
start_flask() {  # name
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  (cd "$flask_dir" && FLASK_APP=node_server.py exec python3 -m flask run --host 127.0.0.1 \
    --port "$port" >"$workdir/$1.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  url="http://127.0.0.1:$port"
  wait_until_serving "$url" "$pid" "$workdir/$1.log"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# One wrk run against one server; prints its RESULT fields plus cpu_us (server CPU per request).
measure() {  # pid url path [HTTP_BENCH_POST=1]
  local pid="$1" target="$2$3" before after line requests
  before="$(cpu_ticks "$pid")"
  line="$(env ${4:-} wrk --threads "$threads" --connections "$connections" --duration "$duration" \
    --script "$here/http_bench.lua" "$target" | grep '^RESULT')"
  after="$(cpu_ticks "$pid")"
  line="${line#RESULT }"
  requests="$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$line")"
  echo "$line cpu_us=$(awk -v t="$((after - before))" -v n="$requests" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')"
}

field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

declare -A best  # "case|server" -> the RESULT line of the best round
keep_best() {  # key line
  if [[ -z "${best[$1]:-}" ]] ||
    awk -v a="$(field "$2" rps)" -v b="$(field "${best[$1]}" rps)" 'BEGIN { exit !(a > b) }'; then
    best[$1]="$2"
  fi
}

# The servers: per chain length a chainnode and a Flask node holding the same blocks; the POSTs go
# to a fresh chainnode each run (its pool empty, its miner loop moving only its own chain) and to the
# first Flask node.
declare -A node_url node_pid flask_url flask_pid chain_bytes
for length in $chain_lengths; do
  start_chainnode "node$length"
  node_url[$length]="$url"
  node_pid[$length]="$pid"
  start_flask "flask$length"
  flask_url[$length]="$url"
  flask_pid[$length]="$pid"
  got="$(python3 "$here/http_bench_seed.py" "${node_url[$length]}" "$((length - 1))" \
    "$posts_per_block" "${flask_url[$length]}")"
  [[ "$got" == "$length" ]] || { echo "http_bench: seeded a chain of $got blocks, not $length" >&2; exit 1; }
  chain_bytes[$length]="$(get "${node_url[$length]}/chain" | wc -c) / $(get "${flask_url[$length]}/chain" | wc -c)"
done
first_length="${chain_lengths%% *}"

load="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M')"
for round in $(seq "$rounds"); do
  for connections in $connection_counts; do
    for length in $chain_lengths; do
      key="GET /chain, $length blocks (${chain_bytes[$length]} bytes)|$connections"
      order=(node flask)
      ((round % 2 == 0)) && order=(flask node)
      for server in "${order[@]}"; do
        if [[ "$server" == node ]]; then
          line="$(measure "${node_pid[$length]}" "${node_url[$length]}" /chain)"
        else
          line="$(measure "${flask_pid[$length]}" "${flask_url[$length]}" /chain)"
        fi
        echo "round $round, $connections connections, ${key%%|*}, $server: $line"
        keep_best "$key|$server" "$line"
      done
    done
    key="POST /new_transaction|$connections"
    order=(node flask)
    ((round % 2 == 0)) && order=(flask node)
    for server in "${order[@]}"; do
      if [[ "$server" == node ]]; then
        start_chainnode "post$round-$connections"
        post_url="$url"
        post_pid="$pid"
        ( while kill -0 "$post_pid" 2>/dev/null; do get "$post_url/mine" >/dev/null 2>&1 || true; done ) &
        miner_pid=$!
        line="$(measure "$post_pid" "$post_url" /new_transaction HTTP_BENCH_POST=1)"
        kill "$miner_pid" 2>/dev/null || true
        wait "$miner_pid" 2>/dev/null || true
        miner_pid=""
        kill "$post_pid" 2>/dev/null && wait "$post_pid" 2>/dev/null || true
      else
        line="$(measure "${flask_pid[$first_length]}" "${flask_url[$first_length]}" \
          /new_transaction HTTP_BENCH_POST=1)"
      fi
      echo "round $round, $connections connections, ${key%%|*}, $server: $line"
      keep_best "$key|$server" "$line"
    done
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf (b > 0 ? "%.1f" : "-"), a / b }'; }
requests=()
for length in $chain_lengths; do requests+=("GET /chain, $length blocks (${chain_bytes[$length]} bytes)"); done
requests+=("POST /new_transaction")
rows=""
for connections in $connection_counts; do
  for request in "${requests[@]}"; do
    ours="${best[$request|$connections|node]}"
    theirs="${best[$request|$connections|flask]}"
    rows+="| $started | $request | $connections | $duration x $rounds | $(field "$ours" rps) | $(field "$ours" ok_rps) | $(field "$theirs" ok_rps) | **$(ratio "$(field "$ours" ok_rps)" "$(field "$theirs" ok_rps)")** | $(field "$ours" p50_ms) | $(field "$ours" p99_ms) | $(field "$theirs" p50_ms) | $(field "$theirs" p99_ms) | $(ratio "$(field "$theirs" p50_ms)" "$(field "$ours" p50_ms)") | $(ratio "$(field "$theirs" p99_ms)" "$(field "$ours" p99_ms)") | $(field "$ours" cpu_us) | $(field "$theirs" cpu_us) | $(field "$ours" non2xx) / $(field "$theirs" non2xx) | $(field "$ours" socket_errors) / $(field "$theirs" socket_errors) | $load → $load_after |"$'\n'
  done
done

mkdir -p "$(dirname "$report")"
table_head='| date (UTC) | request | connections | duration x rounds | ours requests/s | ours 2xx/s | Flask 2xx/s | ours / Flask (2xx/s) | ours p50 | ours p99 | Flask p50 | Flask p99 | p50 Flask / ours | p99 Flask / ours | ours CPU µs/request | Flask CPU µs/request | non-2xx ours / Flask | socket errors ours / Flask | load before → after |'
if ! grep -qF "$table_head" "$report" 2>/dev/null; then
  printf '# HTTP benchmark (scripts/http_bench.sh)\n\n%s\n|%s\n' "$table_head" \
    "$(printf -- '---|%.0s' $(seq 19))" >>"$report"
fi
printf '%s' "$rows" >>"$report"
printf '%s' "$rows"
echo "appended to $report"
