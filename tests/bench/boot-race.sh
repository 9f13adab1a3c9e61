#!/usr/bin/env bash
# How often a -smp 2 Linux boot hangs, on weft and on Debian's
# qemu-system-riscv64, with a given OpenSBI: BOOTS boots each, PAR at a
# time (parallel boots load the host, which is what opens the firmware's
# hart-start race; see docs/virt.md, "Firmware"). A boot that does not
# power off within LIMIT seconds counts as hung.
# Usage: tests/bench/boot-race.sh [BOOTS [PAR]]     (default 12 6)
# BIOS (default: scripts/find-guests.sh opensbi), WEFT (default:
# $BUILD/weft, BUILD=build), QEMU (qemu-system-riscv64), LIMIT (90) and
# WEFT_GUESTS override. Compare BIOS=/usr/lib/riscv64-linux-gnu/opensbi/
# generic/fw_dynamic.bin (Debian 12's 1.1) with the fetched one.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
boots=${1:-12} par=${2:-6}
BUILD=${BUILD:-build}
weft=${WEFT:-$BUILD/weft}
qemu=${QEMU:-qemu-system-riscv64}
limit=${LIMIT:-90}

for n in "$boots" "$par"; do
    case "$n" in '' | *[!0-9]* | 0) echo "usage: $0 [BOOTS [PAR]]" >&2; exit 2 ;; esac
done
if ! guests=$(scripts/find-guests.sh 2>&1); then
    echo "boot-race.sh: SKIP: $guests"
    exit 0
fi
bios=${BIOS:-$(scripts/find-guests.sh opensbi 2>/dev/null)}
if [ ! -s "$bios" ]; then
    echo "boot-race.sh: SKIP: no OpenSBI (scripts/find-guests.sh opensbi)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot EMULATOR N: one boot; leaves its exit status in $tmp/N.rc.
boot() {
    timeout -k 5 "$limit" "$1" -M virt -smp 2 -m 512M -nographic \
        -no-reboot -bios "$bios" -kernel "$guests/riscv64/Image" \
        -initrd "$guests/riscv64/initramfs.cpio.gz" \
        -append 'console=ttyS0 WEFT_RUN="true"' </dev/null >"$tmp/$2.log" 2>&1
    echo $? > "$tmp/$2.rc"
}

# hangs EMULATOR: runs the boots, prints "HUNG OTHER-FAILURES".
hangs() {
    local i running=0
    rm -f "$tmp"/*.rc
    for i in $(seq "$boots"); do
        boot "$1" "$i" &
        running=$((running + 1))
        if [ "$running" -ge "$par" ]; then
            wait -n
            running=$((running - 1))
        fi
    done
    wait
    awk '$1 == 124 { h++ } $1 != 0 && $1 != 124 { f++ }
         END { printf "%d %d\n", h, f }' "$tmp"/*.rc
}

version=$(cat "$(dirname "$bios")/VERSION" 2>/dev/null || echo "Debian's installed")
echo "firmware: $bios ($version)"
echo "$boots boots of -smp 2 each, $par at a time, limit $limit s"
printf '%-22s %6s %8s\n' emulator hung "failed"
for emu in "$weft" "$qemu"; do
    if ! command -v "$emu" >/dev/null; then
        printf '%-22s %s\n' "$(basename "$emu")" "not found"
        continue
    fi
    read -r h f < <(hangs "$emu")
    printf '%-22s %6s %8s\n' "$(basename "$emu")" "$h/$boots" "$f"
done
echo "host: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
