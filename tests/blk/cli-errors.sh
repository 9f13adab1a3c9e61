#!/bin/sh
# -drive, -blockdev and virtio-blk-device on the command line: good
# combinations are accepted (checked with -M virt,dumpdtb=, which builds
# the machine and exits), bad ones give one line on stderr naming the
# problem and exit status 1.
# Usage: cli-errors.sh PATH-TO-WEFT
weft=$1
failed=0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
img=$dir/disk.img
truncate -s 1M "$img"

# expect_error "what the message must contain" ARGS...
expect_error() {
    want=$1; shift
    "$weft" "$@" >"$dir/stdout" 2>"$dir/stderr"
    rc=$?
    lines=$(wc -l <"$dir/stderr")
    if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] ||
       ! grep -qF -- "$want" "$dir/stderr"; then
        echo "FAIL: weft $*: rc=$rc, want one line with '$want', stderr:"
        cat "$dir/stderr"
        failed=$((failed + 1))
    else
        echo "ok - $(cat "$dir/stderr")"
    fi
}

# expect_ok ARGS...: the machine builds (dumpdtb exits before running).
expect_ok() {
    "$weft" -M "virt,dumpdtb=$dir/virt.dtb" "$@" >"$dir/stdout" \
        2>"$dir/stderr"
    rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$dir/stderr" ]; then
        echo "FAIL: weft $*: rc=$rc, stderr:"; cat "$dir/stderr"
        failed=$((failed + 1))
    else
        echo "ok - accepted: $*"
    fi
}

virt="-M virt"
expect_ok -drive "file=$img,format=raw,if=virtio"
expect_ok -drive "file=$img,if=none,id=d0,readonly=on,cache=writeback" \
    -device virtio-blk-device,drive=d0,serial=abc,num-queues=4
expect_ok -object iothread,id=io0 \
    -drive "file=$img,if=virtio,id=v,serial=a,,b,iothread=io0,aio=threads"
expect_ok -blockdev "driver=file,node-name=f0,filename=$img,read-only=on" \
    -device virtio-blk-device,drive=f0
expect_ok -blockdev "driver=file,node-name=f0,filename=$img" \
    -blockdev driver=raw,node-name=r0,file=f0,read-only=on \
    -device virtio-blk-device,drive=r0
# Nine disks: the virt board has eight slots.
nine=""
for i in 1 2 3 4 5 6 7 8 9; do nine="$nine -drive file=$img,readonly=on"; done

expect_error "could not open '$dir/none.img'" \
    -drive "file=$dir/none.img,format=raw,if=virtio"
expect_error "it is a directory" -drive "file=$dir"
expect_error "format=qcow2 is not supported" -drive "file=$img,format=qcow2"
expect_error "unknown parameter 'bogus'" -drive "file=$img,bogus=1"
expect_error "given more than once" -drive "file=$img,file=$img"
expect_error "file= is missing" -drive if=virtio
expect_error "if=ide is not supported" -drive "file=$img,if=ide"
expect_error "if=none needs an id=" -drive "file=$img,if=none"
expect_error "cache=directsync is not supported" \
    -drive "file=$img,cache=directsync"
expect_error "readonly=maybe: expected on or off" \
    -drive "file=$img,readonly=maybe"
expect_error "aio=native is not supported" -drive "file=$img,aio=native"
expect_error "discard=sometimes" -drive "file=$img,discard=sometimes"
expect_error "longer than 20 characters" \
    -drive "file=$img,serial=abcdefghijklmnopqrstuvwxyz"
expect_error "invalid drive id '9x'" -drive "file=$img,id=9x"
expect_error "duplicate drive id 'a'" \
    -drive "file=$img,if=none,id=a" -drive "file=$img,if=none,id=a"
expect_error "duplicate node name 'a'" \
    -blockdev "driver=file,node-name=a,filename=$img" \
    -blockdev "driver=file,node-name=a,filename=$img"
# -blockdev is processed first: the -drive is the duplicate.
expect_error "duplicate drive id 'a'" \
    -drive "file=$img,if=none,id=a" \
    -blockdev "driver=file,node-name=a,filename=$img"
expect_error "iothread= needs if=virtio" \
    -drive "file=$img,if=none,id=a,iothread=io0"
expect_error "driver=qcow2 is not supported" \
    -blockdev "driver=qcow2,node-name=q,filename=$img"
expect_error "node-name= is missing" -blockdev "driver=file,filename=$img"
expect_error "filename= is missing" -blockdev driver=file,node-name=f
expect_error "unknown parameter 'cache'" \
    -blockdev "driver=file,node-name=f,filename=$img,cache=none"
expect_error "no -blockdev driver=file node" \
    -blockdev driver=raw,node-name=r,file=nope
expect_error "drive 'f' is already in use by raw node" $virt \
    -blockdev "driver=file,node-name=f,filename=$img" \
    -blockdev driver=raw,node-name=r,file=f -device virtio-blk-device,drive=f
expect_error "drive= is missing" $virt -device virtio-blk-device
expect_error "drive 'nope' not found" $virt \
    -device virtio-blk-device,drive=nope
expect_error "drive 'd' is already in use" $virt \
    -drive "file=$img,if=none,id=d" -device virtio-blk-device,drive=d \
    -device virtio-blk-device,drive=d
expect_error "drive 'd' is already in use" $virt \
    -drive "file=$img,id=d" -device virtio-blk-device,drive=d
expect_error "num-queues=0 out of range" $virt \
    -drive "file=$img,if=none,id=d" \
    -device virtio-blk-device,drive=d,num-queues=0
expect_error "queue-size=100 must be a power of two" $virt \
    -drive "file=$img,if=none,id=d" \
    -device virtio-blk-device,drive=d,queue-size=100
expect_error "iothread 'nope' not found" $virt \
    -drive "file=$img,iothread=nope"
# shellcheck disable=SC2086
expect_error "No free 'virtio-bus'" $virt $nine

if [ "$failed" -ne 0 ]; then
    echo "FAIL: $failed case(s)"
    exit 1
fi
echo "PASS"
