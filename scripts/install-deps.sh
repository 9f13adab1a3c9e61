#!/bin/sh
# Installs the Debian packages weft needs to build and test, if missing.
# Usage: scripts/install-deps.sh [build|test]   (default: test = everything)
set -eu

build_pkgs="gcc libc6-dev make meson ninja-build pkg-config python3
 liburcu-dev libcapstone-dev libfdt-dev libsdl2-dev liburing-dev libslirp-dev
 libjansson-dev"
# Guest-side compilers, firmware and peers used by tests and benchmarks.
test_pkgs="gcc-riscv64-unknown-elf gcc-riscv64-linux-gnu binutils-riscv64-unknown-elf
 qemu-user device-tree-compiler
 opensbi u-boot-qemu qemu-system-misc time iproute2"

want=$build_pkgs
[ "${1:-test}" = build ] || want="$want $test_pkgs"

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "weft: missing Debian packages:$missing" >&2
    echo "weft: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi
echo "weft: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
