#!/bin/sh
# Bad -netdev and virtio-net-device command lines: each must end weft with
# status 1 and one line on stderr naming the problem, at once (no guest
# needed: every case fails before the machine runs).
# Usage: errors.sh PATH-TO-WEFT
weft=${1:?usage: errors.sh PATH-TO-WEFT}
failed=0
out=$(mktemp -d)
busy_pid=
cleanup() {
    [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null
    rm -rf "$out"
}
trap cleanup EXIT

# expect_error "text the message must contain" ARGS...
# (or "re:EXTENDED-REGEX")
# ($as, if set, is a command prefix such as setpriv ... to run weft with.)
as=
expect_error() {
    want=$1
    shift
    timeout -k 5 30 $as "$weft" "$@" </dev/null >"$out/stdout" \
        2>"$out/stderr"
    rc=$?
    lines=$(wc -l <"$out/stderr")
    case $want in
    re:*) grep=-qE want=${want#re:} ;;
    *) grep=-qF ;;
    esac
    if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] ||
        ! grep $grep -- "$want" "$out/stderr"; then
        echo "FAIL: weft $*: rc=$rc, stderr:"
        cat "$out/stderr"
        failed=$((failed + 1))
    else
        echo "ok - weft $* -> $(cat "$out/stderr")"
    fi
}

user='-netdev user,id=n0'
expect_error "unknown netdev type 'bogus'" -netdev bogus,id=n0
expect_error "'id' is missing" -netdev user
expect_error "invalid id '0n'" -netdev user,id=0n
expect_error "duplicate netdev id 'n0'" $user -netdev user,id=n0
expect_error "invalid parameter 'frob'" -netdev user,id=n0,frob=1
expect_error "invalid host forwarding rule 'tcp:22'" \
    -netdev user,id=n0,hostfwd=tcp:22
expect_error "invalid host forwarding rule 'tcp::99999-:22'" \
    -netdev user,id=n0,hostfwd=tcp::99999-:22
expect_error "invalid host forwarding rule 'sctp::2222-:22'" \
    -netdev user,id=n0,hostfwd=sctp::2222-:22
expect_error "invalid host forwarding rule 'tcp::2222-:0'" \
    -netdev user,id=n0,hostfwd=tcp::2222-:0
expect_error "host bits set" -netdev user,id=n0,net=10.0.2.1/24
expect_error "prefix length" -netdev user,id=n0,net=10.0.2.0/31
expect_error "not a host address of the guest network" \
    -netdev user,id=n0,host=10.0.3.2
expect_error "ipv4=off is not supported" -netdev user,id=n0,ipv4=off
expect_error "weft runs no interface scripts" \
    -netdev tap,id=t0,script=/etc/qemu-ifup
expect_error "not a valid interface name" \
    -netdev tap,id=t0,ifname=a-name-much-too-long-for-linux,script=no
expect_error "invalid parameter 'vhost'" -netdev tap,id=t0,vhost=on
expect_error "netdev 'nope' not found" -M virt -device \
    virtio-net-device,netdev=nope
expect_error "netdev 'n0' is already used" -M virt $user \
    -device virtio-net-device,netdev=n0 -device virtio-net-device,netdev=n0
expect_error "a multicast address" -M virt \
    -device virtio-net-device,mac=01:00:5e:00:00:01
expect_error "virtio-net-device.mac' doesn't take value '52:54:00:12:34'" \
    -M virt -device virtio-net-device,mac=52:54:00:12:34

# A host port somebody else listens on.
if command -v python3 >/dev/null; then
    python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(60)' >"$out/port" &
    busy_pid=$!
    tries=0
    while [ ! -s "$out/port" ] && [ "$tries" -lt 100 ]; do
        sleep 0.2
        tries=$((tries + 1))
    done
    port=$(cat "$out/port")
    [ -n "$port" ] || { echo "FAIL: no listener for the port-in-use case"; exit 1; }
    expect_error "could not set up host forwarding rule" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22"
else
    echo "skip - port in use (no python3)"
fi

# Without the right to open /dev/net/tun (as root: drop to nobody).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    as="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
    # Depending on /dev/net/tun's mode: open(2) or TUNSETIFF refuses.
    expect_error "re:cannot (open /dev/net/tun|create or attach tap interface 'weftnoperm0'): (Permission denied|Operation not permitted)" \
        -netdev tap,id=t0,ifname=weftnoperm0,script=no
    as=
elif [ "$(id -u)" != 0 ]; then
    expect_error "tap" -netdev tap,id=t0,ifname=weftnoperm0,script=no
else
    echo "skip - tap without permission (no setpriv)"
fi

if [ "$failed" -ne 0 ]; then
    echo "FAIL: $failed case(s)"
    exit 1
fi
echo "PASS: every bad command line gave one line and status 1"
