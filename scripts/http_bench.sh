#!/usr/bin/env bash
# HTTP benchmark of a live chainnode on loopback with wrk: GET /chain and POST /new_transaction
# (every post unique). Prints requests/s and latency percentiles and appends them, with the date
# and machine load, to a Markdown table (default reports/bench/http.md).
#
# Usage: scripts/http_bench.sh [CHAINNODE] [REPORT]     (environment: DURATION=10s CONNECTIONS=32
#        THREADS=2 MINE_THREADS=1)
# A background loop calls /mine back to back during the POST run so the pool (10,000 posts) keeps
# draining, as on a node that mines; posts refused once the pool is full are counted (non-2xx) and
# left out of the 2xx/s column.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
chainnode="${1:-$root/build/apps/chainnode}"
report="${2:-$root/reports/bench/http.md}"
duration="${DURATION:-10s}"
connections="${CONNECTIONS:-32}"
threads="${THREADS:-2}"
mine_threads="${MINE_THREADS:-1}"

if ! command -v wrk >/dev/null; then
  echo "http_bench: wrk is not installed (apt-get install wrk); skipping" >&2
  exit 0
fi
[[ -x "$chainnode" ]] || { echo "http_bench: no chainnode at $chainnode (build it first)" >&2; exit 2; }

workdir="$(mktemp -d)"
node_pid=""
miner_pid=""
cleanup() {
  [[ -n "$miner_pid" ]] && kill "$miner_pid" 2>/dev/null || true
  [[ -n "$node_pid" ]] && kill "$node_pid" 2>/dev/null && wait "$node_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

# Any free port; warnings only, so per-request logging does not slow the node down.
"$chainnode" --host 127.0.0.1 --port 0 --difficulty 2 --mine-threads "$mine_threads" \
  --log-level warn >"$workdir/node.log" 2>&1 &
node_pid=$!
port=""
for _ in $(seq 100); do
  port="$(ss -ltnpH 2>/dev/null | awk -v pid="pid=$node_pid," 'index($0, pid) { n = split($4, a, ":"); print a[n]; exit }')"
  [[ -n "$port" ]] && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$workdir/node.log" >&2; exit 1; }
  sleep 0.05
done
[[ -n "$port" ]] || { echo "http_bench: chainnode did not start listening" >&2; exit 1; }
url="http://127.0.0.1:$port"

# A chain worth fetching: 20 blocks of 10 posts each.
for block in $(seq 20); do
  for post in $(seq 10); do
    curl -fsS -X POST -H 'Content-Type: application/json' \
      -d "{\"author\": \"seed\", \"content\": \"block $block post $post\"}" "$url/new_transaction" >/dev/null
  done
  curl -fsS "$url/mine" >/dev/null
done
chain_bytes="$(curl -fsS "$url/chain" | wc -c)"

load="$(cut -d' ' -f1-3 /proc/loadavg)"
run() {  # name, then wrk arguments
  local name="$1"
  shift
  local line
  line="$(wrk --threads "$threads" --connections "$connections" --duration "$duration" \
    --script "$here/http_bench.lua" "$@" | grep '^RESULT')"
  echo "$name: ${line#RESULT }"
  # RESULT key=value ... -> table row
  eval "local ${line#RESULT }"
  rows+="| $(date -u '+%Y-%m-%d %H:%M') | $name | $connections | $duration | $rps | $ok_rps | $p50_ms | $p90_ms | $p99_ms | $p999_ms | $non2xx | $socket_errors | $load |"$'\n'
}
rows=""
run "GET /chain ($chain_bytes bytes)" "$url/chain"
( while kill -0 "$node_pid" 2>/dev/null; do curl -fsS "$url/mine" >/dev/null || true; done ) &
miner_pid=$!
HTTP_BENCH_POST=1 run "POST /new_transaction" "$url/new_transaction"

mkdir -p "$(dirname "$report")"
if [[ ! -s "$report" ]]; then
  cat >"$report" <<'HEADER'
# HTTP benchmark (scripts/http_bench.sh)

`chainnode` on loopback, difficulty 2, driven by `wrk` (2 threads unless THREADS is set) with a 20-block chain; POSTs are
all different, and a loop calls `/mine` back to back meanwhile so the pool keeps room; what the
node still refuses (full pool) is counted as non-2xx and left out of 2xx/s. Latencies in ms. Each run appends its rows; load is the 1/5/15-minute load average when the run started (the
machine has 2 cores shared with other work).

| date (UTC) | request | connections | duration | requests/s | 2xx/s | p50 | p90 | p99 | p99.9 | non-2xx | socket errors | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
HEADER
fi
printf '%s' "$rows" >>"$report"
echo "appended to $report"
