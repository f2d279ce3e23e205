#!/bin/sh
# The netsim command line, run as a user would: exit codes, outputs, sweep listing, bad options,
# live mode. Usage: netsim_cli_test.sh CASE NETSIM SOURCE_DIR WORK_DIR
set -u
case_name=$1 netsim=$2 src=$3 work=$4/$1
data=$src/tests/apps/data
rm -rf "$work" && mkdir -p "$work" || exit 99

fail() { echo "FAILED: $*"; echo "--- stdout"; cat "$work/stdout" 2>/dev/null; echo "--- stderr"; cat "$work/stderr" 2>/dev/null; exit 1; }
# run EXPECTED_EXIT ARGS...: runs netsim with stdout/stderr captured, checks the exit code.
run() {
  expected=$1; shift
  "$netsim" "$@" >"$work/stdout" 2>"$work/stderr"
  code=$?
  [ "$code" -eq "$expected" ] || fail "netsim $* exited $code, wanted $expected"
}
has() { grep -q -- "$2" "$1" || fail "$1 lacks '$2'"; }
lacks() { ! grep -q -- "$2" "$1" || fail "$1 has '$2'"; }
summary_field() { sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1"; }

case $case_name in
fork_outputs)
  run 0 "$src/scenarios/fork.json" --check-determinism --out "$work/out"
  head -n 1 "$work/stdout" | grep -q "seed 42 (replay: netsim .*fork.json --seed 42)" || fail "seed not printed first"
  has "$work/stdout" "^PASS fork seed 42"
  for f in trace.jsonl summary.json report.html; do [ -s "$work/out/$f" ] || fail "no $f"; done
  # The trace file is exactly what was hashed.
  file_hash=$(sha256sum "$work/out/trace.jsonl" | cut -d' ' -f1)
  [ "$file_hash" = "$(summary_field "$work/out/summary.json" trace_sha256)" ] || fail "trace.jsonl hash differs from summary"
  has "$work/out/report.html" "class='stale'"
  has "$work/out/report.html" "class='node-line'"
  has "$work/out/report.html" "Block propagation"
  # stderr is not a terminal here: no progress line.
  if grep -q "events/s" "$work/stderr" || grep -q "$(printf '\r')" "$work/stderr"; then fail "progress line without a TTY"; fi
  ;;
quiet_prints_only_the_verdict)
  run 0 "$src/scenarios/fork.json" --quiet --out "$work/out"
  [ "$(wc -l <"$work/stdout")" -eq 1 ] || fail "more than the verdict line"
  [ ! -s "$work/stderr" ] || fail "stderr not empty"
  ;;
failing_expectation_exits_1)
  run 1 "$data/fails_min_height.json" --out "$work/out"
  has "$work/stdout" "^FAIL fails_min_height seed 7"
  has "$work/stdout" "failed min_height: height 1, wanted at least 5"
  has "$work/stdout" "replay: netsim .*fails_min_height.json --seed 7"
  has "$work/out/report.html" "class='fail'>fail"
  ;;
malformed_scenario_exits_2)
  run 2 "$data/malformed_nodes.json" --out "$work/out"
  has "$work/stderr" 'malformed_nodes.json: \$.nodes: must be'
  run 2 "$work/no_such_file.json"
  has "$work/stderr" "cannot read"
  ;;
scenario_limits_exit_2)
  # One past each named limit of the loader: exit 2, naming the field and the limit.
  python3 -c '
import json, sys
base = {"name": "big", "nodes": 2, "stop_at_s": 30, "timeline": []}
json.dump(dict(base, timeline=[{"at_s": 1, "do": "heal"}] * 100001), open(sys.argv[1], "w"))
json.dump(dict(base, stop_at_s=1e9), open(sys.argv[2], "w"))
json.dump(dict(base, nodes=100001, topology="ring"), open(sys.argv[3], "w"))
' "$work/actions.json" "$work/duration.json" "$work/nodes.json" || exit 99
  run 2 "$work/actions.json" --out "$work/out"
  has "$work/stderr" 'actions.json: \$.timeline: 100001 actions is past the scenario limit max_actions (100000)'
  run 2 "$work/duration.json" --out "$work/out"
  has "$work/stderr" 'past the scenario limit max_duration_s'
  run 2 "$work/nodes.json" --out "$work/out"
  has "$work/stderr" 'nodes.json: \$.nodes: 100001 nodes is past the scenario limit max_nodes'
  run 2 shrink "$work/nodes.json" --out "$work/out"
  has "$work/stderr" 'past the scenario limit max_nodes'
  # A file past max_file_bytes is refused before it is read (a sparse file: no disk used).
  truncate -s 65M "$work/huge.json" || exit 99
  run 2 "$work/huge.json" --out "$work/out"
  has "$work/stderr" 'huge.json: 68157440 bytes is past the scenario limit max_file_bytes (67108864)'
  ;;
