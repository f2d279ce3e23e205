#!/usr/bin/env bash
# Fuzzes every libFuzzer target of a -DYOURNET_FUZZ=ON build for SECONDS each (default 20), from
# its committed corpus (fuzz/corpus/<target>/) and regressions. New inputs go to BUILD/fuzz-work/,
# never into the committed corpus; a crash leaves its input in BUILD/fuzz-artifacts/ and fails.
# usage: scripts/fuzz_all.sh BUILD [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz_all.sh BUILD [SECONDS]}
seconds=${2:-20}
mkdir -p "$build/fuzz-artifacts"
status=0
for fuzzer in "$build"/fuzz/fuzz_*; do
  case "$fuzzer" in *_replay) continue ;; esac
  [ -x "$fuzzer" ] || continue
  target=$(basename "$fuzzer")
  target=${target#fuzz_}
  work="$build/fuzz-work/$target"
  mkdir -p "$work"
  inputs=("fuzz/corpus/$target")
  [ -d "fuzz/regressions/$target" ] && inputs+=("fuzz/regressions/$target")
  echo "== fuzz_$target for ${seconds} s"
  if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$build/fuzz-artifacts/$target-" "$work" "${inputs[@]}" \
      > "$build/fuzz-artifacts/$target.log" 2>&1; then
    tail -n 40 "$build/fuzz-artifacts/$target.log"
    echo "fuzz_$target failed: its input is in $build/fuzz-artifacts/ (copy it to" \
      "fuzz/regressions/$target/ with the fix)"
    status=1
  else
    grep -E '^#[0-9]+[[:space:]]+DONE' "$build/fuzz-artifacts/$target.log" || true
  fi
done
exit $status
