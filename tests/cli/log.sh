#!/bin/sh
# -d logging on a guest program (tests/tcg/riscv64/trap.S: ecall from M,
# an illegal instruction, ecall from U): each item prints its kind of
# output, -D sends it to a file, -d help lists the items, bad items are
# refused with one line and status 1.
# Usage: log.sh PATH-TO-WEFT GUEST-ELF   (ELF "" -> SKIP)
weft=$1 elf=$2
if [ -z "$elf" ]; then
    echo "SKIP: riscv64-unknown-elf-gcc not found, no guest program to log"
    exit 77
fi
failed=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

fail() {
    echo "FAIL: $*"
    failed=$((failed + 1))
}

# run NAME ARGS...: weft -M spike on the ELF; stdout+stderr in $dir/NAME
run() {
    name=$1; shift
    timeout 30 "$weft" -M spike -bios none -kernel "$elf" "$@" \
        >"$dir/$name" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "weft $* exited with $rc"
        cat "$dir/$name"
    fi
}

# expect NAME EXTENDED-REGEX WHAT
expect() {
    if grep -qE -- "$2" "$dir/$1"; then
        echo "ok - $1: $3"
    else
        fail "$1: no $3 (/$2/); first lines:"
        head -5 "$dir/$1"
    fi
}

# in_asm: the guest disassembly of the first instruction of _start
run in_asm -d in_asm
expect in_asm '0x0*80000000:[[:space:]]+csrr[[:space:]]+a0,[[:space:]]*mhartid' \
    "disassembly of csrr a0,mhartid at the entry"
expect in_asm 'ecall' "disassembly of ecall"
expect in_asm 'mret' "disassembly of mret"

# op: IR with insn_start markers and op names
run op -d op
expect op 'insn_start' "insn_start markers"
expect op '^[[:space:]]*(mov|movi|add|call|st|ld)[a-z0-9_]*[[:space:]]' "IR op lines"

# int: the three traps with their causes (11 ecall M, 2 illegal, 8 ecall U)
run int -d int
expect int 'exception 11' "ecall-from-M trap"
expect int 'exception 2 .*tval' "illegal-instruction trap with tval"
expect int 'exception 8' "ecall-from-U trap"

# exec: one line per block with its guest pc, the entry among them
run exec -d exec
expect exec '\[0*80000000\]' "exec line for the entry pc"
n=$(grep -cE '\[[0-9a-f]{16}\]' "$dir/exec")
if [ "$n" -lt 5 ]; then
    fail "exec: only $n exec lines"
fi

# items combine; without -d nothing is logged
run both -d in_asm,int
expect both 'csrr' "in_asm output with in_asm,int"
expect both 'exception 11' "int output with in_asm,int"
run quiet
if [ -s "$dir/quiet" ]; then
    fail "output without -d:"; cat "$dir/quiet"
else
    echo "ok - no log without -d"
fi

# -D FILE: the log goes to the file, not the terminal
run dfile -d int,in_asm -D "$dir/log.txt"
if [ ! -s "$dir/log.txt" ]; then
    fail "-D did not write $dir/log.txt"
else
    cp "$dir/log.txt" "$dir/dlog"
    expect dlog 'exception 11' "-D file holds the int log"
    expect dlog 'mhartid' "-D file holds the in_asm log"
    if grep -q 'exception 11' "$dir/dfile"; then
        fail "-D: log also went to the terminal"
    fi
fi

# -d help lists every item
"$weft" -d help >"$dir/help" 2>&1 || fail "-d help exited with $?"
for item in in_asm op int exec out_asm; do
    expect help "^$item[[:space:]]" "'$item' in -d help"
done

# bad items: one line naming the item, status 1, no run
for bad in bogus in_asm,bogus 'int,,exec'; do
    "$weft" -M spike -bios none -kernel "$elf" -d "$bad" \
        >"$dir/bad.out" 2>"$dir/bad.err"
    rc=$?
    lines=$(wc -l <"$dir/bad.err")
    if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ]; then
        fail "-d '$bad': rc=$rc, stderr:"; cat "$dir/bad.err"
    elif [ "$bad" != "${bad#*bogus}" ] && ! grep -q bogus "$dir/bad.err"; then
        fail "-d '$bad': message does not name the item: $(cat "$dir/bad.err")"
    else
        echo "ok - -d '$bad' -> $(cat "$dir/bad.err")"
    fi
done

if [ "$failed" -ne 0 ]; then
    echo "$failed log check(s) failed"
    exit 1
fi
echo "PASS: -d logging"
