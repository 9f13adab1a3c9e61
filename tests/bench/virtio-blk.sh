#!/usr/bin/env bash
# virtio-blk in the RISC-V Linux guest, weft against Debian's
# qemu-system-riscv64 with the same device (virtio-blk-device on
# virtio-mmio), firmware, kernel, initramfs, raw image and cache mode:
#   - sequential write and read, MB/s (10^6 bytes/s): dd bs=1M with
#     O_DIRECT in the guest over the whole SIZE_MB MiB disk;
#   - 4 KiB random reads, IOPS: a small static program (cross-compiled
#     here with riscv64-linux-gnu-gcc, added to the initramfs) running
#     THREADS threads of O_DIRECT pread for IOPS_SECS seconds;
# each with the queue in the main loop and in an iothread (QEMU under TCG
# refuses iothread= on virtio-mmio: "ioeventfd is required for iothread",
# so its main-loop figures stand in for both rows).  Times are
# the guest's (dd's own figure, clock_gettime).  Median of RUNS boots per
# emulator and set-up, runs interleaved.  A benchmark, not a test.
# Usage: tests/bench/virtio-blk.sh [RUNS]        (default 3)
# WEFT (default: $BUILD/weft, BUILD=build), QEMU (qemu-system-riscv64),
# SIZE_MB (64), CACHE (writeback; or none), THREADS (4), IOPS_SECS (10),
# CROSS_CC (riscv64-linux-gnu-gcc) and WEFT_GUESTS override.  QEMU runs
# with its default aio=threads, weft with its default (io_uring when it
# works, see docs/block.md).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
runs=${1:-3}
BUILD=${BUILD:-build}
weft=${WEFT:-$BUILD/weft}
qemu=${QEMU:-qemu-system-riscv64}
size_mb=${SIZE_MB:-64}
cache=${CACHE:-writeback}
threads=${THREADS:-4}
iops_secs=${IOPS_SECS:-10}
cross_cc=${CROSS_CC:-riscv64-linux-gnu-gcc}
limit=600       # seconds per boot

case "$runs" in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]" >&2; exit 2 ;; esac
case "$size_mb" in '' | *[!0-9]* | 0) echo "SIZE_MB: a number of MiB" >&2; exit 2 ;; esac
case "$cache" in none | writeback) ;; *) echo "CACHE: none or writeback" >&2; exit 2 ;; esac
if ! guests=$(scripts/find-guests.sh 2>&1) || ! bios=$(scripts/find-guests.sh opensbi 2>&1 | tail -n 1); then
    echo "virtio-blk.sh: SKIP: ${guests:-$bios}"
    exit 0
fi
for emu in "$weft" "$qemu"; do
    if ! command -v "$emu" >/dev/null; then
        echo "virtio-blk.sh: SKIP: $emu not found"
        exit 0
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the random-read program, in a second cpio appended to the
# initramfs (Linux unpacks concatenated archives in order)
cat > "$tmp/randread.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int fd;
static uint64_t nblocks;
static volatile int stop;

static void *reader(void *arg)
{
    uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1, n = 0;
    void *buf;

    if (posix_memalign(&buf, 4096, 4096)) {
        exit(1);
    }
    while (!stop) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        if (pread(fd, buf, 4096, (off_t)(x % nblocks) * 4096) != 4096) {
            perror("pread");
            exit(1);
        }
        n++;
    }
    return (void *)(uintptr_t)n;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int nthreads = atoi(argv[2]);
    double secs = atof(argv[3]), t0;
    pthread_t tid[64];
    uint64_t size, total = 0;

    fd = open(argv[1], O_RDONLY | O_DIRECT);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || nthreads < 1 ||
        nthreads > 64) {
        perror(argv[1]);
        return 1;
    }
    nblocks = size / 4096;
    t0 = now();
    for (int i = 0; i < nthreads; i++) {
        pthread_create(&tid[i], NULL, reader, (void *)(uintptr_t)(i + 1));
    }
    usleep((useconds_t)(secs * 1e6));
    stop = 1;
    for (int i = 0; i < nthreads; i++) {
        void *n;

        pthread_join(tid[i], &n);
        total += (uintptr_t)n;
    }
    printf("W-iops %.0f\n", total / (now() - t0));
    return 0;
}
EOF

# newc cpio with /bin/randread, gzip'd (no cpio(1) needed).
mkcpio() {
    python3 - "$1" "$2" <<'EOF'
import gzip, os, sys
src, out = sys.argv[1], sys.argv[2]
def entry(name, mode, data=b''):
    name = name.encode() + b'\0'
    hdr = b'070701' + b''.join(b'%08x' % v for v in (
        0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0))
    pad = lambda n: b'\0' * (-n % 4)
    return hdr + name + pad(110 + len(name)) + data + pad(len(data))
body = entry('bin/randread', 0o100755, open(src, 'rb').read())
body += entry('TRAILER!!!', 0)
with gzip.open(out, 'wb') as f:
    f.write(body)
EOF
}

