#!/bin/sh
# Runs test-x86-boot --kernel on a real Debian kernel: the x86-64 test
# guest's vmlinuz (scripts/find-guests.sh), else the host's
# /boot/vmlinuz-*.  Skips without one.
# Usage: real-kernel.sh TEST-X86-BOOT
test=$1
root=$(cd "$(dirname "$0")/../../.." && pwd)
kernel=
if guests=$(sh "$root/scripts/find-guests.sh" 2>/dev/null) &&
   [ -r "$guests/x86_64/vmlinuz" ]; then
    kernel=$guests/x86_64/vmlinuz
else
    for f in /boot/vmlinuz-*; do
        if [ -r "$f" ]; then
            kernel=$f
            break
        fi
    done
fi
if [ -z "$kernel" ]; then
    echo "SKIP: no x86-64 kernel: no x86_64/vmlinuz in the test guests" \
         "and no readable /boot/vmlinuz-*"
    exit 77
fi
WEFT_X86_KERNEL=$kernel exec "$test" --kernel
