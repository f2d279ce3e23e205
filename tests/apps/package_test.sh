#!/bin/sh
# cpack's Debian package, as README "Install" describes it: the files under /usr, the unit that
# starts /usr/bin/chainnode, the dependencies dpkg-shlibdeps found and the maintainer scripts.
# Usage: package_test.sh CPACK BUILD_DIR WORK_DIR
set -u
cpack=$1 build=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 99

fail() { echo "FAILED: $*"; exit 1; }
"$cpack" --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || {
  code=$?; cat "$work/cpack.log"; fail "cpack exited $code"; }
deb=$(ls "$work"/yournet_*.deb) || fail "no yournet_*.deb in $work"
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files" || fail "dpkg-deb -c $deb"
for file in ./usr/bin/netsim ./usr/bin/chainnode ./usr/bin/chaintool ./usr/bin/webapp \
            ./usr/lib/systemd/system/chainnode.service ./usr/share/yournet/scenarios/fork.json \
            ./usr/share/yournet/scenarios/validation/stale_50ms.json \
            ./usr/share/doc/yournet/README.md ./usr/share/doc/yournet/chainnode.default; do
  grep -qx "$file" "$work/files" || fail "the package lacks $file"
done
! grep -v '^\./usr/' "$work/files" | grep -qv '^\./$' || fail "files outside /usr: $(grep -v '^\./usr/' "$work/files")"
! grep -q '^\./usr/local/' "$work/files" || fail "files under /usr/local"

[ "$(dpkg-deb -f "$deb" Package)" = yournet ] || fail "package name $(dpkg-deb -f "$deb" Package)"
depends=$(dpkg-deb -f "$deb" Depends)
for library in libssl3 libsqlite3-0 libboost-program-options libstdc++6; do
  echo "$depends" | grep -q "$library" || fail "Depends lacks $library: $depends"
done
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
[ -n "$(dpkg-deb -f "$deb" Description)" ] || fail "no Description"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" >/dev/null 2>&1 || fail "no $script"
done
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/chainnode.service >"$work/unit" ||
  fail "cannot read the unit"
grep -q '^ExecStart=/usr/bin/chainnode --data /var/lib/yournet ' "$work/unit" ||
  fail "ExecStart: $(grep ExecStart "$work/unit")"
echo "$deb: $(wc -l <"$work/files") entries, Depends: $depends"
