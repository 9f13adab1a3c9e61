#!/bin/sh
# Runs the embedded default guest (roms/demo) as `make run` does:
# -M virt -bios none -smp N; every hart must greet on the UART and hart 0
# must power the machine off with status 0.
# Usage: demo.sh EMULATOR DEMO-ELF [SMP]   (an ELF of "": SKIP)
emu=$1 elf=$2 smp=${3:-2}
if [ -z "$elf" ]; then
    echo "SKIP: riscv64-unknown-elf-gcc not found, roms/demo not built"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout -k 5 60 "$emu" -M virt -smp "$smp" -nographic -bios none \
    -kernel "$elf" </dev/null >"$out" 2>&1
rc=$?
cat "$out"
if [ "$rc" -ne 0 ]; then
    echo "FAIL: exit status $rc, want 0 (124: timed out)"
    exit 1
fi
hart=0
while [ "$hart" -lt "$smp" ]; do
    if [ "$(grep -c "^weft: hello from hart $hart.\?\$" "$out")" -ne 1 ]; then
        echo "FAIL: want exactly one greeting from hart $hart"
        exit 1
    fi
    hart=$((hart + 1))
done
if ! grep -q "^weft: $smp hart(s) said hello, powering off" "$out"; then
    echo "FAIL: hart 0 did not report $smp harts before powering off"
    exit 1
fi
echo "PASS: $smp harts greeted, status 0"
