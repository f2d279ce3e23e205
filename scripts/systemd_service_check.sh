#!/usr/bin/env bash
# Installs the yournet .deb on a fresh Debian 12 booted with systemd as PID 1 (a systemd-nspawn
# container, so it runs where the host's own init is not systemd) and checks the chainnode service
# the way the README's Install section uses it: enable --now, answer, post and mine, state kept
# across a restart, restarted after kill -9, `systemd-analyze security` score, `dpkg -r` stops it
# and leaves the state. Not part of ctest: it needs root, debootstrap and systemd-container, and
# the first run downloads a Debian 12 base system (minutes).
#
#   scripts/systemd_service_check.sh DEB [ROOTFS]     (ROOTFS: default /var/tmp/yournet-deb12)
#
# Port 8000 of the host must be free (the container shares the host's network).
set -euo pipefail

deb=$(realpath "${1:?usage: $0 DEB [ROOTFS]}")
rootfs=${2:-/var/tmp/yournet-deb12}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
command -v debootstrap > /dev/null && command -v systemd-nspawn > /dev/null ||
  apt-get install -y -q debootstrap systemd-container > /dev/null

if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
  echo "== debootstrap bookworm into $rootfs"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,curl,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian > "$rootfs.debootstrap.log" 2>&1
fi
cp "$deb" "$rootfs/root/yournet.deb"

log=$(mktemp)
setsid systemd-nspawn --register=no --keep-unit -b -D "$rootfs" --console=passive > "$log" 2>&1 &
spawn=$!
trap 'kill "$spawn" 2> /dev/null || true; wait "$spawn" 2> /dev/null || true' EXIT
init=
for _ in $(seq 60); do
  init=$(pgrep -P "$spawn" -x systemd || true)
  [ -n "$init" ] && nsenter -t "$init" -a systemctl is-system-running --wait > /dev/null 2>&1 && break
  sleep 1
done
[ -n "$init" ] || { cat "$log"; echo "the container did not boot" >&2; exit 1; }
inside() { nsenter -t "$init" -a sh -c "$1"; }

failures=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: want '$2', got '$3'"; failures=$((failures + 1)); fi
}

# A rootfs reused from an earlier run: start from no state, as a fresh machine.
inside 'rm -rf /var/lib/private/yournet /var/lib/yournet'
inside 'apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/yournet.deb > /dev/null 2>&1'
inside 'systemctl enable --now chainnode 2> /dev/null'
sleep 2
check "service active after enable --now" active "$(inside 'systemctl is-active chainnode' || true)"
check "GET /status answers" 0 "$(inside 'curl -sf http://127.0.0.1:8000/status > /dev/null; echo $?')"
check "a post is taken" Success "$(inside "curl -s -X POST -H 'Content-Type: application/json' -d '{\"author\":\"a\",\"content\":\"service\"}' http://127.0.0.1:8000/new_transaction")"
check "a block is mined" "Block #1 is mined." "$(inside 'curl -s http://127.0.0.1:8000/mine')"
height() { inside 'curl -s http://127.0.0.1:8000/status' | sed -n 's/.*"height":\([0-9]*\).*/\1/p'; }
check "state owned by the dynamic user" 1 "$(inside 'stat -c %u /var/lib/private/yournet/chain.db' | awk '{print ($1 != 0)}')"
inside 'systemctl restart chainnode'
sleep 2
check "height kept across a restart" 1 "$(height)"
inside 'kill -9 "$(systemctl show -p MainPID --value chainnode)"'
sleep 7
check "restarted after kill -9" active "$(inside 'systemctl is-active chainnode' || true)"
check "height kept across kill -9" 1 "$(height)"
echo "     $(inside 'systemd-analyze security chainnode 2> /dev/null | tail -1')"
inside 'dpkg -r yournet > /dev/null 2>&1'
check "dpkg -r stops the service" inactive "$(inside 'systemctl is-active chainnode' || true)"
check "dpkg -r leaves the state" yes "$(inside 'test -f /var/lib/private/yournet/chain.db && echo yes || echo no')"
inside 'systemctl poweroff' || true
wait "$spawn" 2> /dev/null || true
trap - EXIT
echo "$failures failed"
[ "$failures" = 0 ]
