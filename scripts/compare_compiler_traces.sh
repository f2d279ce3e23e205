#!/usr/bin/env bash
# Runs apps/netsim from two builds (meant for one GCC and one Clang build of the same tree) on every
# scenario in scenarios/*.json (top level, each with its own seed) and on seeds 1..20 of
# scenarios/fork.json, and compares the trace_sha256 of each run's summary.json: the simulator is
# deterministic, so the compiler must not change a single trace line.
#
#   scripts/compare_compiler_traces.sh [--skip NAME]... GCC_BUILD_DIR CLANG_BUILD_DIR
#
# --skip NAME leaves out scenarios/NAME.json (repeatable; e.g. --skip scale_10k, which takes over a
# minute in a Debug build). One line per run: "same", "DIFF" or "ERROR". A netsim exit code of 0 or
# 1 (expectations passed or not) is fine; exit 2 or a missing summary is an ERROR. Exits 1 if any
# run differs or fails, keeping the runs' folders (trace.jsonl of both sides) for a diff.
set -euo pipefail

usage() {
  echo "usage: $0 [--skip NAME]... GCC_BUILD_DIR CLANG_BUILD_DIR" >&2
  exit 2
}

skip=()
dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --skip)
      [ $# -ge 2 ] || usage
      skip+=("${2%.json}")
      shift 2
      ;;
    --skip=*)
      v="${1#--skip=}"
      skip+=("${v%.json}")
      shift
      ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
      dirs+=("$1")
      shift
      ;;
  esac
done
[ ${#dirs[@]} -eq 2 ] || usage

root="$(cd "$(dirname "$0")/.." && pwd)"
names=(gcc clang)
bins=()
for d in "${dirs[@]}"; do
  bin="$(cd "$d" 2>/dev/null && pwd)/apps/netsim" || true
  if [ ! -x "$bin" ]; then
    echo "$0: no apps/netsim in $d" >&2
    exit 2
  fi
  bins+=("$bin")
done

work="$(mktemp -d "${TMPDIR:-/tmp}/compare_traces.XXXXXX")"
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT

# The trace_sha256 of one finished run, or nothing.
trace_hash() {
  [ -f "$1/summary.json" ] || return 0
  sed -n 's/^ *"trace_sha256": *"\([0-9a-f]*\)".*/\1/p' "$1/summary.json" | head -n 1
}

runs=0
bad=0
# compare LABEL SCENARIO_FILE [netsim options...]: one run on each build (both at once), one line.
compare() {
  local label="$1" scenario="$2"
  shift 2
  local slug="${label// /_}"
  local i pids=() rcs=() hashes=() why=""
  for i in 0 1; do
    "${bins[$i]}" "$scenario" "$@" --quiet --out "$work/$slug/${names[$i]}" \
      >"$work/$slug.${names[$i]}.log" 2>&1 &
    pids+=($!)
  done
  for i in 0 1; do
    local rc=0
    wait "${pids[$i]}" || rc=$?
    rcs+=("$rc")
    hashes+=("$(trace_hash "$work/$slug/${names[$i]}")")
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
      why+=" ${names[$i]} exited $rc;"
    elif [ -z "${hashes[$i]}" ]; then
      why+=" ${names[$i]} wrote no summary (exit $rc);"
    fi
  done
  runs=$((runs + 1))
  if [ -n "$why" ]; then
    bad=$((bad + 1))
    printf 'ERROR %-28s%s see %s\n' "$label" "${why%;}" "$work/$slug.*.log"
  elif [ "${hashes[0]}" != "${hashes[1]}" ]; then
    bad=$((bad + 1))
    printf 'DIFF  %-28s gcc %s clang %s (exit %s/%s)\n' "$label" "${hashes[0]}" "${hashes[1]}" \
      "${rcs[0]}" "${rcs[1]}"
  else
    printf 'same  %-28s %s (exit %s)\n' "$label" "${hashes[0]}" "${rcs[0]}"
  fi
}

for scenario in "$root"/scenarios/*.json; do
  name="$(basename "$scenario" .json)"
  skipped=0
  for s in "${skip[@]+"${skip[@]}"}"; do
    [ "$s" = "$name" ] && skipped=1
  done
  if [ "$skipped" = 1 ]; then
    printf 'skip  %s\n' "$name"
    continue
  fi
  compare "$name" "$scenario"
done
for seed in $(seq 1 20); do
  compare "fork seed $seed" "$root/scenarios/fork.json" --seed "$seed"
done

if [ "$bad" -ne 0 ]; then
  keep=1
  echo "$bad of $runs runs differ or failed between ${dirs[0]} and ${dirs[1]}; runs kept in $work"
  exit 1
fi
echo "all $runs runs gave the same trace in ${dirs[0]} and ${dirs[1]}"