initrd=$guests/riscv64/initramfs.cpio.gz
have_iops=0
if command -v "$cross_cc" >/dev/null &&
   "$cross_cc" -static -O2 -pthread -o "$tmp/randread" "$tmp/randread.c" \
       2>"$tmp/cc.log" && mkcpio "$tmp/randread" "$tmp/extra.cpio.gz"; then
    cat "$initrd" "$tmp/extra.cpio.gz" > "$tmp/initramfs.cpio.gz"
    initrd=$tmp/initramfs.cpio.gz
    have_iops=1
else
    echo "note: no static $cross_cc: random-read IOPS skipped" >&2
fi

# ---- one boot

script="dd if=/dev/zero of=/dev/vda bs=1M count=$size_mb oflag=direct 2>/tmp/w; echo W-write \$(tail -1 /tmp/w); dd if=/dev/vda of=/dev/null bs=1M count=$size_mb iflag=direct 2>/tmp/r; echo W-read \$(tail -1 /tmp/r)"
if [ "$have_iops" = 1 ]; then
    script="$script; randread /dev/vda $threads $iops_secs"
fi

# dd's "N bytes (...) copied, S seconds, ..." -> MB/s from N and S.
dd_rate() {
    sed -n "s/^$1 \([0-9]*\) bytes .* copied, \([0-9.]*\) seconds.*/\1 \2/p" "$tmp/out" |
        awk '{ if ($2 > 0) printf "%.1f\n", $1 / $2 / 1e6 }'
}

# run_once EMULATOR IOTHREAD(0/1): appends the figures to $tmp/<name>.*
run_once() {
    local name=$3 dev="virtio-blk-device,drive=d0" obj=()
    if [ "$2" = 1 ]; then
        obj=(-object iothread,id=io0)
        dev="$dev,iothread=io0"
    fi
    truncate -s 0 "$tmp/disk.img"
    truncate -s "${size_mb}M" "$tmp/disk.img"
    timeout -k 5 "$limit" "$1" -M virt -smp 2 -m 512M -nographic -no-reboot \
        -bios "$bios" -kernel "$guests/riscv64/Image" -initrd "$initrd" \
        "${obj[@]}" \
        -drive "file=$tmp/disk.img,format=raw,if=none,id=d0,cache=$cache" \
        -device "$dev" \
        -append "console=ttyS0 WEFT_RUN=\"$script\"" \
        </dev/null >"$tmp/out" 2>&1
    if grep -q 'ioeventfd is required for iothread' "$tmp/out"; then
        touch "$tmp/$name.unsupported"
        return 1
    fi
    if ! grep -q 'weft-guest: exit 0' "$tmp/out"; then
        echo "$name: run failed; last lines:" >&2
        tail -5 "$tmp/out" >&2
        return 1
    fi
    dd_rate W-write >> "$tmp/$name.write"
    dd_rate W-read >> "$tmp/$name.read"
    sed -n 's/^W-iops \([0-9]*\).*/\1/p' "$tmp/out" >> "$tmp/$name.iops"
}

median() {
    sort -n "$1" 2>/dev/null | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) printf "%.1f", v[(NR + 1) / 2]
        else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v w="$1" -v q="$2" 'BEGIN { if (q > 0) printf "%.2fx", w / q; else print "-" }'
    else
        echo "-"
    fi
}

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "guests: $guests; disk $size_mb MiB raw, cache=$cache; $threads random-read threads for $iops_secs s; $runs run(s) each"
echo "weft: $weft"
echo "qemu: $qemu ($("$qemu" --version 2>/dev/null | head -1))"
for ((i = 0; i < runs; i++)); do
    for io in 0 1; do
        run_once "$weft" "$io" "weft$io" || true
        [ -e "$tmp/qemu$io.unsupported" ] || run_once "$qemu" "$io" "qemu$io" || true
    done
done
printf '%-14s %12s %12s %8s\n' "" weft qemu "weft/qemu"
for io in 0 1; do
    where=$([ "$io" = 1 ] && echo "iothread" || echo "main loop")
    for m in write read iops; do
        w=$(median "$tmp/weft$io.$m")
        qio=$io
        [ -e "$tmp/qemu$io.unsupported" ] && qio=0
        q=$(median "$tmp/qemu$qio.$m")
        unit=$([ "$m" = iops ] && echo "IOPS" || echo "MB/s")
        printf '%-14s %12s %12s %8s\n' "$m ($unit)" "${w:-n/a}" "${q:-n/a}" "$(ratio "$w" "$q")"
    done | sed "1i -- $where"
done
if [ -e "$tmp/qemu1.unsupported" ]; then
    echo "(qemu: iothread= refused under TCG; its main-loop figures are repeated in the iothread rows)"
fi
echo "(higher is better; each figure is the median of these runs:)"
for f in weft0 qemu0 weft1 qemu1; do
    for m in write read iops; do
        [ -s "$tmp/$f.$m" ] && echo "  $f $m: $(tr '\n' ' ' < "$tmp/$f.$m")"
    done
done
exit 0
