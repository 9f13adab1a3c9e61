#!/usr/bin/env bash
# CPU benchmark: bare-metal RISC-V workloads (tests/bench/riscv/*.c) on
# weft -M spike and on qemu-system-riscv64 -M spike, in the same run.
# For each workload: the guest's retired instructions (minstret, read by
# the workload around its work), wall time of the whole emulator process
# (median of RUNS), guest MIPS for each and the MIPS ratio weft/qemu.
# The checksums printed by both must match.  With ICOUNT=1 (default) qemu
# also runs once with -icount shift=0, where its minstret is exact, to
# cross-check weft's instruction count (plain qemu TCG returns host ticks
# for minstret, so the count always comes from weft).
#
# Usage: tests/bench/cpu.sh [workload...]
# BUILD (default build), RUNS (3), QEMU (qemu-system-riscv64), ICOUNT.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
QEMU=${QEMU:-qemu-system-riscv64}
ICOUNT=${ICOUNT:-1}
TIMEOUT=300
if [ $# -gt 0 ]; then
    WORKLOADS="$*"
else
    WORKLOADS="crc32 sort matmul strhash mix fp"
fi

die() {
    echo "cpu.sh: $*" >&2
    exit 1
}

if ! command -v riscv64-unknown-elf-gcc >/dev/null; then
    die "riscv64-unknown-elf-gcc not installed (scripts/install-deps.sh)"
fi
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" >/dev/null
fi
targets="weft"
for w in $WORKLOADS; do
    [ -f "tests/bench/riscv/$w.c" ] || die "no workload '$w'"
    targets="$targets tests/bench/riscv/$w.elf"
done
# shellcheck disable=SC2086
ninja -C "$BUILD" $targets >/dev/null
have_qemu=1
if ! command -v "$QEMU" >/dev/null; then
    echo "cpu.sh: $QEMU not found, weft only" >&2
    have_qemu=0
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run_once NAME CMD...: runs the emulator, checks the exit status and the
# report line; sets t (microseconds), n (instret) and c (checksum).
run_once() {
    local name=$1 start end line
    shift
    start=$(date +%s%N)
    if ! timeout "$TIMEOUT" "$@" </dev/null >"$out" 2>&1; then
        cat "$out" >&2
        die "$name: '$*' failed"
    fi
    end=$(date +%s%N)
    line=$(grep -a '^bench ' "$out" | tail -n 1 | tr -d '\r')
    [ -n "$line" ] || { cat "$out" >&2; die "$name: no report line"; }
    # "bench NAME instret N checksum C"
    # shellcheck disable=SC2086
    set -- $line
    t=$(( (end - start) / 1000 )) n=$4 c=$6
}

# median of the numbers on stdin (separated by blanks)
median() {
    tr ' ' '\n' | awk 'NF' | sort -n |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
qemu_version=$("$QEMU" --version 2>/dev/null | head -n 1 || echo none)
echo "host: $(nproc) cores, $cpu_model, $(uname -m)"
echo "weft: $BUILD/weft; qemu: $qemu_version"
echo "runs per figure: $RUNS (median); times are whole-process wall time"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| workload | guest insns (M) | weft s | weft MIPS | qemu s |" \
     "qemu MIPS | weft/qemu |"
echo "|---|---|---|---|---|---|---|"
ratios=""
notes=""
for w in $WORKLOADS; do
    elf=$BUILD/tests/bench/riscv/$w.elf
    weft_t="" qemu_t="" insns="" sum=""
    # weft and qemu alternate, so a change in host load hits both alike
    for _ in $(seq "$RUNS"); do
        run_once "$w on weft" \
            "$BUILD/weft" -M spike -bios none -kernel "$elf"
        weft_t="$weft_t $t"
        insns=$n
        [ -z "$sum" ] || [ "$sum" = "$c" ] || die "$w: weft checksum changed"
        sum=$c
        if [ $have_qemu = 1 ]; then
            run_once "$w on qemu" \
                "$QEMU" -M spike -bios none -nographic -kernel "$elf"
            qemu_t="$qemu_t $t"
            [ "$c" = "$sum" ] || die "$w: checksum weft $sum, qemu $c"
        fi
    done
    weft_med=$(echo "$weft_t" | median)
    qemu_med=""
    if [ $have_qemu = 1 ]; then
        qemu_med=$(echo "$qemu_t" | median)
        if [ "$ICOUNT" = 1 ]; then
            run_once "$w on qemu -icount" \
                "$QEMU" -M spike -bios none -nographic -icount shift=0 \
                -kernel "$elf"
            notes="$notes$w: minstret weft $insns, qemu -icount $n\n"
        fi
    fi
    awk -v w="$w" -v n="$insns" -v a="$weft_med" -v b="$qemu_med" 'BEGIN {
        wm = n / a; line = sprintf("| %s | %.1f | %.2f | %.0f |", w,
            n / 1e6, a / 1e6, wm)
        if (b != "") {
            qm = n / b
            line = line sprintf(" %.2f | %.0f | %.2f |", b / 1e6, qm, wm / qm)
        } else {
            line = line " - | - | - |"
        }
        print line
    }'
    if [ -n "$qemu_med" ]; then
        ratios="$ratios $(awk -v a="$weft_med" -v b="$qemu_med" \
            'BEGIN { print b / a }')"
    fi
done
if [ -n "$ratios" ]; then
    echo "$ratios" | tr ' ' '\n' | awk 'NF { s += log($1); k++ }
        END { printf "\ngeometric mean weft/qemu (MIPS): %.2f\n", exp(s / k) }'
fi
if [ -n "$notes" ]; then
    printf '\ninstruction count cross-check:\n%b' "$notes"
fi
