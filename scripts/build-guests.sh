#!/usr/bin/env bash
# Builds the test guests from Debian 12 packages and source packages:
#   riscv64/Image              Linux 6.1 (linux-source-6.1), riscv defconfig
#                              + tests/guests/riscv64/config.fragment
#   riscv64/linux.config       the kernel's full configuration
#   riscv64/initramfs.cpio.gz  static busybox (Debian source, riscv64 glibc)
#                              + tests/guests/init
#   riscv64/busybox            that busybox, kept to rebuild the initramfs
#   x86_64/vmlinuz             Debian's stock linux-image-amd64 kernel
#   x86_64/KERNEL_VERSION      its version
#   x86_64/initramfs.cpio.gz   busybox-static + the kernel's virtio and ext4
#                              modules (loaded by init in dependency order)
#   riscv64/opensbi/           OpenSBI from bookworm-backports, whose hart
#                              start has no race (scripts/fetch-opensbi.sh)
#
# Usage: scripts/build-guests.sh [-s STEP[,STEP...]] [OUTDIR]
#   OUTDIR defaults to the cache the tests look in (scripts/find-guests.sh
#   cache: $WEFT_GUESTS_CACHE, $XDG_CACHE_HOME/weft/guests, ~/.cache/...).
#   STEPs, in order (default: all of them):
#     deps        install the Debian packages (root), enabling deb-src
#     kernel      riscv64/Image                 (~40 min on 2 cores)
#     busybox     riscv64/busybox               (~3 min)
#     initramfs   riscv64/initramfs.cpio.gz from riscv64/busybox, or from
#                 $BUSYBOX_RISCV64 (a static riscv64 busybox) when set
#     x86_64      x86_64/vmlinuz and x86_64/initramfs.cpio.gz
#     opensbi     riscv64/opensbi/fw_dynamic.bin (a download, seconds)
# Every file appears in OUTDIR only once complete, so an interrupted build
# never leaves a half-written guest for the tests to pick up.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
guest_src=$root/tests/guests
all_steps=deps,kernel,busybox,initramfs,x86_64,opensbi
jobs=$(nproc)
cross=riscv64-linux-gnu-

die() {
    echo "build-guests: $*" >&2
    exit 1
}

say() {
    echo "build-guests: $*"
}

usage() {
    sed -n '/^# Usage/,/^# never/s/^# \{0,1\}//p' "$0" >&2
    exit 2
}

packages="gcc-riscv64-linux-gnu libc6-dev-riscv64-cross linux-source-6.1
 linux-image-amd64 busybox-static qemu-user make gcc libc6-dev bc flex bison
 libssl-dev libelf-dev cpio gzip xz-utils bzip2 kmod dpkg-dev"

# ---- step: deps

# The deb-src twins of the Debian 12 ("bookworm") entries apt already has,
# so that `apt-get source` works on a fresh install, which has none:
# deb822 stanzas from *.sources files, one-line entries from *.list files.
deb822_src_entries() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; ORS = "\n\n" }
             /(^|\n)Types:[^\n]*(^|[ \t])deb([ \t]|\n|$)/ &&
             /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ {
                 n = split($0, line, "\n"); out = ""
                 for (i = 1; i <= n; i++) {
                     if (line[i] ~ /^Types:/) line[i] = "Types: deb-src"
                     else if (line[i] ~ /^Suites:/) line[i] = "Suites: bookworm"
                     out = out line[i] "\n"
                 }
                 printf "%s\n", out
             }' "$f"
    done
}

one_line_src_entries() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^deb\([[:space:]].*[[:space:]]bookworm[[:space:]].*\)/deb-src\1/p' "$f"
    done
}

# True when apt already has a deb-src entry for bookworm.
has_deb_src() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; found = 1 }
             /(^|\n)Types:[^\n]*deb-src/ &&
             /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ { found = 0 }
             END { exit found }' "$f" && return 0
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        grep -qE '^deb-src[[:space:]].*[[:space:]]bookworm[[:space:]]' "$f" && return 0
    done
    return 1
}

