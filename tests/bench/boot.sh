#!/usr/bin/env bash
# Boot-to-poweroff wall time of the Linux test guest on weft and on
# Debian's qemu-system-riscv64, same firmware, kernel, initramfs and
# command line (WEFT_RUN=true: init powers off as soon as it is up), for
# -smp 1 and -smp 2; median of RUNS runs, runs of the two interleaved.
# Usage: tests/bench/boot.sh [RUNS]      (default 3)
# WEFT (default: $BUILD/weft, BUILD=build), QEMU (qemu-system-riscv64),
# SMPS ("1 2") and WEFT_GUESTS (see scripts/find-guests.sh) override.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
runs=${1:-3}
BUILD=${BUILD:-build}
weft=${WEFT:-$BUILD/weft}
qemu=${QEMU:-qemu-system-riscv64}
smps=${SMPS:-1 2}
limit=300       # seconds; a boot that takes longer counts as failed

case "$runs" in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]" >&2; exit 2 ;; esac
if ! guests=$(scripts/find-guests.sh 2>&1) || ! bios=$(scripts/find-guests.sh opensbi 2>&1 | tail -n 1); then
    echo "boot.sh: SKIP: ${guests:-$bios}"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# boot_once EMULATOR SMP: prints the wall time in seconds and the peak RSS
# in KiB, or fails when the guest did not run its script and power off.
boot_once() {
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -f %M -o "$tmp/rss" timeout -k 5 "$limit" "$1" -M virt \
        -smp "$2" -m 512M -nographic -no-reboot -bios "$bios" \
        -kernel "$guests/riscv64/Image" \
        -initrd "$guests/riscv64/initramfs.cpio.gz" \
        -append 'console=ttyS0 WEFT_RUN="true"' </dev/null >"$tmp/out" 2>&1 ||
        return 1
    end=$(date +%s.%N)
    grep -q 'weft-guest: exit 0' "$tmp/out" || return 1
    awk -v s="$start" -v e="$end" -v rss="$(tail -1 "$tmp/rss")" \
        'BEGIN { printf "%.3f %s\n", e - s, rss }'
}

# median FILE: the median of the first column of FILE's lines.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) printf "%.2f", v[(NR + 1) / 2]
        else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

max_rss_mib() {
    sort -n -k2 "$1" | tail -1 | awk '{ printf "%.0f", $2 / 1024 }'
}

# cell SECONDS RSS-MIB: one table cell; no time means every run failed.
cell() {
    if [ -n "$1" ]; then
        echo "$1 s ${2}M"
    else
        echo failed
    fi
}

echo "host: $(nproc) cores, $(uname -m), load average $(cut -d' ' -f1-3 /proc/loadavg); guests: $guests; $runs run(s) each"
echo "weft: $weft"
echo "qemu: $qemu ($("$qemu" --version 2>/dev/null | head -1))"
printf '%-6s %14s %14s %8s\n' "-smp" "weft (s, RSS)" "qemu (s, RSS)" "ratio"
for smp in $smps; do
    : > "$tmp/weft-$smp"
    : > "$tmp/qemu-$smp"
    for ((i = 0; i < runs; i++)); do
        boot_once "$weft" "$smp" >> "$tmp/weft-$smp"
        boot_once "$qemu" "$smp" >> "$tmp/qemu-$smp"
    done
    w=$(median "$tmp/weft-$smp") wr=$(max_rss_mib "$tmp/weft-$smp")
    q=$(median "$tmp/qemu-$smp") qr=$(max_rss_mib "$tmp/qemu-$smp")
    ratio=-
    if [ -n "$w" ] && [ -n "$q" ]; then
        ratio=$(awk -v w="$w" -v q="$q" 'BEGIN { printf "%.2fx", w / q }')
    fi
    printf '%-6s %14s %14s %8s\n' "$smp" "$(cell "$w" "$wr")" \
        "$(cell "$q" "$qr")" "$ratio"
done
echo "(ratio: weft time / qemu time; lower is better for weft)"