bad_usage_exits_2)
  for seeds in 5..1 abc 1.. ..4 1..x -1..3 1...3; do
    run 2 "$src/scenarios/fork.json" --seeds "$seeds"
    has "$work/stderr" "--seeds wants A..B"
  done
  run 2 "$src/scenarios/fork.json" --seed 1 --seeds 1..2
  has "$work/stderr" "exclude each other"
  run 2 "$src/scenarios/fork.json" --transport pigeon
  has "$work/stderr" "--transport must be sim, http or process"
  run 2 "$src/scenarios/fork.json" --time-scale 0.5
  has "$work/stderr" "only to live runs"
  run 2 "$src/scenarios/fork.json" --no-such-option
  run 2 "$src/scenarios/fork.json" --seed minus-one
  run 2
  has "$work/stderr" "name a scenario file"
  run 2 "$src/scenarios/fork.json" --out /proc/netsim-cannot-write-here
  has "$work/stderr" "cannot write"
  run 2 "$src/scenarios/fork.json" --seeds 1..2 --out /proc/netsim-cannot-write-here
  has "$work/stderr" "cannot write"
  run 0 --help
  has "$work/stdout" "--seeds"
  ;;
sweep_lists_failing_seeds)
  run 1 "$data/coin_flip.json" --seeds 1..12 --out "$work/out"
  has "$work/stdout" "^FAIL coin_flip seeds 1..12: .* passed, .* failed in .* runs/s"
  failing=$(sed -n 's/^  seed \([0-9]*\): .*/\1/p' "$work/stdout")
  [ -n "$failing" ] || fail "no failing seed listed"
  [ "$(echo "$failing" | wc -l)" -lt 12 ] || fail "every seed failed: the sweep shows nothing"
  [ "$(grep -c "replay: netsim .*coin_flip.json --seed " "$work/stdout")" -eq "$(echo "$failing" | wc -l)" ] || fail "a failing seed without its replay command"
  has "$work/out/sweep.json" '"runs": 12'
  has "$work/out/timing.json" '"runs_per_second"'
  lacks "$work/out/sweep.json" '"runs_per_second"'
  # Each listed seed fails again on its own, and each unlisted one passes: the listing replays.
  for seed in $(seq 1 12); do
    if echo "$failing" | grep -qx "$seed"; then want=1; else want=0; fi
    run $want "$data/coin_flip.json" --seed "$seed" --quiet --out "$work/replay"
  done
  # A long listing stops at 20 seeds and points to sweep.json for the rest.
  run 1 "$data/coin_flip.json" --seeds 1..80 --quiet --out "$work/out80"
  [ "$(grep -c '^  seed ' "$work/stdout")" -eq 20 ] || fail "listing not capped at 20"
  has "$work/stdout" "^  \.\.\. and [0-9]* more failing seeds in .*sweep.json"
  ;;
shrink_writes_a_smaller_failing_scenario)
  run 0 shrink "$src/tests/sim/data/split_never_heals.json" --out "$work/out"
  has "$work/stdout" "^  drop nodes: dropped nodes "
  has "$work/stdout" "^  drop actions: dropped actions "
  has "$work/stdout" "^SHRUNK split_never_heals seed 3: 10 nodes, 36 actions -> .* still failing converged"
  for f in shrunk.json shrink.json summary.json trace.jsonl report.html; do [ -s "$work/out/$f" ] || fail "no $f"; done
  has "$work/out/shrink.json" '"fails": "converged"'
  # The shrunk file replays with plain netsim and fails the same expectation.
  run 1 "$work/out/shrunk.json" --out "$work/replay"
  has "$work/stdout" "^  failed converged: "
  nodes=$(sed -n 's/^  "nodes": \([0-9]*\),$/\1/p' "$work/out/shrunk.json")
  [ -n "$nodes" ] && [ "$nodes" -le 3 ] || fail "shrunk.json has more than 3 nodes ($nodes)"
  [ "$(grep -c '"do":' "$work/out/shrunk.json")" -le 12 ] || fail "shrunk.json has more than 12 actions"
  ;;
