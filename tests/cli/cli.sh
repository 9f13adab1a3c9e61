#!/bin/sh
# Command-line behaviour: good options work, bad ones give one line on
# stderr naming the problem and exit status 1 (never a crash).
# Usage: cli.sh PATH-TO-WEFT
weft=$1
failed=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# expect_error "what the message must contain" ARGS...
expect_error() {
    want=$1; shift
    "$weft" "$@" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    lines=$(wc -l <"$out/stderr")
    if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" "$out/stderr"; then
        echo "FAIL: weft $*: rc=$rc, stderr:"; cat "$out/stderr"
        failed=$((failed + 1))
    else
        echo "ok - weft $* -> $(cat "$out/stderr")"
    fi
}

# expect_output "text stdout must contain" ARGS...
expect_output() {
    want=$1; shift
    "$weft" "$@" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    if [ "$rc" -ne 0 ] || ! grep -qF -- "$want" "$out/stdout"; then
        echo "FAIL: weft $*: rc=$rc"; cat "$out/stdout" "$out/stderr"
        failed=$((failed + 1))
    else
        echo "ok - weft $*"
    fi
}

expect_error "invalid option" -bogus
expect_error "unexpected argument" foo
expect_error "requires an argument" -m
expect_error "-m 12Q" -m 12Q
expect_error "-m 12Q" -M none -m 12Q
expect_error "larger than zero" -m 0
expect_error "-m -5" -m -5
expect_error "-m 99999999999999999999" -m 99999999999999999999
expect_error "at least 1" -smp 0
expect_error "-smp x" -smp x
expect_error "-smp 2,foo=1" -smp 2,foo=1
expect_error "at most" -M none -smp 2
expect_error "unknown machine" -M nosuchboard
expect_error "unknown accelerator" -accel fast
expect_error "unknown log item" -d nosuchitem
expect_error "-D" -D /nonexistent/dir/log
expect_error "unknown object type" -object frobnicator,id=x
expect_error "'id' is missing" -object iothread
expect_error "-object iothread,id=1bad" -object iothread,id=1bad
expect_error "-object iothread,id=a" -object iothread,id=a -object iothread,id=a
expect_error "-device nosuchdevice" -device nosuchdevice
expect_error "RAM 'ram': cannot map" -M none -m 1E
expect_error "-device nosuchdevice,help" -device nosuchdevice,help
expect_error "-kernel is required" -M spike
expect_error "No such file" -M spike -bios none -kernel /nonexistent/test.elf
expect_error "expected RISC-V" -M spike -bios none -kernel "$weft"
expect_error "not an ELF file" -M spike -bios none -kernel "$0"
expect_error "at most 8" -M spike -smp 9 -kernel "$weft"
expect_error "only 'none'" -M spike -bios fw.bin -kernel "$weft"
expect_error "device tree" -M spike -initrd x -kernel "$weft"

expect_output "weft version" -version
expect_output "usage: weft" -help
expect_output "none" -M help
expect_output "spike" -M help
expect_output "in_asm" -d help
expect_output "ram" -M none -m 64M -d mtree
expect_output "ram" -M none -m 64M -object iothread,id=io0 -d mtree

if [ "$failed" -ne 0 ]; then
    echo "$failed command-line case(s) failed"
    exit 1
fi
