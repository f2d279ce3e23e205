#!/usr/bin/env bash
# How netsim's cost grows with the chain: scenarios/mesh_blocks.json (21 honest nodes, full mesh,
# modeled mining) at 500, 1,000, 2,000 and 4,000 blocks, each run RUNS times (default 3),
# interleaved. Reports CPU seconds (user + system: on a shared machine wall time mostly measures
# the others) and wall seconds, best of the runs, and each size's time as a ratio to the 1,000-block
# run of the same run: flat cost per block is 4x the blocks in 4x the time. Writes a Markdown table
# (default reports/bench/sim_blocks.md). Needs /usr/bin/time (Debian package `time`).
# usage: scripts/sim_block_scaling.sh [NETSIM] [OUT.md]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
netsim="${1:-$here/build/apps/netsim}"
out="${2:-$here/reports/bench/sim_blocks.md}"
runs="${RUNS:-3}"
sizes=(500 1000 2000 4000)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

declare -A cpu wall rss
for blocks in "${sizes[@]}"; do
  sed -e "s/\"max_blocks\": 1000/\"max_blocks\": $blocks/" -e "s/\"min_height\": 1000/\"min_height\": $blocks/" \
    -e "s/\"stop_at_s\": 2400000/\"stop_at_s\": $((blocks * 2400))/" \
    "$here/scenarios/mesh_blocks.json" > "$work/mesh_$blocks.json"
  cpu[$blocks]=1e9 wall[$blocks]=1e9 rss[$blocks]=0
done
for _ in $(seq "$runs"); do
  for blocks in "${sizes[@]}"; do
    /usr/bin/time -o "$work/time" -f '%U %S %e %M' "$netsim" "$work/mesh_$blocks.json" \
      --out "$work/out_$blocks" --quiet > /dev/null
    read -r user sys elapsed kb < <(tail -1 "$work/time")
    cpu[$blocks]=$(awk -v a="${cpu[$blocks]}" -v b="$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')" 'BEGIN{print (b<a)?b:a}')
    wall[$blocks]=$(awk -v a="${wall[$blocks]}" -v b="$elapsed" 'BEGIN{print (b<a)?b:a}')
    rss[$blocks]=$(( kb > rss[$blocks] ? kb : rss[$blocks] ))
  done
done
{
  echo "# netsim: cost against chain length"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) hardware threads, load average before: $load_before," \
       "after: $(cut -d' ' -f1-3 /proc/loadavg). \`scripts/sim_block_scaling.sh\`:" \
       "\`scenarios/mesh_blocks.json\` (21 honest nodes, full mesh, modeled mining) with only the" \
       "block count changed; best of $runs runs, sizes interleaved. Flat cost per block: the time" \
       "ratio equals the block ratio."
  echo
  echo "| blocks | blocks vs 1,000 | CPU s | CPU vs 1,000 | wall s | wall vs 1,000 | peak resident MB |"
  echo "|---|---|---|---|---|---|---|"
  for blocks in "${sizes[@]}"; do
    echo "| $blocks | $(awk -v b="$blocks" 'BEGIN{printf "%.1f", b/1000}') | ${cpu[$blocks]} |" \
         "**$(awk -v a="${cpu[$blocks]}" -v b="${cpu[1000]}" 'BEGIN{printf "%.2f", a/b}')** |" \
         "${wall[$blocks]} | $(awk -v a="${wall[$blocks]}" -v b="${wall[1000]}" 'BEGIN{printf "%.2f", a/b}') |" \
         "$((rss[$blocks] / 1024)) |"
  done
} > "$work/table.md"
mkdir -p "$(dirname "$out")"
cp "$work/table.md" "$out"
cat "$out"