shrink_exit_codes)
  run 1 shrink "$src/scenarios/fork.json" --out "$work/pass"
  has "$work/stdout" "does not fail, nothing to shrink"
  run 2 shrink "$src/tests/sim/data/malformed.json" --out "$work/bad"
  run 2 shrink "$src/tests/sim/data/split_never_heals.json" --max-runs 0
  has "$work/stderr" "max-runs"
  run 2 shrink
  run 0 shrink --help
  has "$work/stdout" "max-runs"
  # A small budget still gives a failing (if larger) scenario.
  run 0 shrink "$src/tests/sim/data/split_never_heals.json" --max-runs 3 --quiet --out "$work/small"
  has "$work/stdout" "--max-runs reached"
  run 1 "$work/small/shrunk.json" --quiet --out "$work/small_replay"
  ;;
swarm_replay_draws_the_same)
  run 0 "$src/scenarios/swarm_faults.json" --seed 7 --out "$work/a"
  has "$work/stdout" '^  drawn: {"$.link.bandwidth_mbps":'
  run 0 "$src/scenarios/swarm_faults.json" --seed 7 --quiet --out "$work/b"
  sed -n '/"drawn"/,/}/p' "$work/a/summary.json" >"$work/drawn_a"
  sed -n '/"drawn"/,/}/p' "$work/b/summary.json" >"$work/drawn_b"
  [ -s "$work/drawn_a" ] || fail "summary.json records no draw"
  cmp -s "$work/drawn_a" "$work/drawn_b" || fail "the replay drew another configuration"
  cmp -s "$work/a/trace.jsonl" "$work/b/trace.jsonl" || fail "the replay's trace differs"
  run 0 "$src/scenarios/swarm_faults.json" --seed 8 --quiet --out "$work/c"
  sed -n '/"drawn"/,/}/p' "$work/c/summary.json" >"$work/drawn_c"
  ! cmp -s "$work/drawn_a" "$work/drawn_c" || fail "seeds 7 and 8 drew the same configuration"
  # Shrinking works on the seed's draw: the shrunk scenario is concrete.
  sed 's/"loss": {"range": \[0, 0.1\]}/"loss": {"range": [0.5, 0.6]}/; s/"expect": {/"expect": {"min_height": 1000, /' \
    "$src/scenarios/swarm_faults.json" >"$work/failing_swarm.json"
  run 0 shrink "$work/failing_swarm.json" --seed 4 --max-runs 40 --quiet --out "$work/shrunk"
  lacks "$work/shrunk/shrunk.json" '"range"'
  run 1 "$work/shrunk/shrunk.json" --quiet --out "$work/shrunk_replay"
  ;;
swarm_bad_range_exits_2)
  sed 's/"loss": {"range": \[0, 0.1\]}/"loss": {"range": [0.1, 0]}/' "$src/scenarios/swarm_faults.json" >"$work/bad.json"
  run 2 "$work/bad.json" --out "$work/out"
  has "$work/stderr" '\$.link.loss.range: the low end must not be above the high end'
  sed 's/"difficulty_bits": 8/"difficulty_bits": {"range": [4, 8]}/' "$src/scenarios/swarm_faults.json" >"$work/bad2.json"
  run 2 "$work/bad2.json" --seeds 1..3 --out "$work/out"
  has "$work/stderr" '\$.difficulty_bits.range: only '
  ;;
shard_merge_equals_unsplit)
  run 1 "$data/coin_flip.json" --seeds 1..120 --quiet --out "$work/whole"
  for i in 0 1 2; do
    run 1 "$data/coin_flip.json" --seeds 1..120 --shard $i/3 --quiet --out "$work/shard$i"
    has "$work/stdout" "shard $i/3: "
  done
  run 1 merge --out "$work/merged" "$work/shard2/sweep.json" "$work/shard0/sweep.json" "$work/shard1/sweep.json"
  has "$work/stdout" "(3 shards merged): "
  cmp "$work/whole/sweep.json" "$work/merged/sweep.json" || fail "merged sweep.json differs from the unsplit one"
  run 2 merge --out "$work/bad" "$work/shard0/sweep.json" "$work/shard1/sweep.json"
  has "$work/stderr" "shard 2 of 3 is missing"
  run 2 merge --out "$work/bad" "$work/shard0/sweep.json" "$work/shard0/sweep.json" "$work/shard1/sweep.json"
  has "$work/stderr" "is shard 0 again"
  run 2 merge --out "$work/bad" "$work/whole/sweep.json"
  has "$work/stderr" "is not the sweep.json of a --shard run"
  run 2 "$data/coin_flip.json" --seeds 1..120 --shard 3/3
  has "$work/stderr" "--shard wants I/N"
  run 2 "$data/coin_flip.json" --shard 0/3
  has "$work/stderr" "give --seeds"
  ;;
