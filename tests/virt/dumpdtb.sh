#!/bin/sh
# -M virt,dumpdtb=FILE writes the device tree and exits 0; dtc must
# decompile it without a single warning, and it must describe what the
# command line asked for.  Boards without a device tree refuse dumpdtb.
# Usage: dumpdtb.sh WEFT
weft=$1
if ! command -v dtc >/dev/null 2>&1 || ! command -v fdtget >/dev/null 2>&1
then
    echo "SKIP: dtc/fdtget (device-tree-compiler) not installed"
    exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# A raw bare-metal "kernel" (-bios none accepts any file) and an initrd.
printf '\157\000\000\000' >"$dir/kernel.bin"
head -c 5000 /dev/urandom >"$dir/initrd"

"$weft" -M virt,dumpdtb="$dir/virt.dtb" -smp 4 -m 256M -bios none \
    -kernel "$dir/kernel.bin" -initrd "$dir/initrd" \
    -append "console=ttyS0 weft=test" >"$dir/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$dir/out" ] ||
    { cat "$dir/out"; fail "dumpdtb: status $rc or unexpected output"; }
[ -s "$dir/virt.dtb" ] || fail "no device tree written"
dtc -I dtb -O dts -o "$dir/virt.dts" "$dir/virt.dtb" 2>"$dir/dtc.err" ||
    { cat "$dir/dtc.err"; fail "dtc cannot decompile it"; }
if [ -s "$dir/dtc.err" ]; then
    cat "$dir/dtc.err"
    fail "dtc printed warnings"
fi
for want in 'cpu@3 {' 'riscv,isa = "rv64imafdc_' '_sstc' 'mmu-type = ' \
        'riscv,isa-extensions' 'timebase-frequency = <0x989680>' \
        'compatible = "ns16550a"' \
        'riscv,ndev = <0x5f>' 'sifive,plic-1.0.0' 'riscv,clint0' \
        'riscv,aclint-sswi' 'google,goldfish-rtc' 'sifive,test0' \
        'syscon-poweroff' 'syscon-reboot' 'reg = <0x00 0x80000000 0x00 0x10000000>' \
        'bootargs = "console=ttyS0 weft=test"' \
        'stdout-path = "/soc/serial@10000000"' 'linux,initrd-start' \
        'linux,initrd-end' 'rng-seed' 'core3 {' 'plic@c000000' 'rtc@101000' \
        'test@100000' 'clint@2000000' 'sswi@2f00000' 'serial@10000000'; do
    grep -qF -- "$want" "$dir/virt.dts" || fail "device tree lacks '$want'"
done
# dtc shows 3686400 as a string (its bytes are printable): ask fdtget.
[ "$(fdtget -t u "$dir/virt.dtb" /soc/serial@10000000 clock-frequency)" \
    = 3686400 ] || fail "UART clock-frequency is not 3686400"
# All eight virtio-mmio slots, slot 7 first (QEMU's order, which
# decides which device Linux probes first), each on PLIC source 1 + n.
[ "$(grep -o 'virtio_mmio@[0-9a-f]*' "$dir/virt.dts" | tr '\n' ' ')" = \
  "virtio_mmio@10008000 virtio_mmio@10007000 virtio_mmio@10006000 virtio_mmio@10005000 virtio_mmio@10004000 virtio_mmio@10003000 virtio_mmio@10002000 virtio_mmio@10001000 " ] ||
    fail "virtio_mmio nodes missing or out of order"
for n in 0 1 2 3 4 5 6 7; do
    node=/soc/virtio_mmio@1000$((n + 1))000
    [ "$(fdtget -t u "$dir/virt.dtb" $node interrupts)" = $((n + 1)) ] ||
        fail "$node: interrupts is not $((n + 1))"
    [ "$(fdtget -t s "$dir/virt.dtb" $node compatible)" = virtio,mmio ] ||
        fail "$node: not virtio,mmio"
done
# The initrd range the DT gives holds 5000 bytes.
u64() {   # a 64-bit property: fdtget prints two hex cells
    set -- $(fdtget -t x "$dir/virt.dtb" /chosen "$1")
    echo $(( (0x$1 << 32) + 0x$2 ))
}
len=$(( $(u64 linux,initrd-end) - $(u64 linux,initrd-start) ))
[ "$len" -eq 5000 ] || fail "initrd range is $len bytes, expected 5000"

# -smp 1: one cpu node.
"$weft" -M virt,dumpdtb="$dir/one.dtb" -bios none \
    -kernel "$dir/kernel.bin" >/dev/null 2>&1 || fail "dumpdtb -smp 1"
dtc -I dtb -O dts "$dir/one.dtb" 2>"$dir/dtc.err" >"$dir/one.dts"
[ -s "$dir/dtc.err" ] && { cat "$dir/dtc.err"; fail "dtc warnings (-smp 1)"; }
grep -q 'cpu@1' "$dir/one.dts" && fail "-smp 1 has a second cpu"
grep -q 'reg = <0x00 0x80000000 0x00 0x20000000>' "$dir/one.dts" ||
    fail "default RAM is not 512 MiB"

# Boards without a device tree refuse it with one line and status 1.
for board in spike none; do
    "$weft" -M $board,dumpdtb="$dir/x.dtb" >"$dir/out" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || { cat "$dir/out"; fail "$board: dumpdtb gave status $rc"; }
    [ "$(wc -l <"$dir/out")" -eq 1 ] || { cat "$dir/out"; fail "$board: not one line"; }
    [ -e "$dir/x.dtb" ] && fail "$board wrote a device tree"
done
echo "PASS: dumpdtb"
