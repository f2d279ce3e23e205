#!/usr/bin/env bash
# The README's curl walkthrough on a three-node network of real chainnode processes: b and c
# register with a, posts and mining on two nodes, then every node's /chain must be the same.
# Exits non-zero, with the nodes' logs, on any wrong answer or mismatch.
# Usage: tests/walkthrough.sh path/to/chainnode
set -euo pipefail
chainnode=${1:?usage: walkthrough.sh path/to/chainnode}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "walkthrough: $*" >&2
  for log in "$work"/*.log; do
    echo "--- $log" >&2
    tail -n 20 "$log" >&2
  done
  exit 1
}

# Each node on a port the system picks (--port-file tells which), state in its own --data.
for name in a b c; do
  "$chainnode" --port 0 --port-file "$work/$name.port" --data "$work/$name" >"$work/$name.log" 2>&1 &
  pids+=($!)
done
for name in a b c; do
  for _ in $(seq 100); do [ -s "$work/$name.port" ] && break; sleep 0.1; done
  [ -s "$work/$name.port" ] || fail "node $name did not start"
done
url() { echo "http://127.0.0.1:$(cat "$work/$1.port")"; }

# request EXPECTED_STATUS METHOD URL [JSON_BODY]: prints the answer's body.
request() {
  local expected=$1 method=$2 target=$3
  local args=(-sS --max-time 10 -o "$work/body" -w '%{http_code}' -X "$method")
  if [ $# -ge 4 ]; then args+=(-H 'Content-Type: application/json' -d "$4"); fi
  local status
  status=$(curl "${args[@]}" "$target") || fail "$method $target: no answer"
  [ "$status" = "$expected" ] || fail "$method $target answered $status, not $expected: $(cat "$work/body")"
  cat "$work/body"
}
expect_body() {  # WANTED ACTUAL
  [ "$2" = "$1" ] || fail "expected '$1', got '$2'"
}
# The chain of a /chain body ({"length":N,"tip":"...","chain":[...],"peers":[...]}), without the
# peers, which differ from node to node.
chain_of() { request 200 GET "$(url "$1")/chain" | sed 's/,"peers":.*$//'; }

expect_body "Registration successful" \
  "$(request 200 POST "$(url b)/register_with" "{\"node_address\": \"$(url a)\"}")"
expect_body "Registration successful" \
  "$(request 200 POST "$(url c)/register_with" "{\"node_address\": \"$(url a)/\"}")"
expect_body "Success" "$(request 201 POST "$(url a)/new_transaction" '{"author": "alice", "content": "hi"}')"
expect_body "Block #1 is mined." "$(request 200 GET "$(url a)/mine")"
expect_body "Success" "$(request 201 POST "$(url b)/new_transaction" '{"author": "bob", "content": "yo"}')"
for _ in $(seq 100); do [ "$(chain_of b)" = "$(chain_of a)" ] && break; sleep 0.1; done
expect_body "Block #2 is mined." "$(request 200 GET "$(url b)/mine")"

# Every node ends on the same chain, holding both posts.
converged=no
for _ in $(seq 100); do
  if [ "$(chain_of a)" = "$(chain_of b)" ] && [ "$(chain_of a)" = "$(chain_of c)" ]; then
    converged=yes
    break
  fi
  sleep 0.1
done
[ $converged = yes ] || fail "chains differ: a=$(chain_of a) b=$(chain_of b) c=$(chain_of c)"
chain=$(chain_of c)
case "$chain" in *'"author":"alice"'*'"author":"bob"'*) ;; *) fail "posts missing from $chain" ;; esac
for name in a b c; do
  length=$(request 200 GET "$(url "$name")/chain" | grep -o '"length":[0-9]*')
  expect_body '"length":3' "$length"
  request 200 GET "$(url "$name")/metrics" | grep -x 'yournet_height 2' >/dev/null || fail "node $name: /metrics height"
done
tip=$(request 200 GET "$(url a)/status" | grep -o '"tip":"[0-9a-f]*"' | cut -d'"' -f4)
request 200 GET "$(url c)/block/$tip" | grep "\"hash\":\"$tip\"" >/dev/null || fail "node c: /block/$tip"
request 404 GET "$(url c)/block/$(printf '0%.0s' $(seq 64))" >/dev/null
echo "walkthrough: 3 nodes agree on a chain of 3 blocks"
