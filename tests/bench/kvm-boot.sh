#!/usr/bin/env bash
# KVM boot time: from process start to the guest's "weft-guest: ready"
# line, weft -M microvm vs Debian's qemu-system-x86_64 -enable-kvm
# -M microvm, same kernel (x86_64/vmlinuz of the test guests),
# initramfs and command line (WEFT_RUN=true: init powers off at once);
# median of RUNS runs per -smp, runs of the two interleaved.  Also the
# total wall time to exit.
#
# The figures mean something only on hardware KVM: a software KVM (the
# project's build machines) is about 1000x slower and measures the
# emulation of the CPU, not weft.  Without /dev/kvm it says so and exits 0.
#
# Usage: tests/bench/kvm-boot.sh [RUNS]      (default 3)
# WEFT (default: $BUILD/weft, BUILD=build), QEMU (qemu-system-x86_64),
# SMPS ("1 2"), LIMIT (seconds per boot, 120) and WEFT_GUESTS override.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
runs=${1:-3}
BUILD=${BUILD:-build}
weft=${WEFT:-$BUILD/weft}
qemu=${QEMU:-qemu-system-x86_64}
smps=${SMPS:-1 2}
limit=${LIMIT:-120}
calibrate=$BUILD/tests/kvm/kvm-calibrate.elf

echo "kvm-boot.sh: the figures are only meaningful on hardware KVM" \
     "(a software KVM is ~1000x slower)."
case "$runs" in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]" >&2; exit 2 ;; esac
if [ ! -e /dev/kvm ]; then
    echo "kvm-boot.sh: no /dev/kvm on this host: nothing to measure."
    exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "kvm-boot.sh: /dev/kvm is not readable and writable by $(id -un):" \
         "nothing to measure."
    exit 0
fi
if ! guests=$(scripts/find-guests.sh 2>&1); then
    echo "kvm-boot.sh: SKIP: $guests"
    exit 0
fi
kernel=$guests/x86_64/vmlinuz
initrd=$guests/x86_64/initramfs.cpio.gz
if [ ! -s "$kernel" ] || [ ! -s "$initrd" ]; then
    echo "kvm-boot.sh: SKIP: no x86_64/vmlinuz and initramfs.cpio.gz in $guests"
    exit 0
fi
append='console=ttyS0 reboot=k panic=-1 WEFT_RUN="true"'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }

# How fast this KVM runs guest code: the calibration kernel's ticks
# (2^20 loop iterations each) over at most 5 s.
calibrate_kvm() {
    local start t0 t1 ticks
    [ -x "$weft" ] && [ -f "$calibrate" ] || return 0
    "$weft" -M microvm -accel kvm -m 32M -kernel "$calibrate" -no-reboot \
        -serial stdio </dev/null >"$tmp/cal" 2>&1 &
    local pid=$!
    start=$(now)
    t0=
    for _ in $(seq 500); do
        [ -z "$t0" ] && grep -q 'calibrate: start' "$tmp/cal" && t0=$(now)
        grep -q 'calibrate: done' "$tmp/cal" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    t1=$(now)
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    ticks=$(grep -c 'calibrate: tick' "$tmp/cal")
    awk -v a="${t0:-$start}" -v b="$t1" -v n="$ticks" 'BEGIN {
        printf "calibration: %d ticks in %.2f s = %.3g loop iterations/s " \
               "(hardware KVM: ~1e9, software: ~1e6)\n", n, b - a,
               n * 1048576 / (b - a) }'
}

# boot_once NAME SMP: prints "READY-SECONDS TOTAL-SECONDS", or fails when
# the guest never said it was ready or did not exit.
boot_once() {
    local name=$1 smp=$2 start ready= pid
    start=$(now)
    case $name in
    weft)
        "$weft" -M microvm -accel kvm -smp "$smp" -m 512M \
            -kernel "$kernel" -initrd "$initrd" -append "$append" \
            -no-reboot -serial stdio </dev/null >"$tmp/out" 2>&1 &
        ;;
    qemu)
        "$qemu" -enable-kvm -M microvm -smp "$smp" -m 512M \
            -kernel "$kernel" -initrd "$initrd" -append "$append" \
            -no-reboot -nographic </dev/null >"$tmp/out" 2>&1 &
        ;;
    esac
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ -z "$ready" ] && grep -q 'weft-guest: ready' "$tmp/out"; then
            ready=$(now)
        fi
        if awk -v s="$start" -v n="$(now)" -v l="$limit" \
               'BEGIN { exit !(n - s > l) }'; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            return 1
        fi
        sleep 0.005
    done
    wait "$pid" 2>/dev/null
    [ -n "$ready" ] || { grep -q 'weft-guest: ready' "$tmp/out" && ready=$(now); }
    [ -n "$ready" ] && grep -q 'weft-guest: exit 0' "$tmp/out" || return 1
    awk -v s="$start" -v r="$ready" -v e="$(now)" \
        'BEGIN { printf "%.3f %.3f\n", r - s, e - s }'
}

# median FILE COLUMN
median() {
    sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END {
        if (NR == 0) exit 1
        if (NR % 2) printf "%.3f", v[(NR + 1) / 2]
        else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

calibrate_kvm
have_qemu=1
command -v "$qemu" >/dev/null 2>&1 || { have_qemu=; echo "kvm-boot.sh: no $qemu: weft only"; }
[ -x "$weft" ] || { echo "kvm-boot.sh: $weft is not built" >&2; exit 1; }

printf '%-6s %-6s %14s %14s %s\n' smp runner "ready (s)" "exit (s)" failed
for smp in $smps; do
    : >"$tmp/weft.t"
    : >"$tmp/qemu.t"
    fails_weft=0 fails_qemu=0
    for _ in $(seq "$runs"); do
        if r=$(boot_once weft "$smp"); then echo "$r" >>"$tmp/weft.t"
        else fails_weft=$((fails_weft + 1)); cp "$tmp/out" "$tmp/weft.fail"; fi
        if [ -n "$have_qemu" ]; then
            if r=$(boot_once qemu "$smp"); then echo "$r" >>"$tmp/qemu.t"
            else fails_qemu=$((fails_qemu + 1)); fi
        fi
    done
    printf '%-6s %-6s %14s %14s %s\n' "$smp" weft \
        "$(median "$tmp/weft.t" 1 || echo -)" \
        "$(median "$tmp/weft.t" 2 || echo -)" "$fails_weft"
    if [ -n "$have_qemu" ]; then
        printf '%-6s %-6s %14s %14s %s\n' "$smp" qemu \
            "$(median "$tmp/qemu.t" 1 || echo -)" \
            "$(median "$tmp/qemu.t" 2 || echo -)" "$fails_qemu"
    fi
    if [ -s "$tmp/weft.fail" ]; then
        echo "last failed weft boot (-smp $smp), end of its output:"
        tail -n 20 "$tmp/weft.fail"
        rm -f "$tmp/weft.fail"
    fi
done
