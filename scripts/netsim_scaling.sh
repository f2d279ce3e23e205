#!/usr/bin/env bash
# How netsim's wall time and memory grow with the network: the scale_10k.json shape (random graph
# of ~8 peers, modeled mining of 100 blocks, Pareto latency, 20 Mbit/s) at 100, 1,000 and 10,000
# nodes, each run three times. Writes a Markdown table (default reports/bench/netsim_scaling.md).
# Needs /usr/bin/time (Debian package `time`) for the peak resident size.
# usage: scripts/netsim_scaling.sh [NETSIM] [OUT.md]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
netsim="${1:-$here/build/apps/netsim}"
out="${2:-$here/reports/bench/netsim_scaling.md}"
runs=3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }

{
  echo "# netsim: wall time and memory against network size"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) hardware threads, load average before:" \
       "$(cut -d' ' -f1-3 /proc/loadavg). The \`scale_10k.json\` shape with only the node count" \
       "changed; each size run $runs times, one at a time (\`$(basename "$netsim")\`, Release)."
  echo
  echo "| nodes | /add_block messages | wall s (best) | wall s (median) | peak resident MB | expectations |"
  echo "|---|---|---|---|---|---|"
} > "$work/table.md"

for nodes in 100 1000 10000; do
  scenario="$work/scale_$nodes.json"
  sed -e "s/\"nodes\": 10000/\"nodes\": $nodes/" -e "s/\"name\": \"scale_10k\"/\"name\": \"scale_$nodes\"/" \
    "$here/scenarios/scale_10k.json" > "$scenario"
  walls=() rss=0 verdict=passed
  for _ in $(seq $runs); do
    if ! /usr/bin/time -o "$work/time" -f '%e %M' "$netsim" "$scenario" --out "$work/out" --quiet \
         > /dev/null 2>&1; then
      verdict=FAILED
    fi
    read -r wall kb < <(tail -1 "$work/time")
    walls+=("$wall")
    rss=$(( kb > rss ? kb : rss ))
  done
  sorted=($(printf '%s\n' "${walls[@]}" | sort -n))
  messages=$(grep -o '"sent": [0-9]*' "$work/out/summary.json" | grep -o '[0-9]*$')
  echo "| $nodes | $messages | ${sorted[0]} | ${sorted[$((runs / 2))]} | $((rss / 1024)) | $verdict |" \
    >> "$work/table.md"
done
cp "$work/table.md" "$out"
cat "$out"
