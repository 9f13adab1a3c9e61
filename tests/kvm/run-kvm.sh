#!/bin/sh
# Runs one x86-64 test kernel under -M microvm -accel kvm and checks its
# serial output.  Skips (77) without a usable /dev/kvm: nothing here can
# be checked then.
# Usage: run-kvm.sh WEFT KERNEL.elf MODE   (MODE: serial, reboot,
#        reboot-reset)
weft=$1 kernel=$2 mode=$3

if [ ! -e /dev/kvm ]; then
    echo "SKIP: /dev/kvm not present"
    exit 77
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not readable and writable by $(id -un)"
    exit 77
fi
if [ -z "$kernel" ] || [ ! -f "$kernel" ]; then
    echo "SKIP: test kernel not built (needs an x86-64 host compiler)"
    exit 77
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$dir/out

fail() {
    echo "FAIL: $mode: $*"
    echo "--- output:"
    cat "$out"
    exit 1
}

# The guest runs a few thousand instructions: even a software KVM (about
# 1000x slower than hardware) finishes in seconds.
case $mode in
serial)
    timeout 60 "$weft" -M microvm -accel kvm -m 32M -kernel "$kernel" \
        -append "weft-kvm-cmdline" -no-reboot -serial stdio \
        </dev/null >"$out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || fail "exit status $rc, want 0"
    grep -q "weft-kvm-test: serial: hello" "$out" || fail "no hello"
    grep -q "cmdline: weft-kvm-cmdline" "$out" || fail "no command line"
    grep -q "efer 0x0000000000000d00\|efer 0x0000000000000500" "$out" ||
        fail "not in long mode (EFER.LME|LMA)"
    grep -q "weft-kvm-test: serial: done" "$out" || fail "no done"
    ;;
reboot)
    timeout 60 "$weft" -M microvm -accel kvm -m 32M -kernel "$kernel" \
        -no-reboot -serial stdio </dev/null >"$out" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || fail "exit status $rc, want 0 (-no-reboot)"
    grep -q "reboot: boot 1" "$out" || fail "no first boot"
    ! grep -q "reboot: boot 2" "$out" || fail "rebooted despite -no-reboot"
    ;;
reboot-reset)
    "$weft" -M microvm -accel kvm -m 32M -kernel "$kernel" -serial stdio \
        </dev/null >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 600); do
        grep -q "reboot: done" "$out" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -q "reboot: boot 1" "$out" || fail "no first boot"
    grep -q "reboot: boot 2" "$out" || fail "the i8042 reset did not reboot"
    grep -q "reboot: done" "$out" || fail "no done after the reboot"
    ;;
*)
    echo "run-kvm.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
echo "PASS: kvm $mode"
