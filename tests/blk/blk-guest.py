#!/usr/bin/env python3
"""virtio-blk acceptance tests with the RISC-V Linux guest on -M virt.

Usage: blk-guest.py EMULATOR TEST
  pattern     the guest copies a 64 MiB pattern (from a read-only source
              disk) over a 64 MiB disk and hashes it; the host's SHA-256
              of the image, the guest's and the expected one agree; a
              second boot reads the disk back and agrees too
  ext4        an ext4 image made with mkfs.ext4 -d: the guest checks the
              files, writes new ones, deletes one, trims, unmounts;
              e2fsck -fn is clean and debugfs sees the guest's files
  iothread    two disks in two iothreads (one with two queues), -smp 2,
              written in parallel by two guest processes; data checked,
              and -d stats shows that no queue handler or completion ran
              with the BQL
  durability  the guest writes, flushes (dd conv=fsync), prints a marker;
              the emulator is SIGKILLed at once and the data must be in
              the image: cache=writeback and cache=none
  errors      a read-only drive: the guest sees it read-only, dd fails,
              reads work; with x-report-ro=off (weft) the guest sends the
              write and gets EIO; the images do not change

The pattern comes from the host on a read-only disk rather than from a
generator in the guest: under TCG every byte the guest kernel copies
costs, and O_DIRECT (dd iflag=direct oflag=direct) lets the guest move
the data without touching it.  Each 16-byte line of the pattern holds its
own offset, so a sector written to the wrong place shows.

EMULATOR may be qemu-system-riscv64: disks are given as -drive if=none +
-device virtio-blk-device, which both understand; the BQL counters are
checked on weft only."""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'boot'))
import bootlib  # noqa: E402

MIB = 1 << 20


def pattern(size, seed=0):
    """SIZE bytes of 16-byte lines 'SS OOOOOOOOOOOO\\n': seed, offset."""
    return b''.join(b'%02x %012x\n' % (seed, off)
                    for off in range(0, size, 16))[:size]


def sha256_file(path, size=None):
    h = hashlib.sha256()
    left = size if size is not None else float('inf')
    with open(path, 'rb') as f:
        while left > 0:
            chunk = f.read(int(min(MIB, left)))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def find_tool(name):
    """A host tool, also in the sbin directories a user's PATH may lack."""
    path = os.environ.get('PATH', '') + ':/usr/sbin:/sbin'
    return shutil.which(name, path=path)


def make_image(path, size, data=b''):
    with open(path, 'wb') as f:
        f.write(data)
        f.truncate(size)
    return path


class Emulator:
    def __init__(self, path):
        self.path = bootlib.check_emulator(path)
        self.is_weft = 'weft' in os.path.basename(self.path)
        self.guest = bootlib.Guest()

    @staticmethod
    def disk(path, ident, drive_opts='', dev_opts=''):
        """A disk; the first one given becomes vda, the next vdb..."""
        return ['-drive', 'file=%s,format=raw,if=none,id=%s%s'
                % (path, ident, drive_opts),
                '-device', 'virtio-blk-device,drive=%s%s' % (ident, dev_opts)]

    def argv(self, script, extra, smp=2):
        argv = [self.path, '-nographic', '-no-reboot']
        argv += self.guest.args(smp, bootlib.weft_run_cmdline(script))
        return argv + extra

    def run_ok(self, script, extra, what, smp=2, stats_file=None):
        """Boots with SCRIPT as WEFT_RUN; the script must succeed."""
        argv = self.argv(script, extra, smp)
        if stats_file and self.is_weft:
            argv += ['-d', 'stats', '-D', stats_file]
        run = bootlib.Run(argv)
        run.wait()
        run.check_kernel_healthy()
        run.check_exit(what)
        if run.count('weft-guest: exit 0') != 1:
            bootlib.fail('%s: the guest script failed' % what)
        return run


def guest_value(run, tag):
    _, value = run.tagged(tag)
    if not value:
        bootlib.fail('no %s line from the guest' % tag)
    return value.split()[0]


