#!/bin/sh
# -chardev and virtio-console command-line errors: each must exit with
# status 1 and exactly one line on stderr matching a pattern; and
# -chardev help must list the backends.
# Usage: chardev-errors.sh WEFT
weft=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
printf '\157\000\000\000' >"$dir/raw.bin"
: >"$dir/plain-file"
long=$(printf '%0200d' 0)

# expect NAME PATTERN ARGS...: -M virt with a dummy kernel, no serial.
expect() {
    name=$1 pattern=$2
    shift 2
    timeout 20 "$weft" -M virt -bios none -kernel "$dir/raw.bin" "$@" \
        </dev/null >"$dir/out" 2>"$dir/err"
    rc=$?
    lines=$(grep -c . "$dir/err")
    if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] &&
       grep -qiE -- "$pattern" "$dir/err"; then
        echo "ok: $name: $(cat "$dir/err")"
    else
        echo "FAIL: $name: status $rc, $lines line(s), want 1 matching" \
             "'$pattern':"
        cat "$dir/err"
        failures=$((failures + 1))
    fi
}

S="-serial null"
expect "unknown backend" "unknown backend 'tty'" $S -chardev tty,id=a
expect "no backend" "unknown backend" $S -chardev id=a
expect "no id" "'id' is missing" $S -chardev null
expect "bad id" "'1a' is not a valid id" $S -chardev null,id=1a
expect "duplicate id" "'a' is already in use" $S -chardev null,id=a \
    -chardev null,id=a
expect "unknown parameter" "unknown parameter 'path'" $S \
    -chardev null,id=a,path=x
expect "parameter twice" "'path' given twice" $S \
    -chardev file,id=a,path=x,path=y
expect "file without path" "'path' is missing" $S -chardev file,id=a
expect "file in a missing dir" "could not open" $S \
    -chardev "file,id=a,path=$dir/no/such/file"
expect "bad append" "append" $S -chardev "file,id=a,path=$dir/f,append=maybe"
expect "socket client mode" "server=on" $S \
    -chardev "socket,id=a,path=$dir/s"
expect "socket path and port" "either path" $S \
    -chardev "socket,id=a,path=$dir/s,port=5,server=on"
expect "socket neither" "either path" $S -chardev socket,id=a,server=on
expect "socket port range" "port '70000'" $S \
    -chardev socket,id=a,port=70000,server=on,wait=off
expect "socket on a plain file" "not a socket" $S \
    -chardev "socket,id=a,path=$dir/plain-file,server=on,wait=off"
expect "socket path too long" "longer than" $S \
    -chardev "socket,id=a,path=$dir/$long,server=on,wait=off"
expect "two stdio" "stdio is already used" $S -chardev stdio,id=a \
    -chardev stdio,id=b
expect "stdio and the default serial" "stdio is already used" \
    -chardev stdio,id=a
expect "-serial chardev:unknown" "no character device with id 'x'" \
    -serial chardev:x
expect "console on an unknown chardev" "chardev 'x' not found" $S \
    -device virtio-console-device,chardev=x
expect "two frontends" "chardev 'a' is already in use" $S \
    -chardev null,id=a -device virtio-console-device,chardev=a \
    -device virtio-console-device,chardev=a
expect "serial and console share" "chardev 'a' is already in use" \
    -chardev null,id=a -serial chardev:a \
    -device virtio-console-device,chardev=a

if ! "$weft" -chardev help >"$dir/out" 2>&1 ||
   ! grep -q '^  socket ' "$dir/out" || ! grep -q '^  pty ' "$dir/out"; then
    echo "FAIL: -chardev help:"
    cat "$dir/out"
    failures=$((failures + 1))
else
    echo "ok: -chardev help lists the backends"
fi
if [ -e "$dir/s" ]; then
    echo "FAIL: a refused socket chardev left $dir/s behind"
    failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
    echo "FAIL: $failures case(s)"
    exit 1
fi
echo "PASS: chardev and virtio-console errors"
