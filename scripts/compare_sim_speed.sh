#!/usr/bin/env bash
# The simulator's speed against an earlier commit, measured side by side in one run (this machine
# is shared: only same-run ratios mean anything). Each side runs its own copy of scale_10k.json and
# sweep_16.json (the shapes may be written differently across commits; the message counts are
# printed so the work can be compared), interleaved, best of N.
# Usage: scripts/compare_sim_speed.sh BASE_REV [RUNS]   (writes reports/bench/sim_before_after.md)
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=$1 runs=${2:-3}
base=$(mktemp -d /tmp/yournet-base.XXXXXX)
trap 'git worktree remove --force "$base" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$base" "$base_rev"
cmake -S "$base" -B "$base/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYOURNET_BUILD_TESTS=OFF \
  -DYOURNET_BUILD_BENCH=OFF >/dev/null
cmake --build "$base/build" --target netsim >/dev/null
cmake --build build --target netsim >/dev/null

best() { sort -n | head -1; }
# run NETSIM SCENARIO_DIR: prints "seconds peak_kb messages" for scale_10k
scale_run() {
  local out; out=$(mktemp -d)
  /usr/bin/time -f "%e %M" -o "$out/time" "$1" "$2/scale_10k.json" --quiet --out "$out" >/dev/null
  echo "$(cat "$out/time") $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['messages']['sent'])" "$out/summary.json")"
  rm -rf "$out"
}
sweep_rate() {
  local out; out=$(mktemp -d)
  "$1" "$2/sweep_16.json" --seeds 1..600 --quiet --out "$out" $3 >/dev/null
  # Since --jobs, the timings are in timing.json (sweep.json is the same bytes for any --jobs).
  if [ -f "$out/timing.json" ]; then timing=$out/timing.json; else timing=$out/sweep.json; fi
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['runs_per_second'])" "$timing"
  rm -rf "$out"
}
declare -a base_scale new_scale base_sweep new_sweep
for _ in $(seq "$runs"); do
  base_scale+=("$(scale_run "$base/build/apps/netsim" "$base/scenarios")")
  new_scale+=("$(scale_run build/apps/netsim scenarios)")
  base_sweep+=("$(sweep_rate "$base/build/apps/netsim" "$base/scenarios" "")")
  # One core, as the base (which may predate --jobs) sweeps.
  new_sweep+=("$(sweep_rate build/apps/netsim scenarios "--jobs 1")")
done
b_s=$(printf '%s\n' "${base_scale[@]}" | awk '{print $1}' | best)
n_s=$(printf '%s\n' "${new_scale[@]}" | awk '{print $1}' | best)
b_m=$(printf '%s\n' "${base_scale[@]}" | awk '{print $2}' | best)
n_m=$(printf '%s\n' "${new_scale[@]}" | awk '{print $2}' | best)
b_msg=$(echo "${base_scale[0]}" | awk '{print $3}')
n_msg=$(echo "${new_scale[0]}" | awk '{print $3}')
b_r=$(printf '%s\n' "${base_sweep[@]}" | sort -rn | head -1)
n_r=$(printf '%s\n' "${new_sweep[@]}" | sort -rn | head -1)
mkdir -p reports/bench
{
  echo "# Simulator speed: $(git rev-parse --short HEAD) against $base_rev"
  echo
  echo "Same run, interleaved, best of $runs on $(nproc) cores ($(date -u +%Y-%m-%d))."
  echo
  echo "| | base ($base_rev) | now | now / base |"
  echo "|---|---|---|---|"
  echo "| scale_10k wall s | $b_s | $n_s | $(python3 -c "print(f'{$n_s/$b_s:.2f}')") |"
  echo "| scale_10k peak MB | $((b_m / 1024)) | $((n_m / 1024)) | $(python3 -c "print(f'{$n_m/$b_m:.2f}')") |"
  echo "| scale_10k messages sent | $b_msg | $n_msg | $(python3 -c "print(f'{$n_msg/$b_msg:.3f}')") |"
  echo "| sweep_16 seeds 1..600, runs/s | $(printf '%.0f' "$b_r") | $(printf '%.0f' "$n_r") | $(python3 -c "print(f'{$n_r/$b_r:.2f}')") |"
} | tee reports/bench/sim_before_after.md
