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
#   opensbi  prints Debian's OpenSBI fw_dynamic.bin ($WEFT_OPENSBI first)
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
    for fw in ${WEFT_OPENSBI:+"$WEFT_OPENSBI"} \
              /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin; do
        if [ -s "$fw" ]; then
            echo "$fw"
            return 0
        fi
    done
    echo "OpenSBI fw_dynamic.bin not found (install Debian's 'opensbi')" >&2
    return 1
}

case "${1:-guests}" in
guests)  find_guests ;;
cache)   cache_dir ;;
opensbi) find_opensbi ;;
*)       echo "usage: $0 [guests|cache|opensbi]" >&2; exit 2 ;;
esac