def expect_equal(what, got, want):
    if got != want:
        bootlib.fail('%s: %r, want %r' % (what, got, want))
    print('ok: %s' % what)


# ---- tests

def test_pattern(emu, tmp):
    size = 64 * MIB
    data = pattern(size)
    want = sha256(data)
    src = make_image(os.path.join(tmp, 'src.img'), size, data)
    img = make_image(os.path.join(tmp, 'disk.img'), size)
    # The hash and the copy run side by side on the two vCPUs.
    script = ('(sha256sum /dev/vdb > /tmp/sha) & '
              'dd if=/dev/vdb of=/dev/vda bs=1M iflag=direct oflag=direct '
              'conv=fsync 2>/dev/null; echo W-dd $?; wait; '
              'echo W-sha $(cat /tmp/sha)')
    run = emu.run_ok(script, emu.disk(img, 'd0') +
                     emu.disk(src, 'src', ',readonly=on'), 'write boot')
    expect_equal('guest dd status', guest_value(run, 'W-dd'), '0')
    expect_equal('guest sha256 of the pattern', guest_value(run, 'W-sha'),
                 want)
    expect_equal('host sha256 of the written image', sha256_file(img), want)

    run = emu.run_ok('echo W-sha $(sha256sum /dev/vda)',
                     emu.disk(img, 'd0', ',readonly=on'), 'read boot')
    expect_equal('guest sha256 read back', guest_value(run, 'W-sha'), want)


