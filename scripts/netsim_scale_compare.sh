#!/usr/bin/env bash
# Two netsim binaries side by side on the scale_10k.json shape at several node counts (default
# 1,000 and 10,000; 100000 runs scenarios/scale_100k.json itself), interleaved, best of RUNS
# (default 3): user CPU seconds, wall seconds and peak resident MB of each, and new/old ratios of
# the same run. The summaries' verdicts and trace hashes must agree (the change must not change
# what is simulated). Needs /usr/bin/time (Debian package `time`).
# usage: scripts/netsim_scale_compare.sh OLD_NETSIM NEW_NETSIM [NODES...]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 OLD_NETSIM NEW_NETSIM [NODES...]" >&2; exit 2; }
old=$1 new=$2
shift 2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
runs="${RUNS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) hardware threads, load average before: $(cut -d' ' -f1-3 /proc/loadavg); best of $runs, interleaved"
echo
echo "| nodes | old user s | new user s | new/old | old wall s | new wall s | old peak MB | new peak MB | same trace |"
echo "|---|---|---|---|---|---|---|---|---|"
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (b<a)?b:a}'; }
for nodes in "${sizes[@]}"; do
  scenario="$work/scale_$nodes.json"
  if [ "$nodes" = 100000 ]; then
    cp "$here/scenarios/scale_100k.json" "$scenario"
  else
    sed -e "s/\"nodes\": 10000/\"nodes\": $nodes/" -e "s/\"name\": \"scale_10k\"/\"name\": \"scale_$nodes\"/" \
      "$here/scenarios/scale_10k.json" > "$scenario"
  fi
  declare -A user=([old]=1e9 [new]=1e9) wall=([old]=1e9 [new]=1e9) rss=([old]=0 [new]=0) trace=()
  for _ in $(seq "$runs"); do
    for side in old new; do
      bin=$old; [ $side = new ] && bin=$new
      /usr/bin/time -o "$work/time" -f '%U %e %M' "$bin" "$scenario" --out "$work/$side" --quiet \
        > /dev/null 2>&1 || true
      read -r u e kb < <(tail -1 "$work/time")
      user[$side]=$(min "${user[$side]}" "$u")
      wall[$side]=$(min "${wall[$side]}" "$e")
      rss[$side]=$(( kb > rss[$side] ? kb : rss[$side] ))
      trace[$side]=$(sed -n 's/^ *"trace_sha256": *"\([0-9a-f]*\)".*/\1/p' "$work/$side/summary.json" | head -1)
    done
  done
  same=no; [ -n "${trace[old]}" ] && [ "${trace[old]}" = "${trace[new]}" ] && same=yes
  echo "| $nodes | ${user[old]} | ${user[new]} | **$(awk -v a="${user[new]}" -v b="${user[old]}" 'BEGIN{printf "%.2f", a/b}')** |" \
       "${wall[old]} | ${wall[new]} | $((rss[old] / 1024)) | $((rss[new] / 1024)) | $same |"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
