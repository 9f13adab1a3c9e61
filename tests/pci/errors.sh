#!/usr/bin/env bash
# PCI on the command line: every bad -device for the PCIe host, root ports
# and virtio-pci must end weft with status 1 and one clear stderr line;
# good ones are accepted (-M virt,dumpdtb ends such a run with status 0
# right after the devices are plugged), and the device tree's PCIe node
# is what Linux's pci-host-ecam-generic binding wants.
# Usage: errors.sh WEFT
set -u
emu=${1:?usage: errors.sh WEFT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '\157\000\000\000' >"$tmp/kernel.bin"   # -bios none takes any file
base=(-bios none -kernel "$tmp/kernel.bin" -nographic)
failures=0

# expect NAME PATTERN ARGS...: status 1, one stderr line matching PATTERN.
expect() {
    local name=$1 pattern=$2
    shift 2
    timeout -k 5 30 "$emu" -M virt,dumpdtb="$tmp/x.dtb" "${base[@]}" "$@" \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    local rc=$? lines
    lines=$(grep -c . "$tmp/err")
    if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] &&
       grep -qiE -- "$pattern" "$tmp/err" &&
       ! grep -qiE 'assert|sanitizer|segmentation|core dumped' "$tmp/err"; then
        echo "ok: $name: $(cat "$tmp/err")"
        return
    fi
    echo "FAIL: $name: status $rc (want 1), $lines stderr line(s) (want 1" \
         "matching '$pattern'):"
    sed 's/^/    /' "$tmp/err" | head -20
    failures=$((failures + 1))
}

# accept NAME ARGS...: status 0, nothing on stderr.
accept() {
    local name=$1
    shift
    timeout -k 5 30 "$emu" -M virt,dumpdtb="$tmp/ok.dtb" "${base[@]}" "$@" \
        </dev/null >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; then
        echo "ok: $name accepted"
        return
    fi
    echo "FAIL: $name: status $rc (want 0):"
    sed 's/^/    /' "$tmp/err" | head -20
    failures=$((failures + 1))
}

rp='pcie-root-port,id=rp1,chassis=1,slot=1'
expect "unknown bus" "Bus 'nosuch' not found" \
    -device virtio-rng-pci,bus=nosuch
expect "not a PCI bus" "needs a 'PCI' bus" \
    -device virtio-rng-pci,bus=virtio-mmio-bus.0
expect "address of the host bridge" "00.0 on bus 'pcie.0' is in use" \
    -device virtio-rng-pci,addr=0
expect "address taken" "03.0 on bus 'pcie.0' is in use" \
    -device virtio-rng-pci,addr=3 -device virtio-rng-pci,addr=3.0
expect "slot out of range" "addr.*doesn't take value '20'" \
    -device virtio-rng-pci,addr=20
expect "function out of range" "doesn't take value '1.8'" \
    -device virtio-rng-pci,addr=1.8
expect "function without multifunction" "not multifunction" \
    -device virtio-rng-pci,addr=4 -device virtio-rng-pci,addr=4.1
expect "behind a port, device 0 only" "not available on bus 'rp1'" \
    -device "$rp" -device virtio-rng-pci,bus=rp1,addr=1
expect "root port slot taken" "chassis 1 slot 1 is already used" \
    -device "$rp" -device pcie-root-port,id=rp2,chassis=1,slot=1
expect "root port behind a root port" "root bus" \
    -device "$rp" -device pcie-root-port,id=rp2,bus=rp1,chassis=2
expect "root port slot number" "slot 9000 is out of range" \
    -device pcie-root-port,slot=9000
expect "too many vectors" "vectors.*doesn't take value '129'" \
    -device virtio-rng-pci,vectors=129
expect "unknown property" "Property 'virtio-rng-pci.foo' not found" \
    -device virtio-rng-pci,foo=1
expect "forwarded property checked" "iothread 'nosuch' not found" \
    -device virtio-rng-pci,iothread=nosuch
expect "bad forwarded value" "event_idx" \
    -device virtio-rng-pci,event_idx=maybe
expect "internal type" "can't be created" -device pcie-host-bridge

accept "rng on the root bus and behind a port" \
    -device virtio-rng-pci -device "$rp" -device virtio-rng-pci,bus=rp1
accept "fixed addresses, multifunction, no MSI-X" \
    -device virtio-rng-pci,addr=5.0,multifunction=on \
    -device virtio-rng-pci,addr=5.1,vectors=0

if command -v dtc >/dev/null 2>&1; then
    dtc -I dtb -O dts -o "$tmp/ok.dts" "$tmp/ok.dtb" 2>"$tmp/dtc.err"
    if [ -s "$tmp/dtc.err" ]; then
        echo "FAIL: dtc warns about the device tree:"
        sed 's/^/    /' "$tmp/dtc.err"
        failures=$((failures + 1))
    fi
    node=$(sed -n '/pci@30000000 {/,/};/p' "$tmp/ok.dts")
    for want in 'compatible = "pci-host-ecam-generic"' \
            'device_type = "pci"' 'bus-range = <0x00 0xff>' \
            'reg = <0x00 0x30000000 0x00 0x10000000>' \
            'linux,pci-domain = <0x00>' 'dma-coherent;' \
            '#address-cells = <0x03>' '#interrupt-cells = <0x01>' \
            'interrupt-map-mask = <0x1800 0x00 0x00 0x07>' \
            "ranges = <0x1000000 0x00 0x00 0x00 0x3000000 0x00 0x10000 $(
            )0x2000000 0x00 0x40000000 0x00 0x40000000 0x00 0x40000000 $(
            )0x3000000 0x04 0x00 0x04 0x00 0x04 0x00>"; do
        if ! grep -qF -- "$want" <<<"$node"; then
            echo "FAIL: the PCIe node lacks '$want'"
            failures=$((failures + 1))
        fi
    done
    # Slot 1 INTA is source 33, slot 3 INTD is 34 ((3 + 3) % 4 + 32).
    map=$(grep -o 'interrupt-map = <[^>]*>' <<<"$node" | tr -d '<>' |
          cut -d= -f2)
    set -- $map
    if [ $# -ne 96 ] || [ "${25}" != 0x800 ] || [ "${30}" != 0x21 ] ||
       [ "${91}" != 0x1800 ] || [ "${96}" != 0x22 ] || grep -q msi-parent \
       <<<"$node"; then
        echo "FAIL: interrupt-map is not the swizzled slots 0-3: $map"
        failures=$((failures + 1))
    else
        echo "ok: PCIe device tree node"
    fi
else
    echo "note: no dtc, device tree node not checked"
fi

if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures case(s)"
    exit 1
fi
echo "PASS: PCI command-line errors and device tree"
