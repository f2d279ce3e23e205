#!/bin/sh
# `cmake --install` into a fresh prefix puts what README "Install" lists where it says, and the
# installed netsim runs a scenario from the installed share/yournet.
# Usage: install_test.sh CMAKE BUILD_DIR WORK_DIR
set -u
cmake=$1 build=$2 work=$3
prefix=$work/prefix
rm -rf "$work" && mkdir -p "$work" || exit 99

fail() { echo "FAILED: $*"; exit 1; }
"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || {
  code=$?; cat "$work/install.log"; fail "cmake --install exited $code"; }

for program in netsim chainnode chaintool webapp; do
  [ -x "$prefix/bin/$program" ] || fail "no bin/$program"
done
for file in share/yournet/scenarios/fork.json share/yournet/scenarios/README.md \
            share/yournet/scenarios/validation/selfish_a10.json share/doc/yournet/README.md \
            share/doc/yournet/chainnode.default lib/systemd/system/chainnode.service; do
  [ -s "$prefix/$file" ] || fail "no $file"
done
# The unit starts the installed chainnode on the state folder systemd makes for it.
unit=$prefix/lib/systemd/system/chainnode.service
grep -q "^ExecStart=$prefix/bin/chainnode --data /var/lib/yournet " "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -q "^StateDirectory=yournet$" "$unit" || fail "no StateDirectory=yournet"
# Where systemd's tools are (not in every container), the unit is checked as systemd reads it.
if command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify --man=no "$unit" >"$work/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$work/verify.log")"
  [ ! -s "$work/verify.log" ] || fail "systemd-analyze verify warns: $(cat "$work/verify.log")"
fi
"$prefix/bin/chainnode" --help | grep -q -- "--data" || fail "installed chainnode --help"

# Run from an unrelated folder: nothing is taken from the source or build tree.
cd "$work" || exit 99
"$prefix/bin/netsim" "$prefix/share/yournet/scenarios/fork.json" --quiet --out "$work/fork" \
  >"$work/netsim.out" 2>&1 || { cat "$work/netsim.out"; fail "installed netsim on fork.json"; }
grep -q "^PASS fork seed 42" "$work/netsim.out" || fail "no PASS line: $(cat "$work/netsim.out")"
[ -s "$work/fork/report.html" ] || fail "no report.html"
echo "installed in $prefix"
