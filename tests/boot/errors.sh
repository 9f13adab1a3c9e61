#!/usr/bin/env bash
# Bad command lines on -M virt: missing or corrupt kernel, initrd and
# firmware files, -m larger than the host can map, -smp 0.  Each must end
# the emulator with status 1 and one clear line on stderr (naming the bad
# file or option), quickly and without a crash.
# Usage: errors.sh EMULATOR
set -u
emu=${1:?usage: errors.sh EMULATOR}
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! guests=$("$root/scripts/find-guests.sh" 2>&1); then
    echo "SKIP: $guests"
    exit 77
fi
if ! bios=$("$root/scripts/find-guests.sh" opensbi 2>&1 | tail -n 1) ||
   [ ! -s "$bios" ]; then
    echo "SKIP: $bios"
    exit 77
fi
image=$guests/riscv64/Image
initrd=$guests/riscv64/initramfs.cpio.gz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Bad files, made here so the test needs nothing else.
head -c 65536 /dev/urandom > "$tmp/random.bin"
: > "$tmp/empty.bin"
printf '\177ELF\002\001\001' > "$tmp/truncated.elf"   # ELF magic, no header
truncate -s 2G "$tmp/huge-initrd.img"                  # sparse, > -m 256M

failures=0
# expect NAME PATTERN ARGS...: the emulator must exit 1 with one stderr
# line matching PATTERN (extended regex, any case), within 30 s.  A wrongly
# accepted input would boot: WEFT_RUN=true and -no-reboot end such a boot.
expect() {
    local name=$1 pattern=$2
    shift 2
    timeout -k 5 30 "$emu" -M virt -nographic -no-reboot "$@" \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    local rc=$? lines
    lines=$(grep -c . "$tmp/err")
    if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qiE -- "$pattern" "$tmp/err" &&
       ! grep -qiE 'assert|sanitizer|segmentation|core dumped' "$tmp/err"; then
        echo "ok: $name: $(cat "$tmp/err")"
        return
    fi
    echo "FAIL: $name: status $rc (want 1), $lines stderr line(s) (want 1" \
         "matching '$pattern'):"
    sed 's/^/    /' "$tmp/err" | head -20
    failures=$((failures + 1))
}

run_true='console=ttyS0 WEFT_RUN="true"'
boot=(-bios "$bios" -kernel "$image" -initrd "$initrd" -append "$run_true")

expect "missing kernel" "$tmp/no-such-Image" \
    -bios "$bios" -kernel "$tmp/no-such-Image" -initrd "$initrd" -append "$run_true"
expect "kernel is a directory" "$tmp" \
    -bios "$bios" -kernel "$tmp" -initrd "$initrd" -append "$run_true"
expect "corrupt kernel (random bytes)" "$tmp/random.bin" \
    -bios "$bios" -kernel "$tmp/random.bin" -initrd "$initrd" -append "$run_true"
expect "corrupt kernel (empty file)" "$tmp/empty.bin" \
    -bios "$bios" -kernel "$tmp/empty.bin" -initrd "$initrd" -append "$run_true"
expect "corrupt kernel (truncated ELF)" "$tmp/truncated.elf" \
    -bios "$bios" -kernel "$tmp/truncated.elf" -initrd "$initrd" -append "$run_true"
expect "missing initrd" "$tmp/no-such-initrd" \
    -bios "$bios" -kernel "$image" -initrd "$tmp/no-such-initrd" -append "$run_true"
expect "initrd larger than RAM" "$tmp/huge-initrd.img" -m 256M \
    -bios "$bios" -kernel "$image" -initrd "$tmp/huge-initrd.img" -append "$run_true"
expect "missing firmware" "$tmp/no-such-fw.bin" \
    -bios "$tmp/no-such-fw.bin" -kernel "$image" -initrd "$initrd" -append "$run_true"
expect "corrupt firmware (empty file)" "$tmp/empty.bin" \
    -bios "$tmp/empty.bin" -kernel "$image" -initrd "$initrd" -append "$run_true"
expect "corrupt firmware (truncated ELF)" "$tmp/truncated.elf" \
    -bios "$tmp/truncated.elf" -kernel "$image" -initrd "$initrd" -append "$run_true"
expect "-m larger than the host can map" "ram|memory|-m" -m 1E "${boot[@]}"
expect "-smp 0" "smp|cpu" -smp 0 "${boot[@]}"

if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures bad command line(s) not rejected cleanly"
    exit 1
fi
echo "PASS: every bad command line gave one clear error and status 1"
