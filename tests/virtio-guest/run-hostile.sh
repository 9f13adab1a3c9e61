#!/bin/sh
# Runs the hostile virtio driver (hostile.elf) on -M virt -bios none and
# checks that it passed, that weft exited by itself (no crash, no hang)
# and, with a console, that its transmit lines reached the chardev and
# that its receive buffers got the chardev's whole input.
# Usage: run-hostile.sh WEFT ELF MODE
#   rng          -device virtio-rng-device; the UART on -chardev file
#   rng-console  rng, then a console on a stdio chardev fed from a file;
#                the UART goes to -serial file:PATH
#   iothread     both devices with iothread=io0
# An ELF of "" means the cross compiler was absent: SKIP (exit 77).
weft=$1 elf=$2 mode=$3
if [ -z "$elf" ]; then
    echo "SKIP: riscv64-unknown-elf-gcc not found, hostile.elf not built"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Must match CONSOLE_INPUT in hostile.c.
printf 'virtio-guest-input: the quick brown fox 0123456789\n' >"$dir/input"

console=
iot=
case $mode in
rng) ;;
rng-console) console=1 ;;
iothread) console=1 iot=,iothread=io0 ;;
*) echo "FAIL: unknown mode '$mode'"; exit 1 ;;
esac

set -- -M virt -smp 1 -m 64M -bios none -kernel "$elf"
[ -n "$iot" ] && set -- "$@" -object iothread,id=io0
set -- "$@" -device "virtio-rng-device$iot"
if [ -n "$console" ]; then
    set -- "$@" -serial "file:$dir/uart" -chardev stdio,id=con0 \
        -device "virtio-console-device,chardev=con0$iot"
else
    # The UART on a -chardev file, through -serial chardev:ID.
    set -- "$@" -chardev "file,id=uart,path=$dir/uart" -serial chardev:uart
fi
echo "\$ $weft $*"
timeout 60 "$weft" "$@" <"$dir/input" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/uart" "$dir/out"
cat "$dir/err" >&2
if [ "$rc" -eq 124 ]; then
    echo "FAIL: $mode: weft did not exit within 60 s (hang)"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: $mode: exit status $rc, want 0"
    exit 1
fi
log=$dir/uart
for want in "virtio-guest: rng ok" "virtio-guest: PASS"; do
    if ! grep -qF "$want" "$log"; then
        echo "FAIL: $mode: the guest did not report '$want'"
        exit 1
    fi
done
if [ -n "$console" ]; then
    for want in "virtio-guest: console rx ok" "virtio-guest: console ok"; do
        if ! grep -qF "$want" "$log"; then
            echo "FAIL: $mode: the guest did not report '$want'"
            exit 1
        fi
    done
    # Every sane transmit, in order, and nothing else on the chardev.
    n=$(grep -c '^virtio-guest: console tx [0-9]*$' "$dir/out")
    seq=$(seq 1 "$n" | sed 's/^/virtio-guest: console tx /')
    if [ "$n" -lt 30 ] || [ "$(cat "$dir/out")" != "$seq" ]; then
        echo "FAIL: $mode: the console output is not 'console tx 1..N'" \
             "(N = $n, want at least 30)"
        exit 1
    fi
    echo "ok: $n transmit lines on the chardev"
fi
echo "PASS: hostile virtio driver ($mode)"
