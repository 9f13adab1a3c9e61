#!/bin/sh
# Finds the test guests for tests, benchmarks and `make guests`.
# A guest directory holds riscv64/Image and riscv64/initramfs.cpio.gz (and
# x86_64/ for KVM), as scripts/build-guests.sh builds it.
# Lookup order: $WEFT_GUESTS, then shared/guests beside the repository
# (../shared/guests from the repo root), then the cache `make guests` fills
# ($WEFT_GUESTS_CACHE, default $XDG_CACHE_HOME/weft/guests or
# ~/.cache/weft/guests).
#
# Usage: scripts/find-guests.sh [guests|cache|opensbi]
#   guests   (default) prints the guest directory; status 1 and the places
#            it looked on stderr when there is none
#   cache    prints the cache directory (whether or not it exists)
#   opensbi  prints the OpenSBI fw_dynamic.bin to boot Linux with:
#            $WEFT_OPENSBI, else riscv64/opensbi/fw_dynamic.bin in a guest
#            directory above (scripts/fetch-opensbi.sh puts one in the
#            cache: OpenSBI >= 1.3, whose hart start has no race), else
#            Debian 12's own (1.1; -smp > 1 boots may hang, see
#            docs/virt.md "Firmware"), with a warning on stderr
set -u
root=$(cd "$(dirname "$0")/.." && pwd)

cache_dir() {
    if [ -n "${WEFT_GUESTS_CACHE:-}" ]; then
        echo "$WEFT_GUESTS_CACHE"
    else
        echo "${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/weft/guests"
    fi
}

is_guest_dir() {
    [ -s "$1/riscv64/Image" ] && [ -s "$1/riscv64/initramfs.cpio.gz" ]
}

find_guests() {
    shared="$root/../shared/guests"
    cache=$(cache_dir)
    for dir in ${WEFT_GUESTS:+"$WEFT_GUESTS"} "$shared" "$cache"; do
        if is_guest_dir "$dir"; then
            (cd "$dir" && pwd)
            return 0
        fi
    done
    echo "no test guests (riscv64/Image and riscv64/initramfs.cpio.gz) in" \
         "${WEFT_GUESTS:+WEFT_GUESTS=$WEFT_GUESTS, }../shared/guests or" \
         "$cache: run 'make guests' or set WEFT_GUESTS" >&2
    return 1
}

find_opensbi() {
    if [ -n "${WEFT_OPENSBI:-}" ]; then
        if [ -s "$WEFT_OPENSBI" ]; then
            echo "$WEFT_OPENSBI"
            return 0
        fi
        echo "WEFT_OPENSBI=$WEFT_OPENSBI: no such firmware" >&2
        return 1
    fi
    for dir in ${WEFT_GUESTS:+"$WEFT_GUESTS"} "$root/../shared/guests" \
               "$(cache_dir)"; do
        fw=$dir/riscv64/opensbi/fw_dynamic.bin
        if [ -s "$fw" ]; then
            (cd "$(dirname "$fw")" && echo "$(pwd)/fw_dynamic.bin")
            return 0
        fi
    done
    fw=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
    if [ -s "$fw" ]; then
        echo "warning: using Debian 12's OpenSBI 1.1, whose hart start races" \
             "(-smp > 1 boots may hang); run scripts/fetch-opensbi.sh" >&2
        echo "$fw"
        return 0
    fi
    echo "OpenSBI fw_dynamic.bin not found (run scripts/fetch-opensbi.sh" \
         "or install Debian's 'opensbi')" >&2
    return 1
}

case "${1:-guests}" in
guests)  find_guests ;;
cache)   cache_dir ;;
opensbi) find_opensbi ;;
*)       echo "usage: $0 [guests|cache|opensbi]" >&2; exit 2 ;;
esac
