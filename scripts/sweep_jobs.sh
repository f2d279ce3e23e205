#!/usr/bin/env bash
# netsim --jobs: a sweep's speed-up over --jobs 1, measured side by side in one run (this machine is
# shared: only same-run ratios mean anything), interleaved, best of N; and a check that every
# --jobs wrote the same sweep.json, byte for byte.
# Usage: scripts/sweep_jobs.sh [RUNS] [SEEDS]   (writes reports/bench/sweep_jobs.md)
# BUILD=DIR measures DIR/apps/netsim (default build/, built first).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3} seeds=${2:-1..600}
cores=$(nproc)
build=${BUILD:-build}
netsim=$build/apps/netsim
cmake --build "$build" --target netsim >/dev/null
work=$(mktemp -d /tmp/yournet-jobs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# wall JOBS: "wall_s cpu_s" of the sweep; keeps its sweep.json as sweep-JOBS.json
wall() {
  /usr/bin/time -f "%e %U %S" -o "$work/time" \
    "$netsim" scenarios/sweep_16.json --seeds "$seeds" --jobs "$1" --quiet --out "$work/out" >/dev/null
  cp "$work/out/sweep.json" "$work/sweep-$1.json"
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$work/time"
}
# split: the same seeds as two --jobs 1 processes at once, each half the range: the parallelism
# the machine gives right now, without threads (wall s of the slower one)
split() {
  local from=${seeds%..*} to=${seeds#*..}
  local mid=$(((from + to) / 2))
  /usr/bin/time -f "%e" -o "$work/time-a" "$netsim" scenarios/sweep_16.json --seeds "$from..$mid" \
    --jobs 1 --quiet --out "$work/a" >/dev/null &
  /usr/bin/time -f "%e" -o "$work/time-b" "$netsim" scenarios/sweep_16.json --seeds "$((mid + 1))..$to" \
    --jobs 1 --quiet --out "$work/b" >/dev/null
  wait
  sort -g "$work/time-a" "$work/time-b" | tail -1
}
declare -a one two procs
load_before=$(cut -d' ' -f1 /proc/loadavg)
for _ in $(seq "$runs"); do
  one+=("$(wall 1)")
  two+=("$(wall "$cores")")
  procs+=("$(split)")
done
load_after=$(cut -d' ' -f1 /proc/loadavg)
cmp "$work/sweep-1.json" "$work/sweep-$cores.json"
best1=$(printf '%s\n' "${one[@]}" | sort -g | head -1 | cut -d' ' -f1)
best2=$(printf '%s\n' "${two[@]}" | sort -g | head -1 | cut -d' ' -f1)
bestp=$(printf '%s\n' "${procs[@]}" | sort -g | head -1)
cpu1=$(printf '%s\n' "${one[@]}" | sort -g | head -1 | cut -d' ' -f2)
cpu2=$(printf '%s\n' "${two[@]}" | sort -g | head -1 | cut -d' ' -f2)
mkdir -p reports/bench
{
  echo "# netsim --jobs: sweep speed-up"
  echo
  echo "\`scripts/sweep_jobs.sh\`: sweep_16.json, seeds $seeds, \`--jobs 1\` against \`--jobs $cores\`"
  echo "(all $cores cores), interleaved in one run, best of $runs ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD))."
  echo "Both wrote the same sweep.json, byte for byte."
  echo
  echo "| | --jobs 1 | --jobs $cores | speed-up |"
  echo "|---|---|---|---|"
  echo "| wall s (best of $runs) | $best1 | $best2 | $(python3 -c "print(f'{$best1/$best2:.2f}x')") |"
  echo "| CPU s of that run | $cpu1 | $cpu2 | $(python3 -c "print(f'{$cpu1/$cpu2:.2f}x')") |"
  echo "| two --jobs 1 processes at once, half the seeds each: wall s | | $bestp | $(python3 -c "print(f'{$best1/$bestp:.2f}x')") |"
  echo
  echo "Load average (1 min) $load_before before, $load_after after: on a machine shared with other"
  echo "builds the wall ratio is bounded by the cores left to us; equal CPU seconds show the threads"
  echo "do the same work as one, without contention; two processes at once show what parallelism the"
  echo "machine had to give."
  echo
  echo "Every run (wall s, CPU s): --jobs 1: $(printf '%s; ' "${one[@]}")--jobs $cores: $(printf '%s; ' "${two[@]}")two processes: ${procs[*]}."
} | tee reports/bench/sweep_jobs.md