enable_deb_src() {
    local file=/etc/apt/sources.list.d/weft-deb-src.sources entries
    has_deb_src && return 0
    entries=$(deb822_src_entries)
    if [ -z "$entries" ]; then
        entries=$(one_line_src_entries)
        file=/etc/apt/sources.list.d/weft-deb-src.list
    fi
    [ -n "$entries" ] ||
        die "no Debian 12 (bookworm) apt source to derive deb-src from; add a deb-src entry for bookworm main"
    say "enabling Debian source packages in $file"
    printf '# Added by weft scripts/build-guests.sh: apt-get source busybox.\n%s\n' \
        "$entries" > "$file"
    apt-get update -q >/dev/null
}

missing_packages() {
    local p
    for p in $packages; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
            echo "$p"
    done
}

step_deps() {
    local missing
    missing=$(missing_packages | tr '\n' ' ')
    if [ "$(id -u)" != 0 ]; then
        [ -z "$missing" ] && has_deb_src && return 0
        die "needs root to install packages (${missing:-none missing}) and enable deb-src"
    fi
    export DEBIAN_FRONTEND=noninteractive
    enable_deb_src
    [ -z "$missing" ] && return 0
    say "installing $missing"
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing >/dev/null
}

# ---- helpers

# logged LOG CMD...: runs CMD with its output in LOG (compiler chatter);
# on failure shows the end of LOG and stops.
logged() {
    local log=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "failed: $* (full log above, last 40 lines)"
    fi
}

# install_file SRC DEST: moves SRC into place in one rename.
install_file() {
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.tmp.$$"
    mv -f "$2.tmp.$$" "$2"
}

# ---- step: kernel

apply_fragment() {
    local line name value
    while read -r line; do
        case "$line" in '' | '#'*) continue ;; esac
        name=${line%%=*}
        value=${line#*=}
        case "$value" in
        y) ./scripts/config --enable "$name" ;;
        n) ./scripts/config --disable "$name" ;;
        m) ./scripts/config --module "$name" ;;
        *) ./scripts/config --set-val "$name" "$value" ;;
        esac
    done <"$1"
}

step_kernel() {
    local tarball=/usr/src/linux-source-6.1.tar.xz
    [ -f "$tarball" ] || die "$tarball missing: run the deps step (as root)"
    say "building the riscv64 kernel (about 40 minutes on 2 cores)"
    tar -C "$work" -xf "$tarball"
    (
        cd "$work"/linux-source-6.1
        logged "$work/kernel.log" make ARCH=riscv CROSS_COMPILE=$cross defconfig
        apply_fragment "$guest_src/riscv64/config.fragment"
        logged "$work/kernel.log" make ARCH=riscv CROSS_COMPILE=$cross olddefconfig
        logged "$work/kernel.log" make ARCH=riscv CROSS_COMPILE=$cross -j"$jobs" Image
    )
    install_file "$work/linux-source-6.1/.config" "$out/riscv64/linux.config"
    install_file "$work/linux-source-6.1/arch/riscv/boot/Image" "$out/riscv64/Image"
}

# ---- step: busybox

step_busybox() {
    local dir tarballs dirs
    say "building static riscv64 busybox from the Debian source package"
    (cd "$work" && apt-get source --download-only busybox >/dev/null 2>&1) ||
        die "apt-get source busybox failed: run the deps step (it enables deb-src)"
    tarballs=("$work"/busybox_*.orig.tar.*)
    tar -C "$work" -xf "${tarballs[0]}"
    dirs=("$work"/busybox-1.*/)
    dir=${dirs[0]}
    (
        cd "$dir"
        logged "$work/busybox.log" make CROSS_COMPILE=$cross defconfig
        sed -i 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' .config
        # tc does not build against the 6.1 kernel headers
        sed -i 's/^CONFIG_TC=y/# CONFIG_TC is not set/' .config
        logged "$work/busybox.log" make CROSS_COMPILE=$cross -j"$jobs" busybox busybox.links
    )
    sed 's|.*/||' "$dir/busybox.links" > "$work/applets"
    install_file "$work/applets" "$out/riscv64/busybox.applets"
    install_file "$dir/busybox" "$out/riscv64/busybox"
}

# ---- initramfs images