def test_ext4(emu, tmp):
    mkfs, e2fsck, debugfs = (find_tool(t) for t in
                             ('mkfs.ext4', 'e2fsck', 'debugfs'))
    if not (mkfs and e2fsck and debugfs):
        bootlib.skip('e2fsprogs (mkfs.ext4, e2fsck, debugfs) not installed')
    tree = os.path.join(tmp, 'tree')
    os.makedirs(os.path.join(tree, 'sub'))
    with open(os.path.join(tree, 'hello.txt'), 'w') as f:
        f.write('hello from the host\n')
    blob = pattern(1536 * 1024, 7)
    with open(os.path.join(tree, 'sub', 'data.bin'), 'wb') as f:
        f.write(blob)
    img = os.path.join(tmp, 'ext4.img')
    subprocess.run([mkfs, '-q', '-F', '-d', tree, img, '32M'], check=True)

    script = ('mkdir -p /mnt && mount -t ext4 /dev/vda /mnt && '
              'echo W-hello $(cat /mnt/hello.txt) && '
              'echo W-data $(sha256sum /mnt/sub/data.bin) && '
              'echo written by the guest > /mnt/guest.txt && '
              'mkdir /mnt/newdir && '
              'cp /mnt/sub/data.bin /mnt/newdir/copy.bin && '
              'rm /mnt/sub/data.bin && fstrim /mnt && '
              'umount /mnt && echo W-umount ok')
    run = emu.run_ok(script, emu.disk(img, 'd0'), 'ext4 boot')
    _, hello = run.tagged('W-hello')
    expect_equal('guest reads hello.txt', hello, 'hello from the host')
    expect_equal('guest reads sub/data.bin', guest_value(run, 'W-data'),
                 sha256(blob))
    expect_equal('guest unmounted', guest_value(run, 'W-umount'), 'ok')

    r = subprocess.run([e2fsck, '-fn', img], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(r.stdout.strip())
    expect_equal('e2fsck -fn exit status', r.returncode, 0)
    r = subprocess.run([debugfs, '-R', 'cat /guest.txt', img],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    expect_equal('debugfs cat /guest.txt', r.stdout.decode(),
                 'written by the guest\n')
    copy = os.path.join(tmp, 'copy.bin')
    subprocess.run([debugfs, '-R', 'dump /newdir/copy.bin ' + copy, img],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    expect_equal('debugfs dump /newdir/copy.bin',
                 sha256_file(copy) if os.path.exists(copy) else None,
                 sha256(blob))
    r = subprocess.run([debugfs, '-R', 'stat /sub/data.bin', img],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if b'File not found' not in r.stdout:
        bootlib.fail('debugfs still finds /sub/data.bin')
    print('ok: /sub/data.bin is gone')


def stats_fields(line):
    """'virtio-blk drive=X: a=1 b=2' -> ('X', {'a': '1', 'b': '2'})"""
    head, rest = line.split(': ', 1)
    return head.split('=', 1)[1], dict(kv.split('=') for kv in rest.split())


def check_no_bql(emu, stats_file, drives):
    """-d stats: the drives' queue handlers and completions all ran
    without the BQL, and the handlers did run."""
    if not emu.is_weft:
        print('note: not weft, BQL counters not checked')
        return
    with open(stats_file) as f:
        stats = dict(stats_fields(line.strip()) for line in f
                     if line.startswith('virtio-blk drive='))
    for d in drives:
        if d not in stats:
            bootlib.fail('no -d stats line for drive %s' % d)
        s = stats[d]
        print('drive %s: %s' % (d, s))
        if int(s['handler-calls']) == 0 or \
                int(s['reads']) + int(s['writes']) == 0:
            bootlib.fail('drive %s: no queue activity counted' % d)
        if s['handler-calls-bql'] != '0' or s['completions-bql'] != '0':
            bootlib.fail('drive %s: the queue path ran with the BQL' % d)
    print('ok: %d queue handler calls, none with the BQL'
          % sum(int(stats[d]['handler-calls']) for d in drives))


def test_iothread(emu, tmp):
    size = 12 * MIB
    datas = [pattern(size, 1), pattern(size, 2)]
    imgs = [make_image(os.path.join(tmp, n), size) for n in ('a', 'b')]
    srcs = [make_image(os.path.join(tmp, n + '.src'), size, d)
            for n, d in zip(('a', 'b'), datas)]
    stats = os.path.join(tmp, 'stats.log')
    extra = ['-object', 'iothread,id=io0', '-object', 'iothread,id=io1']
    io = [',iothread=io0', ',iothread=io1']
    if not emu.is_weft:
        # QEMU under TCG: "ioeventfd is required for iothread".
        print('note: not weft, the disks stay in the main loop')
        io = ['', '']
    extra += emu.disk(imgs[0], 'da', dev_opts=io[0])
    extra += emu.disk(imgs[1], 'db', dev_opts=io[1] + ',num-queues=2')
    extra += emu.disk(srcs[0], 'sa', ',readonly=on', io[0])
    extra += emu.disk(srcs[1], 'sb', ',readonly=on', io[1])
    # Buffered writes: writeback keeps many requests in flight on both
    # disks at once; conv=fsync ends each copy with a flush.
    script = ('(dd if=/dev/vdc of=/dev/vda bs=256k iflag=direct '
              'conv=fsync 2>/dev/null; echo W-dda $?) & '
              '(dd if=/dev/vdd of=/dev/vdb bs=256k iflag=direct '
              'conv=fsync 2>/dev/null; echo W-ddb $?) & wait')
    emu.run_ok(script, extra, 'iothread boot', smp=2, stats_file=stats)
    for name, img, data in zip('ab', imgs, datas):
        expect_equal('disk %s: host sha256 of the image' % name,
                     sha256_file(img), sha256(data))
    check_no_bql(emu, stats, ('da', 'db', 'sa', 'sb'))


def odirect_ok(directory):
    path = os.path.join(directory, '.odirect-probe')
    try:
        make_image(path, MIB)
        os.close(os.open(path, os.O_RDONLY | os.O_DIRECT))
        return True
    except OSError:
        return False
    finally:
        if os.path.exists(path):
            os.unlink(path)


def durability_once(emu, tmp, cache):
    size = 4 * MIB
    data = pattern(size, 3)
    img = make_image(os.path.join(tmp, 'dur-%s.img' % cache), 2 * size)
    src = make_image(os.path.join(tmp, 'dur-src.img'), size, data)
    script = ('dd if=/dev/vdb of=/dev/vda bs=64k conv=fsync 2>/dev/null '
              '&& echo W-synced ok && sleep 600')
    run = bootlib.Run(emu.argv(script, emu.disk(img, 'd0', ',cache=' + cache)
                               + emu.disk(src, 'src', ',readonly=on')))
    run.wait(until=lambda r: r.count_tag('W-synced') > 0)
    if run.count_tag('W-synced') == 0:
        run.stop()
        bootlib.fail('cache=%s: no W-synced marker (status %s)'
                     % (cache, run.rc))
    run.proc.kill()             # SIGKILL, right after the marker
    run.proc.wait()
    run.check_kernel_healthy()
    expect_equal('cache=%s: the data is in the image after SIGKILL' % cache,
                 sha256_file(img, size), sha256(data))


def test_durability(emu, tmp):
    durability_once(emu, tmp, 'writeback')
    # cache=none needs O_DIRECT: the temporary directory, else the current
    # one (the build directory under meson).
    for directory in (tmp, os.getcwd()):
        if odirect_ok(directory):
            with tempfile.TemporaryDirectory(dir=directory) as d:
                durability_once(emu, d, 'none')
            return
    print('SKIP (cache=none only): no directory here supports O_DIRECT')


def test_errors(emu, tmp):
    """vda: a read-only drive, as the guest normally sees it.  vdb: the
    same, with x-report-ro=off (weft only), so that the guest does send
    the writes and the device must refuse them."""
    size = 2 * MIB
    imgs = [make_image(os.path.join(tmp, n), size, pattern(size, 4))
            for n in ('ro.img', 'hidden-ro.img')]
    want = sha256_file(imgs[0])
    extra = emu.disk(imgs[0], 'd0', ',readonly=on')
    script = ('echo W-ro $(cat /sys/block/vda/ro); '
              'dd if=/dev/zero of=/dev/vda bs=4k count=1 2>/dev/null; '
              'echo W-rc $?; echo W-sha $(sha256sum /dev/vda)')
    if emu.is_weft:
        extra += emu.disk(imgs[1], 'd1', ',readonly=on', ',x-report-ro=off')
        script += ('; echo W-ro2 $(cat /sys/block/vdb/ro); '
                   'dd if=/dev/zero of=/dev/vdb bs=4k count=1 oflag=direct '
                   '2>/tmp/err; echo W-rc2 $?; echo W-err $(cat /tmp/err)')
    run = emu.run_ok(script, extra, 'read-only boot')
    expect_equal('guest sees a read-only disk', guest_value(run, 'W-ro'),
                 '1')
    if guest_value(run, 'W-rc') == '0':
        bootlib.fail('dd could write to the read-only disk')
    print('ok: dd on the read-only disk fails')
    expect_equal('guest reads the read-only disk', guest_value(run, 'W-sha'),
                 want)
    if emu.is_weft:
        expect_equal('x-report-ro=off: the guest thinks it may write',
                     guest_value(run, 'W-ro2'), '0')
        if guest_value(run, 'W-rc2') == '0':
            bootlib.fail('a write reached the read-only drive and succeeded')
        _, err = run.tagged('W-err')
        if 'Input/output error' not in (err or ''):
            bootlib.fail('write to the hidden read-only drive: want EIO, '
                         'got %r' % err)
        print('ok: the device refuses the write: %s' % err)
    for img in imgs:
        expect_equal('%s unchanged' % os.path.basename(img),
                     sha256_file(img), want)


TESTS = {
    'pattern': test_pattern,
    'ext4': test_ext4,
    'iothread': test_iothread,
    'durability': test_durability,
    'errors': test_errors,
}


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in TESTS:
        bootlib.fail('usage: blk-guest.py EMULATOR %s' % '|'.join(TESTS))
    emu = Emulator(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix='weft-blk-') as tmp:
        TESTS[sys.argv[2]](emu, tmp)
    print('PASS: virtio-blk %s' % sys.argv[2])


if __name__ == '__main__':
    main()
