#!/usr/bin/env bash
# netsim --jobs: a sweep's speed-up over --jobs 1, measured side by side in one run (this machine is
# shared: only same-run ratios mean anything), interleaved, best of N; and a check that every
# --jobs wrote the same sweep.json, byte for byte.
# Usage: scripts/sweep_jobs.sh [RUNS] [SEEDS]   (writes reports/bench/sweep_jobs.md)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3} seeds=${2:-1..600}
cores=$(nproc)
netsim=build/apps/netsim
cmake --build build --target netsim >/dev/null
work=$(mktemp -d /tmp/yournet-jobs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# wall JOBS: the sweep's wall seconds (from timing.json); keeps its sweep.json as sweep-JOBS.json
wall() {
  "$netsim" scenarios/sweep_16.json --seeds "$seeds" --jobs "$1" --quiet --out "$work/out" >/dev/null
  cp "$work/out/sweep.json" "$work/sweep-$1.json"
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['wall_seconds'])" "$work/out/timing.json"
}
declare -a one two
for _ in $(seq "$runs"); do
  one+=("$(wall 1)")
  two+=("$(wall "$cores")")
done
cmp "$work/sweep-1.json" "$work/sweep-$cores.json"
best1=$(printf '%s\n' "${one[@]}" | sort -g | head -1)
best2=$(printf '%s\n' "${two[@]}" | sort -g | head -1)
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
  echo
  echo "Every run (s): --jobs 1: ${one[*]}; --jobs $cores: ${two[*]}."
} | tee reports/bench/sweep_jobs.md