# make_root DIR BUSYBOX APPLET-LIST: a root file system with busybox, a
# link per applet and the test init.
make_root() {
    local dir=$1 applet
    mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root,mnt,lib/modules}
    cp "$2" "$dir/bin/busybox"
    chmod 755 "$dir/bin/busybox"
    while read -r applet; do
        [ -n "$applet" ] && [ ! -e "$dir/bin/$applet" ] &&
            ln -s busybox "$dir/bin/$applet"
    done <"$3"
    install -m 755 "$guest_src/init" "$dir/init"
}

# pack_root DIR OUT: a gzip'd newc cpio of DIR, owned by root.
pack_root() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
        gzip -9 > "$work/packed.cpio.gz"
    install_file "$work/packed.cpio.gz" "$2"
}

step_initramfs() {
    local busybox=${BUSYBOX_RISCV64:-$out/riscv64/busybox}
    local applets=$out/riscv64/busybox.applets
    [ -s "$busybox" ] || die "no riscv64 busybox at $busybox: run the busybox step"
    if [ -n "${BUSYBOX_RISCV64:-}" ] || [ ! -s "$applets" ]; then
        # Ask the binary itself, under qemu-user.
        applets=$work/applets.riscv64
        qemu-riscv64 "$busybox" --list > "$applets" ||
            die "cannot list the applets of $busybox (qemu-user installed?)"
    fi
    say "packing riscv64/initramfs.cpio.gz"
    rm -rf "$work/root-riscv64"
    make_root "$work/root-riscv64" "$busybox" "$applets"
    pack_root "$work/root-riscv64" "$out/riscv64/initramfs.cpio.gz"
}

# ---- step: x86_64

# The version of the kernel linux-image-amd64 depends on, e.g. 6.1.0-40-amd64.
amd64_kernel_version() {
    dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
        sed -n 's/.*linux-image-\([0-9][^ ,]*-amd64\).*/\1/p'
}

step_x86_64() {
    local kver root=$work/root-x86_64 m ko
    kver=$(amd64_kernel_version)
    if [ -z "$kver" ] || [ ! -f "/boot/vmlinuz-$kver" ]; then
        die "linux-image-amd64 is not installed: run the deps step (as root)"
    fi
    [ -x /bin/busybox ] || die "busybox-static is not installed"
    [ -f "/lib/modules/$kver/modules.dep" ] || depmod "$kver"
    say "packing x86_64/initramfs.cpio.gz for $kver"
    /bin/busybox --list > "$work/applets.x86_64"
    rm -rf "$root"
    make_root "$root" /bin/busybox "$work/applets.x86_64"
    : > "$root/etc/modules"
    for m in virtio_pci virtio_mmio virtio_blk virtio_net virtio_console \
             virtio-rng virtio_input ext4; do
        modprobe -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
    done | awk '!seen[$0]++' | while read -r ko; do
        cp "$ko" "$root/lib/modules/"
        basename "$ko" .ko >> "$root/etc/modules"
    done
    pack_root "$root" "$out/x86_64/initramfs.cpio.gz"
    echo "$kver" > "$work/KERNEL_VERSION"
    install_file "$work/KERNEL_VERSION" "$out/x86_64/KERNEL_VERSION"
    install_file "/boot/vmlinuz-$kver" "$out/x86_64/vmlinuz"
}

# ---- step: opensbi

step_opensbi() {
    "$root/scripts/fetch-opensbi.sh" "$out"
}

# ---- main

steps=$all_steps
while getopts s:h opt; do
    case $opt in
    s) steps=$OPTARG ;;
    *) usage ;;
    esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage
for s in ${steps//,/ }; do
    case ",$all_steps," in *",$s,"*) ;; *) die "unknown step '$s' (steps: $all_steps)" ;; esac
done

out=${1:-$("$root/scripts/find-guests.sh" cache)}
mkdir -p "$out/riscv64" "$out/x86_64"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-guests.XXXXXX")
trap 'rm -rf "$work"' EXIT

for s in ${all_steps//,/ }; do
    case ",$steps," in *",$s,"*) "step_$s" ;; esac
done
say "guests in $out"
