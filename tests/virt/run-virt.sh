#!/bin/sh
# Runs a bare-metal program on -M virt -bios none and checks its exit
# status and console output.
# Usage: run-virt.sh WEFT ELF MODE
#   checks    exit 0; fdt, fw_dynamic_info, sswi and sstc lines
#   fail      exit 42 (sifive_test 0x3333 with code 42)
#   reset     exit 0 after "boot 1" then "boot 2" (0x7777 resets)
#   noreboot  with -no-reboot: exit 0 after "boot 1" only
# An ELF of "" means the cross compiler was absent: SKIP (exit 77).
weft=$1 elf=$2 mode=$3
if [ -z "$elf" ]; then
    echo "SKIP: riscv64-unknown-elf-gcc not found, virt guest tests not built"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
extra=
[ "$mode" = noreboot ] && extra=-no-reboot
for smp in 1 2; do
    timeout 30 "$weft" -M virt -smp $smp -m 64M -bios none -kernel "$elf" \
        -serial stdio $extra </dev/null >"$out" 2>&1
    rc=$?
    cat "$out"
    want_rc=0
    [ "$mode" = fail ] && want_rc=42
    if [ "$rc" -ne "$want_rc" ]; then
        echo "FAIL: $mode -smp $smp: exit status $rc, expected $want_rc"
        exit 1
    fi
    case $mode in
    checks) want="fdt ok|fw_dynamic_info ok|sswi ok|sstc ok" ;;
    fail) want="failing with 42" ;;
    reset) want="boot 1|boot 2" ;;
    noreboot) want="boot 1" ;;
    esac
    IFS='|'
    for w in $want; do
        if ! grep -qF "virt-test: $w" "$out"; then
            echo "FAIL: $mode -smp $smp: output lacks 'virt-test: $w'"
            exit 1
        fi
    done
    unset IFS
    if [ "$mode" = noreboot ] && grep -qF "boot 2" "$out"; then
        echo "FAIL: -no-reboot: the machine booted a second time"
        exit 1
    fi
    if grep -qF "FAILED" "$out" || grep -qF "unexpected trap" "$out"; then
        echo "FAIL: $mode -smp $smp: the guest reported a failure"
        exit 1
    fi
done
echo "PASS: virt $mode"
