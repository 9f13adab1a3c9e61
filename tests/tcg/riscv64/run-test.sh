#!/bin/sh
# Runs one bare-metal guest test on -M spike and checks its exit status
# (0: the test wrote 1 to tohost) and, optionally, a string its console
# output must contain.
# Usage: run-test.sh WEFT ELF SMP [EXPECTED-OUTPUT]
# An ELF of "" means the cross compiler was absent: SKIP (exit 77).
weft=$1 elf=$2 smp=$3 want=$4
if [ -z "$elf" ]; then
    echo "SKIP: riscv64-unknown-elf-gcc not found, guest tests not built"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout 30 "$weft" -M spike -smp "$smp" -bios none -kernel "$elf" >"$out" 2>&1
rc=$?
cat "$out"
if [ "$rc" -eq 124 ]; then
    echo "FAIL: $elf timed out"
    exit 1
fi
if [ "$rc" -ne 0 ]; then
    echo "FAIL: $elf exited with $rc (guest failure number, or a crash)"
    exit 1
fi
if [ -n "$want" ] && ! grep -qF -- "$want" "$out"; then
    echo "FAIL: $elf: output lacks '$want'"
    exit 1
fi
echo "PASS: $elf (-smp $smp)"
