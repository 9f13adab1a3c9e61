#!/usr/bin/env bash
# TCP throughput guest -> host through virtio-net and -netdev user (slirp),
# weft against Debian's qemu-system-riscv64 with the same device
# (virtio-net-device on virtio-mmio), firmware, kernel and initramfs.  The
# guest (-smp 2) pipes SIZE_MB MiB from dd through busybox nc to 10.0.2.2,
# which slirp turns into a connection to a sink on the host's 127.0.0.1;
# the sink times from the first byte to the last.  Median of RUNS runs per
# emulator, runs of the two interleaved.  A benchmark, not a test.
# Usage: tests/bench/virtio-net.sh [RUNS]        (default 3)
# WEFT (default: $BUILD/weft, BUILD=build), QEMU (qemu-system-riscv64),
# SIZE_MB (32) and WEFT_GUESTS (see scripts/find-guests.sh) override.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
runs=${1:-3}
BUILD=${BUILD:-build}
weft=${WEFT:-$BUILD/weft}
qemu=${QEMU:-qemu-system-riscv64}
size_mb=${SIZE_MB:-32}
limit=300       # seconds per run, boot included

case "$runs" in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]" >&2; exit 2 ;; esac
case "$size_mb" in '' | *[!0-9]* | 0) echo "SIZE_MB: a number of MiB" >&2; exit 2 ;; esac
if ! guests=$(scripts/find-guests.sh 2>&1) || ! bios=$(scripts/find-guests.sh opensbi 2>&1 | tail -n 1); then
    echo "virtio-net.sh: SKIP: ${guests:-$bios}"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The host end: accepts one connection, reads TOTAL bytes, prints
# "bytes seconds" (first byte to last), closes.  Its port goes to PORTFILE.
cat > "$tmp/sink.py" <<'EOF'
import socket, sys, time
total, portfile, limit = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
srv = socket.socket()
srv.bind(('127.0.0.1', 0))
srv.listen(1)
srv.settimeout(limit)
with open(portfile, 'w') as f:
    f.write('%d\n' % srv.getsockname()[1])
conn, _ = srv.accept()
conn.settimeout(limit)
got, first = 0, None
while got < total:
    data = conn.recv(1 << 20)
    if not data:
        break
    if first is None:
        first = time.monotonic()
    got += len(data)
end = time.monotonic()
conn.close()
print(got, end - first if first else 0)
EOF

# run_once EMULATOR: prints the throughput in MB/s (10^6 bytes), or fails.
run_once() {
    local total=$((size_mb * 1048576)) port sink_pid emu_pid result
    rm -f "$tmp/port"
    python3 "$tmp/sink.py" "$total" "$tmp/port" "$limit" > "$tmp/sink.out" 2>/dev/null &
    sink_pid=$!
    for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
    port=$(cat "$tmp/port" 2>/dev/null) || { kill "$sink_pid"; return 1; }
    timeout -k 5 "$limit" "$1" -M virt -smp 2 -m 512M -nographic -no-reboot \
        -bios "$bios" -kernel "$guests/riscv64/Image" \
        -initrd "$guests/riscv64/initramfs.cpio.gz" \
        -netdev user,id=n0 -device virtio-net-device,netdev=n0 \
        -append "console=ttyS0 WEFT_RUN=\"ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2; dd if=/dev/zero bs=65536 count=$((size_mb * 16)) | nc 10.0.2.2 $port\"" \
        </dev/null >"$tmp/out" 2>&1 &
    emu_pid=$!
    wait "$sink_pid"
    wait "$emu_pid"
    read -r got secs < "$tmp/sink.out" || return 1
    [ "$got" = "$total" ] || return 1
    awk -v b="$got" -v s="$secs" 'BEGIN { if (s <= 0) exit 1; printf "%.1f\n", b / s / 1e6 }'
}

median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) printf "%.1f", v[(NR + 1) / 2]
        else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "guests: $guests; $size_mb MiB guest -> host per run, $runs run(s) each"
echo "weft: $weft"
echo "qemu: $qemu ($("$qemu" --version 2>/dev/null | head -1))"
: > "$tmp/weft"
: > "$tmp/qemu"
# failed NAME RUN: says so, with the end of the emulator's output.
failed() {
    echo "$1 run $2 failed; its output ended with:" >&2
    tail -5 "$tmp/out" | sed 's/^/    /' >&2
}
for ((i = 0; i < runs; i++)); do
    run_once "$weft" >> "$tmp/weft" || failed weft $((i + 1))
    run_once "$qemu" >> "$tmp/qemu" || failed qemu $((i + 1))
done
w=$(median "$tmp/weft")
q=$(median "$tmp/qemu")
printf '%-6s %12s   runs: %s\n' weft "${w:-failed} MB/s" "$(tr '\n' ' ' < "$tmp/weft")"
printf '%-6s %12s   runs: %s\n' qemu "${q:-failed} MB/s" "$(tr '\n' ' ' < "$tmp/qemu")"
if [ -n "$w" ] && [ -n "$q" ]; then
    awk -v w="$w" -v q="$q" 'BEGIN { printf "ratio: %.2fx (weft MB/s / qemu MB/s; higher is better for weft)\n", w / q }'
fi
