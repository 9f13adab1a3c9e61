#!/bin/sh
# Board-level errors of -M virt that need no guest files: each must exit
# with status 1 and exactly one line on stderr matching a pattern.
# (tests/boot/errors.sh covers the same with the real OpenSBI and Linux.)
# Usage: errors.sh WEFT
weft=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

printf '\157\000\000\000' >"$dir/raw.bin"
head -c 4096 /dev/urandom >"$dir/random.bin"
: >"$dir/empty.bin"
# A Linux Image header claiming 1 GiB: magic "RISCV\0\0\0" at 48,
# "RSC\x05" at 56, image_size at 16.
head -c 64 /dev/zero >"$dir/big-Image"
printf '\000\000\000\100' | dd of="$dir/big-Image" bs=1 seek=16 conv=notrunc 2>/dev/null
printf 'RISCV\000\000\000RSC\005' | dd of="$dir/big-Image" bs=1 seek=48 conv=notrunc 2>/dev/null

expect() {
    name=$1 pattern=$2
    shift 2
    timeout 20 "$weft" -M virt -serial null "$@" </dev/null >"$dir/out" 2>"$dir/err"
    rc=$?
    lines=$(grep -c . "$dir/err")
    if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qiE -- "$pattern" "$dir/err"; then
        echo "ok: $name: $(cat "$dir/err")"
    else
        echo "FAIL: $name: status $rc, $lines line(s), want 1 matching '$pattern':"
        cat "$dir/err"
        failures=$((failures + 1))
    fi
}

expect "-bios none without -kernel" "-kernel" -bios none
expect "missing firmware" "no-such-fw" -bios "$dir/no-such-fw" -kernel "$dir/raw.bin"
expect "empty firmware" "empty.bin" -bios "$dir/empty.bin" -kernel "$dir/raw.bin"
expect "kernel neither ELF nor Image" "random.bin.*(Image|magic)" \
    -bios "$dir/raw.bin" -kernel "$dir/random.bin"
expect "kernel larger than RAM" "big-Image.*-m" -m 64M \
    -bios "$dir/raw.bin" -kernel "$dir/big-Image"
expect "missing initrd" "no-such-initrd" -bios none -kernel "$dir/raw.bin" \
    -initrd "$dir/no-such-initrd"
expect "-m beyond the board" "-m" -m 2T -bios none -kernel "$dir/raw.bin"
expect "-m too small for the DT" "-m|small" -m 2M -bios none -kernel "$dir/raw.bin"
expect "-smp 9" "smp|cpu" -smp 9 -bios none -kernel "$dir/raw.bin"
expect "-smp 0" "smp|cpu" -smp 0 -bios none -kernel "$dir/raw.bin"
expect "bad dumpdtb path" "dumpdtb" -M virt,dumpdtb="$dir/no/such/dir/x.dtb" \
    -bios none -kernel "$dir/raw.bin"

[ "$failures" -eq 0 ] || { echo "FAIL: $failures case(s)"; exit 1; }
echo "PASS: virt errors"
