#!/usr/bin/env bash
# User-space instructions a chainnode spends per GET /chain, counted by callgrind: a figure the
# machine's load does not move (requests/s on a shared machine does), to compare builds of the
# server step by step. For each CHAINNODE given: starts it under callgrind, gives it a chain of
# BLOCKS blocks (POSTS posts each), then counts only the REQUESTS keep-alive GET /chain that follow
# (curl, one connection). The kernel's share (the socket calls) is not counted.
#
# Usage: scripts/http_instructions.sh CHAINNODE [CHAINNODE...]
# Environment: BLOCKS=10 POSTS=10 REQUESTS=1000. Needs valgrind (apt-get install valgrind).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
blocks="${BLOCKS:-10}"
posts="${POSTS:-10}"
requests="${REQUESTS:-1000}"
(($# > 0)) || { echo "usage: $0 CHAINNODE [CHAINNODE...]" >&2; exit 2; }
command -v callgrind_control >/dev/null || { echo "http_instructions: needs valgrind" >&2; exit 2; }

workdir="$(mktemp -d)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

for chainnode in "$@"; do
  rm -f "$workdir"/port "$workdir"/callgrind.*
  valgrind --tool=callgrind --callgrind-out-file="$workdir/callgrind.%p" "$chainnode" \
    --host 127.0.0.1 --port 0 --port-file "$workdir/port" --difficulty 2 --log-level warn \
    >"$workdir/node.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [[ -s "$workdir/port" ]] && break; sleep 0.1; done
  [[ -s "$workdir/port" ]] || { cat "$workdir/node.log" >&2; exit 1; }
  url="http://127.0.0.1:$(cat "$workdir/port")"
  python3 "$here/http_bench_seed.py" "$url" "$((blocks - 1))" "$posts" >/dev/null
  curl -fsS --noproxy '*' "$url/chain" "$url/chain" >/dev/null  # the answer is built and kept
  callgrind_control --zero "$pid" >/dev/null 2>&1
  urls=()
  for _ in $(seq "$requests"); do urls+=("$url/chain"); done
  curl -fsS --noproxy '*' "${urls[@]}" >/dev/null
  callgrind_control --dump "$pid" >/dev/null 2>&1
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  # The dump after --zero is the first numbered part.
  total="$(awk '/^(summary|totals):/ { print $2; exit }' "$workdir"/callgrind.*.1)"
  echo "$chainnode: $((total / requests)) instructions per GET /chain ($blocks blocks, $requests requests)"
done
