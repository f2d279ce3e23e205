#!/usr/bin/env bash
# Two netsim binaries side by side on the scale_10k.json shape at several node counts (default
# 1,000 and 10,000; 100000 runs scenarios/scale_100k.json itself), interleaved, best of RUNS
# (default 3): user CPU seconds, wall seconds and peak resident MB of each, and new/old ratios of
# the same run. The summaries' verdicts and trace hashes must agree (the change must not change
# what is simulated). Needs /usr/bin/time (Debian package `time`).
# TOGETHER=1 runs the two at the same time, each pinned to a core of its own and the cores swapped
# every round: this machine's speed drifts by up to 40 % within minutes, which one after the other
# puts into the ratio; side by side both see the same stretch (and share the memory bus). Left
# unpinned, the pair once gave new/old 1.28 in three rounds where pinned rounds gave 0.81 and 0.95.
# The median of the rounds' ratios is reported; use an even number of rounds.
# usage: scripts/netsim_scale_compare.sh OLD_NETSIM NEW_NETSIM [NODES...]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 OLD_NETSIM NEW_NETSIM [NODES...]" >&2; exit 2; }
old=$1 new=$2
shift 2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
runs="${RUNS:-3}"
together="${TOGETHER:-0}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
how="best of $runs, interleaved"
[ "$together" = 1 ] && how="$runs rounds, old and new at the same time; new/old: median of the rounds' user-time ratios"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) hardware threads, load average before: $(cut -d' ' -f1-3 /proc/loadavg); $how"
echo
echo "| nodes | old user s | new user s | new/old | old wall s | new wall s | old peak MB | new peak MB | same trace |"
echo "|---|---|---|---|---|---|---|---|---|"
min() { awk -v a="$1" -v b="$2" 'BEGIN{print (b<a)?b:a}'; }
# One run of a side (on core $2 if given): its figures into $work/time.$side.
run_side() {
  local side=$1 bin=$old pin=()
  [ "$side" = new ] && bin=$new
  [ $# -ge 2 ] && pin=(taskset -c "$2")
  "${pin[@]}" /usr/bin/time -o "$work/time.$side" -f '%U %e %M' "$bin" "$scenario" \
    --out "$work/$side" --quiet > /dev/null 2>&1 || true
}
for nodes in "${sizes[@]}"; do
  scenario="$work/scale_$nodes.json"
  if [ "$nodes" = 100000 ]; then
    cp "$here/scenarios/scale_100k.json" "$scenario"
  else
    sed -e "s/\"nodes\": 10000/\"nodes\": $nodes/" -e "s/\"name\": \"scale_10k\"/\"name\": \"scale_$nodes\"/" \
      "$here/scenarios/scale_10k.json" > "$scenario"
  fi
  declare -A user=([old]=1e9 [new]=1e9) wall=([old]=1e9 [new]=1e9) rss=([old]=0 [new]=0) trace=()
  ratios=()
  for round in $(seq "$runs"); do
    if [ "$together" = 1 ]; then
      run_side old $((round % 2)) &
      run_side new $(((round + 1) % 2))
      wait
    else
      run_side old
      run_side new
    fi
    for side in old new; do
      read -r u e kb < <(tail -1 "$work/time.$side")
      user[$side]=$(min "${user[$side]}" "$u")
      wall[$side]=$(min "${wall[$side]}" "$e")
      rss[$side]=$(( kb > rss[$side] ? kb : rss[$side] ))
      trace[$side]=$(sed -n 's/^ *"trace_sha256": *"\([0-9a-f]*\)".*/\1/p' "$work/$side/summary.json" | head -1)
    done
    ratios+=("$(awk -v a="$(tail -1 "$work/time.new" | cut -d' ' -f1)" -v b="$(tail -1 "$work/time.old" | cut -d' ' -f1)" 'BEGIN{printf "%.3f", a/b}')")
  done
  ratio=$(awk -v a="${user[new]}" -v b="${user[old]}" 'BEGIN{printf "%.2f", a/b}')
  if [ "$together" = 1 ]; then
    ratio=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{v[NR]=$1} END{printf "%.2f", NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}')
    echo "rounds' new/old at $nodes nodes: ${ratios[*]}" >&2
  fi
  same=no; [ -n "${trace[old]}" ] && [ "${trace[old]}" = "${trace[new]}" ] && same=yes
  echo "| $nodes | ${user[old]} | ${user[new]} | **$ratio** |" \
       "${wall[old]} | ${wall[new]} | $((rss[old] / 1024)) | $((rss[new] / 1024)) | $same |"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
