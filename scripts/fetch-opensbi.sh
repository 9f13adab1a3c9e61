#!/bin/sh
# Puts an OpenSBI with a race-free HSM hart start into the guest cache:
#   riscv64/opensbi/fw_dynamic.bin   from Debian 12's bookworm-backports
#   riscv64/opensbi/VERSION          the package version it came from
#
# Why: Debian 12's own `opensbi` (1.1) publishes a hart's START_PENDING
# state before it writes the start address.  A secondary hart that polls
# in the HSM wait loop (it does: the IPI that woke it from the cold-boot
# wait is still pending, so its wfi returns at once) can read the stale
# cold-boot address and enter the kernel at `_start` a second time; the
# boot then hangs after the OpenSBI banner.  The window is small but a
# host thread preempted inside it hits it: at host load ~10, 3 of 12
# parallel -smp 2 boots of Debian's qemu-system-riscv64 hung this way, and
# 1 of 24 of weft's.  OpenSBI 1.3 and later write the start arguments
# before changing the state; bookworm-backports carries 1.5.  See
# docs/virt.md, "Firmware".
#
# The package is downloaded (signature-checked by apt) with a private apt
# state directory: the machine's apt sources and caches are not touched
# and nothing is installed.  Needs the Debian mirror the machine's apt
# sources already use.
#
# Usage: scripts/fetch-opensbi.sh [OUTDIR]
#   OUTDIR defaults to the guest cache (scripts/find-guests.sh cache).
#   Does nothing when OUTDIR already holds it.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$(sh "$root/scripts/find-guests.sh" cache)}/riscv64/opensbi
suite=bookworm-backports
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

say() { echo "fetch-opensbi: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -s "$out/fw_dynamic.bin" ] && [ -s "$out/VERSION" ]; then
    exit 0
fi
command -v apt-get >/dev/null || die "apt-get not found (needs Debian)"
[ -r "$keyring" ] || die "$keyring not found (package debian-archive-keyring)"

# The Debian mirror of the machine's bookworm entries (deb822 or one-line).
mirror() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = "" }
             /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ &&
             /(^|\n)Components:[^\n]*[ \t]main([ \t]|\n|$)/ {
                 if (match($0, /URIs:[ \t]*[^ \t\n]+/)) {
                     u = substr($0, RSTART, RLENGTH)
                     sub(/URIs:[ \t]*/, "", u)
                     if (u !~ /security/) { print u; exit }
                 }
             }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\)[[:space:]]\{1,\}bookworm[[:space:]].*/\2/p' "$f" |
            grep -v security || true
    done
    echo http://deb.debian.org/debian
}
uri=$(mirror | head -n 1)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
echo "deb [signed-by=$keyring] $uri $suite main" > "$tmp/sources.list"
apt() {
    "$@" -q -o Dir::Etc::sourcelist="$tmp/sources.list" \
        -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$tmp/lists" \
        -o Dir::Cache="$tmp/cache" -o APT::Sandbox::User=root
}

say "downloading opensbi from $uri $suite"
apt apt-get update >"$tmp/log" 2>&1 ||
    { cat "$tmp/log" >&2; die "apt-get update of $suite failed"; }
version=$(apt apt-cache show opensbi 2>/dev/null |
          sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$version" ] || die "no opensbi package in $suite"
(cd "$tmp" && apt apt-get download "opensbi=$version") >"$tmp/log" 2>&1 ||
    { cat "$tmp/log" >&2; die "download of opensbi $version failed"; }
dpkg-deb -x "$tmp"/opensbi_*.deb "$tmp/root"
fw=$tmp/root/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
[ -s "$fw" ] || die "opensbi $version has no generic/fw_dynamic.bin"

# Publish only a complete firmware (tests may look at any time).
mkdir -p "$out"
cp "$fw" "$out/fw_dynamic.bin.tmp"
mv "$out/fw_dynamic.bin.tmp" "$out/fw_dynamic.bin"
echo "$version" > "$out/VERSION.tmp"
mv "$out/VERSION.tmp" "$out/VERSION"
say "OpenSBI $version in $out"
