#!/bin/sh
# Command-line and image errors of -M microvm / -accel kvm.  They need no
# /dev/kvm: every image check comes before the device is opened, and
# WEFT_KVM_DEVICE points weft at a missing or wrong device.  Each case
# must exit with status 1 and exactly one line on stderr matching a
# pattern.
# Usage: errors.sh WEFT [TEST-KERNEL.elf]
weft=$1 good_elf=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
missing_kvm=$dir/no-kvm

# Synthetic bzImages: a 64-bit kernel of 64 KiB behind 5 setup sectors,
# then the same with one field broken.
mkbz() {
    python3 - "$@" <<'PY'
import struct, sys
out, field = sys.argv[1], sys.argv[2]
setup = 5 * 512
img = bytearray(setup + 65536)
def put(fmt, off, v): struct.pack_into('<' + fmt, img, off, v)
img[0x1f1] = 4
put('I', 0x1f4, 65536 // 16)
put('H', 0x1fe, 0xaa55)
put('H', 0x200, 0x6aeb)
img[0x202:0x206] = b'HdrS'
put('H', 0x206, 0x020f)
img[0x211] = 1                       # LOADED_HIGH
put('I', 0x22c, 0x7fffffff)          # initrd_addr_max
put('I', 0x230, 0x200000)            # kernel_alignment
img[0x234] = 1                       # relocatable
put('H', 0x236, 1)                   # XLF_KERNEL_64
put('I', 0x238, 2047)                # cmdline_size
put('Q', 0x258, 0x1000000)           # pref_address
put('I', 0x260, 0x200000)            # init_size
if field == 'old':
    put('H', 0x206, 0x0206)
elif field == 'flag':
    put('H', 0x1fe, 0)
elif field == '32bit':
    put('H', 0x236, 0)
elif field == 'huge':
    put('I', 0x260, 0x40000000)      # 1 GiB of init_size
elif field == 'trunc':
    img = img[:setup + 4096]
open(out, 'wb').write(img)
PY
}

for f in good old flag 32bit huge trunc; do
    mkbz "$dir/bz-$f" "$f" || { echo "FAIL: python3 could not build images"; exit 1; }
done
head -c 4096 /dev/urandom >"$dir/random.bin"
head -c 3145728 /dev/zero >"$dir/big.bin"
: >"$dir/empty.bin"

expect() {
    name=$1 pattern=$2
    shift 2
    WEFT_KVM_DEVICE=${kvm_device:-$missing_kvm} timeout 20 "$weft" "$@" \
        -serial null </dev/null >"$dir/out" 2>"$dir/err"
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

# No KVM device: one line naming it and the errno.
expect "no KVM device" "cannot open $missing_kvm: .*errno 2" \
    -M microvm -accel kvm -kernel "$dir/bz-good"
expect "-enable-kvm, no KVM device" "cannot open $missing_kvm: .*errno 2" \
    -M microvm -enable-kvm -kernel "$dir/bz-good"
if [ ! -e /dev/kvm ]; then
    kvm_device=/dev/kvm expect "this host has no /dev/kvm" \
        "cannot open /dev/kvm: No such file or directory \(errno 2\)" \
        -M microvm -accel kvm -kernel "$dir/bz-good"
fi
kvm_device=/dev/null expect "not a KVM device" \
    "/dev/null is not a KVM device.*errno" \
    -M microvm -accel kvm -kernel "$dir/bz-good"

# Accelerator and board do not match.
expect "virt under kvm" "virt.*-accel tcg.*microvm" -M virt -accel kvm
expect "microvm under tcg" "microvm.*-accel kvm" -M microvm -accel tcg \
    -kernel "$dir/bz-good"
expect "unknown accel" "unknown accelerator" -M microvm -accel hax

# Options of the board.
expect "no -kernel" "-kernel is required" -M microvm -accel kvm
expect "-bios" "-bios" -M microvm -kernel "$dir/bz-good" -bios x
expect "-m too small" "-m must be" -M microvm -m 1M -kernel "$dir/bz-good"
expect "-smp 33" "smp|cpu" -M microvm -smp 33 -kernel "$dir/bz-good"

# Bad images: reported before KVM is opened (the device here is the
# missing one, and the message is still about the image).
expect "missing kernel" "no-such-kernel" -M microvm -kernel "$dir/no-such-kernel"
expect "empty kernel" "empty.bin.*(bzImage|ELF)" -M microvm -kernel "$dir/empty.bin"
expect "random kernel" "random.bin.*neither a bzImage.*nor an ELF" \
    -M microvm -kernel "$dir/random.bin"
expect "old boot protocol" "bz-old.*2.06 is too old" -M microvm -kernel "$dir/bz-old"
expect "bad boot flag" "bz-flag.*boot flag" -M microvm -kernel "$dir/bz-flag"
expect "32-bit kernel" "bz-32bit.*XLF_KERNEL_64" -M microvm -kernel "$dir/bz-32bit"
expect "truncated bzImage" "bz-trunc.*truncated" -M microvm -kernel "$dir/bz-trunc"
expect "kernel larger than -m" "bz-huge.*needs RAM up to 1040 MiB.*-m gives 512 MiB" \
    -M microvm -m 512M -kernel "$dir/bz-huge"
expect "kernel file larger than -m" "big.bin.*larger than the RAM" \
    -M microvm -m 2M -kernel "$dir/big.bin"
expect "initrd does not fit" "-initrd.*do not fit.*-m" \
    -M microvm -m 20M -kernel "$dir/bz-good" -initrd "$dir/big.bin"
expect "missing initrd" "no-such-initrd" -M microvm -kernel "$dir/bz-good" \
    -initrd "$dir/no-such-initrd"
expect "command line too long" "-append.*2047" -M microvm -kernel "$dir/bz-good" \
    -append "$(head -c 3000 /dev/zero | tr '\0' a)"
expect "ELF of the wrong kind" "true" -M microvm -kernel /bin/true
kvm_device=/dev/null expect "bad image wins over a bad device" "bz-old" \
    -M microvm -kernel "$dir/bz-old"

# PCI devices on the microvm's host: every -device line is checked
# before /dev/kvm is opened (the devices are real ones on pcie.0).
head -c 1048576 /dev/zero >"$dir/disk.img"
expect "PCI: bad addr" "addr.*SLOT" -M microvm -kernel "$dir/bz-good" \
    -device virtio-rng-pci,addr=40
expect "PCI: unknown bus" "Bus 'nope' not found" -M microvm \
    -kernel "$dir/bz-good" -device virtio-rng-pci,bus=nope
expect "PCI: slot in use" "virtio-rng-pci,addr=3.*(in use|occupied|taken)" \
    -M microvm -kernel "$dir/bz-good" -device virtio-rng-pci,addr=3 \
    -device virtio-rng-pci,addr=3
expect "PCI: host bridge slot" "addr=0.*(in use|occupied|taken)" \
    -M microvm -kernel "$dir/bz-good" -device virtio-rng-pci,addr=0
expect "PCI: root port behind a root port" "root bus" -M microvm \
    -kernel "$dir/bz-good" -device pcie-root-port,id=rp1,chassis=1,slot=1 \
    -device pcie-root-port,id=rp2,bus=rp1,chassis=2,slot=2
expect "PCI: duplicate chassis/slot" "chassis" -M microvm \
    -kernel "$dir/bz-good" -device pcie-root-port,id=rp1,chassis=1,slot=1 \
    -device pcie-root-port,id=rp2,chassis=1,slot=1
expect "PCI: too many vectors" "vectors" -M microvm -kernel "$dir/bz-good" \
    -device virtio-rng-pci,vectors=200
expect "PCI: virtio-blk-pci without a drive" "drive" -M microvm \
    -kernel "$dir/bz-good" -device virtio-blk-pci
expect "PCI: unknown drive" "drive" -M microvm -kernel "$dir/bz-good" \
    -device virtio-blk-pci,drive=nope
expect "PCI: good devices, then no KVM" "cannot open $missing_kvm" \
    -M microvm -kernel "$dir/bz-good" \
    -drive file="$dir/disk.img",format=raw,if=none,id=d0 \
    -device pcie-root-port,id=rp1,chassis=1,slot=1 \
    -device virtio-blk-pci,drive=d0,bus=rp1 -device virtio-rng-pci \
    -device virtio-net-pci,addr=5

# A real kernel: too big for 64 MiB (init_size behind 16 MiB).
root=$(cd "$(dirname "$0")/../.." && pwd)
real=$(sh "$root/scripts/find-guests.sh" 2>/dev/null)/x86_64/vmlinuz
if [ -r "$real" ]; then
    expect "Debian kernel in -m 64M" "vmlinuz.*needs RAM up to .*-m gives 64 MiB" \
        -M microvm -m 64M -kernel "$real"
    expect "Debian kernel, no KVM" "cannot open $missing_kvm" \
        -M microvm -m 256M -kernel "$real" -append "console=ttyS0"
else
    echo "note: no x86_64/vmlinuz in the test guests, real-kernel cases left out"
fi
# Our own test kernel passes every image check and stops at the device.
if [ -n "$good_elf" ]; then
    expect "test kernel, no KVM" "cannot open $missing_kvm" \
        -M microvm -m 32M -kernel "$good_elf"
    expect "test kernel with -initrd" "-initrd.*bzImage" \
        -M microvm -m 32M -kernel "$good_elf" -initrd "$dir/random.bin"
fi

[ "$failures" -eq 0 ] || { echo "FAIL: $failures case(s)"; exit 1; }
echo "PASS: kvm errors"