jobs_give_the_same_sweep)
  run 1 "$data/coin_flip.json" --seeds 1..60 --jobs 1 --quiet --out "$work/one"
  run 1 "$data/coin_flip.json" --seeds 1..60 --jobs 3 --quiet --out "$work/three"
  cmp "$work/one/sweep.json" "$work/three/sweep.json" || fail "--jobs 3 wrote another sweep.json"
  has "$work/three/timing.json" '"jobs": 3'
  run 2 "$data/coin_flip.json" --seeds 1..60 --jobs 0
  has "$work/stderr" "--jobs must be between 1 and 256"
  ;;
sweep_all_pass_exits_0)
  run 0 "$src/scenarios/fork.json" --seeds 42..42 --check-determinism --out "$work/out"
  has "$work/stdout" "^PASS fork seeds 42..42: 1 passed, 0 failed"
  lacks "$work/stdout" "replay:"
  has "$work/out/sweep.json" '"failed": 0'
  ;;
live_fork_http|live_fork_process)
  transport=${case_name#live_fork_}
  run 0 "$src/scenarios/fork.json" --transport "$transport" --time-scale 0.1 --out "$work/out"
  has "$work/stdout" "^PASS fork"
  has "$work/out/summary.json" "\"transport\": \"$transport\""
  has "$work/out/summary.json" '"converged": true'
  has "$work/out/trace.jsonl" '"event": "deliver"'
  has "$work/out/trace.jsonl" '"why": "partition"'
  has "$work/out/trace.jsonl" '"event": "tip"'
  file_hash=$(sha256sum "$work/out/trace.jsonl" | cut -d' ' -f1)
  [ "$file_hash" = "$(summary_field "$work/out/summary.json" trace_sha256)" ] || fail "trace.jsonl hash differs from summary"
  has "$work/out/report.html" "transport: $transport"
  if [ "$transport" = process ]; then
    [ -s "$work/out/logs/node0.log" ] || fail "no log of node 0's chainnode"
    [ -e "$work/out/run/node0/chain.db" ] || fail "node 0's chainnode kept no --data"
    ! pgrep -f "$work/out/run" >/dev/null || fail "a chainnode outlived netsim"
  fi
  ;;
live_refusals)
  run 2 "$data/foreign_node.json" --transport http --out "$work/out"
  has "$work/stderr" "node 1 is a foreign program"
  [ ! -e "$work/out" ] || fail "a refused run wrote outputs"
  run 2 "$data/foreign_node.json" --out "$work/out"
  has "$work/stderr" "node 1 is a foreign program"
  run 2 "$data/foreign_clock.json" --transport process --out "$work/out"
  has "$work/stderr" "node 1: a foreign program's clock cannot be shifted"
  run 2 "$data/odd_difficulty.json" --transport process --out "$work/out"
  has "$work/stderr" "difficulty_bits"
  run 2 "$src/scenarios/fork.json" --transport http --check-determinism
  run 2 "$src/scenarios/fork.json" --transport process --seeds 1..3
  run 2 "$src/scenarios/fork.json" --time-scale 0.5
  ;;
live_signal_leaves_no_process_TERM|live_signal_leaves_no_process_INT|live_signal_leaves_no_process_KILL)
  signal=${case_name##*_}
  # A non-interactive shell starts a background job with SIGINT ignored, which netsim (as a
  # program should) leaves ignored: the signals are put back to their default first.
  env --default-signal=INT,TERM "$netsim" "$src/scenarios/late_join.json" --transport process \
    --time-scale 0.1 --quiet \
    --out "$work/out" >"$work/stdout" 2>"$work/stderr" &
  pid=$!
  for _ in $(seq 100); do
    [ "$(pgrep -f "$work/out/run" | wc -l)" -ge 6 ] && break
    sleep 0.1
  done
  [ "$(pgrep -f "$work/out/run" | wc -l)" -ge 6 ] || fail "the chainnode processes did not start"
  kill -s "$signal" "$pid"
  wait "$pid"
  status=$?
  # Ended by the signal (128 + its number), not by the run finishing.
  case "$signal" in INT) expected=130 ;; KILL) expected=137 ;; TERM) expected=143 ;; esac
  [ "$status" -eq "$expected" ] || fail "netsim exited $status after SIG$signal, expected $expected"
  for _ in $(seq 20); do
    pgrep -f "$work/out/run" >/dev/null || break
    sleep 0.1
  done
  ! pgrep -f "$work/out/run" >/dev/null || fail "chainnode processes outlived netsim after SIG$signal: $(pgrep -af "$work/out/run")"
  ;;
*) echo "unknown case $case_name"; exit 99 ;;
esac
echo "ok $case_name"
