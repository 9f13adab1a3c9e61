#!/usr/bin/env python3
"""Hot-plug acceptance test (issue 6) with the RISC-V Linux guest.

One boot at -smp 2 with a virtio-blk-pci disk (vda) behind one
pcie-root-port and a second, empty port.  Inside the guest one process
keeps doing O_DIRECT I/O on vda (write, read back, compare) all along.
Then, ITERATIONS (50) times:

  host:  blockdev-add, device_add virtio-blk-pci,bus=rp2,iothread=io1;
         the slot is off, so the port presses the attention button
  guest: pciehp powers the slot on and the disk comes up; the guest
         writes a 64 KiB pattern holding the round number (O_DIRECT,
         fsync, read back); a second process maps the function's BAR 4
         (sysfs resource4) and reads num_queues in a tight loop
  host:  device_del: the attention button
  guest: pciehp powers the slot off (round 1 waits out pciehp's 5 s;
         later rounds confirm at once through the slot's sysfs power
         file, as an operator would, so that the rounds fit the time
         budget); the BAR reader runs until the BAR is gone (an access
         fault)
  host:  DEVICE_DELETED; the guest sees the slot empty; the host image
         holds the round's pattern; blockdev-del; weft's open fds (and,
         outside sanitizer builds, its RSS without guest RAM, with some
         slack) are back at their level of the end of round 1.

Then two rounds each of virtio-net-pci, virtio-rng-pci (the guest reads
/dev/hwrng) and virtio-serial-pci in the same slot, with the same BAR
reader and checks.  The I/O process must have progressed in every round,
the kernel must stay healthy, and weft must quit with status 0 and no
sanitizer report.  The guest's program (tests/pci/hotplug-tool.c, built
with riscv64-linux-gnu-gcc: SKIP without it) and script go into a second
initramfs archive.

Usage: linux-hotplug.py WEFT [ITERATIONS]"""

import gzip
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'boot'))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'qmp'))
import bootlib  # noqa: E402
import qmplib  # noqa: E402

ITERATIONS = 50
SLOT = 2                        # physical slot number of the empty port
PATTERN_SIZE = 64 << 10
DISK_SIZE = 4 << 20
GUEST_MEM = '512M'
# One step of one round on a loaded machine (sanitizer builds: more).
STEP_TIMEOUT = float(os.environ.get('WEFT_HOTPLUG_TIMEOUT', '60'))
# Host memory that may come and go between rounds (malloc arenas,
# thread stacks of the worker pool, the first use of a device type):
# weft's RSS without guest RAM must stay within this of its level after
# round 1 (in practice it moves by a few hundred KiB over 56 rounds).
RSS_SLACK_KIB = 8 << 10
CROSS_CC = os.environ.get('CROSS_CC', 'riscv64-linux-gnu-gcc')

# The guest side (/bin/hotplug-guest SLOT KIND...).  Prints W-* lines the
# host waits for; any failure prints W-fail and exits non-zero.
GUEST_SCRIPT = r'''#!/bin/sh
# hotplug-guest SLOT KIND...: one round per KIND (blk, net, rng, serial)
S=/sys/bus/pci/slots/$1
shift
T=hotplug-tool
fail() { echo "W-fail $*"; exit 1; }
# Up to $1 centiseconds for the condition in the remaining arguments.
# The conditions are shell builtins: the only fork is the nap.
wait_for() {
  t=$1; shift
  while ! "$@"; do
    t=$((t - 1)); [ $t -gt 0 ] || return 1
    usleep 10000
  done
}
exists() { [ -e $1 ]; }
bound() { [ -e $D/driver ] && exists $D/virtio*/driver; }
have() {
  for b in $D/virtio*/$1/*; do
    [ -e "$b" ] || continue     # no match: the pattern itself
    B=${b##*/}
    return 0
  done
  return 1
}
gone() { [ ! -e $D ]; }
empty() { read a < $S/adapter; [ "$a" = 0 ]; }
[ -d $S ] || fail no slot $S
# Continuous I/O on the other disk all along, counted in /tmp/io.
$T io /dev/vda /tmp/io &
IO=$!
wait_for 3000 exists /tmp/io || fail no I/O
read A < $S/address
D=/sys/bus/pci/devices/$A.0
echo W-ready $A
i=0
for k in "$@"; do
  i=$((i + 1))
  # The host plugs a device into the slot, which is off: the attention
  # button and presence detect changed make pciehp power it on.
  wait_for 6000 bound || fail round $i: no $k driver
  case $k in
  blk)
    wait_for 1000 have block || fail round $i: no disk
    wait_for 1000 exists /dev/$B || fail round $i: no /dev/$B
    $T pattern /dev/$B $i || fail round $i: pattern
    info=$B ;;
  net)
    wait_for 1000 have net || fail round $i: no interface
    ip link set $B up || fail round $i: $B up
    info=$B ;;
  rng)
    # the only rng, so the current one
    info=$(head -c 64 /dev/hwrng | wc -c) ;;
  serial)
    wait_for 1000 have virtio-ports || fail round $i: no port
    info=$B ;;
  esac
  kill -0 $IO || fail round $i: the I/O process died
  read io < /tmp/io
  echo W-bound $i $k $info $io
  $T bar $D/resource4 0x12 /tmp/up.$i > /tmp/reader.$i 2>&1 &
  R=$!
  $T kmsg 'Powering off due to button press' /tmp/kmsg.$i &
  K=$!
  wait_for 3000 exists /tmp/up.$i || fail round $i: no BAR reader
  wait_for 3000 exists /tmp/kmsg.$i || fail round $i: no kmsg reader
  echo W-reader-up $i
  # The host presses the attention button now.  Round 1 leaves pciehp
  # to power the slot off after its 5 s; later rounds confirm at once.
  wait $K || fail round $i: no button
  if [ $i -ne 1 ]; then
    echo 0 > $S/power || fail round $i: power off
  fi
  wait_for 6000 gone || fail round $i: still there
  wait_for 3000 empty || fail round $i: slot not empty
  # After powering off, pciehp waits 1 s and then forgets the presence
  # changes meanwhile; a device plugged in that second would wait for
  # the button's 5 s.  (Later rounds: the power write returned after it.)
  [ $i -ne 1 ] || usleep 1500000
  kill $R 2>/dev/null
  wait $R
  read r < /tmp/reader.$i
  read io < /tmp/io
  echo W-gone $i $a $io $r
done
kill -0 $IO || fail the I/O process died
kill $IO
# The host ends the run (QMP quit) once it has looked at weft.
echo W-done $i
sleep 100000
'''


def fail(msg):
    bootlib.fail(msg)


def build_guest_archive(tmp):
    """hotplug-tool and the guest script as a gzip'd newc cpio."""
    cc = shutil.which(CROSS_CC)
    if not cc:
        bootlib.skip('no %s to build the guest program' % CROSS_CC)
    exe = os.path.join(tmp, 'hotplug-tool')
    r = subprocess.run([cc, '-static', '-O2', '-Wall', '-o', exe,
                        os.path.join(HERE, 'hotplug-tool.c')],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        bootlib.skip('%s cannot build a static program: %s'
                     % (CROSS_CC, r.stdout.strip()[-300:]))
    with open(exe, 'rb') as f:
        tool = f.read()
    # newc: a header of 13 hex fields, the name, the data, 4-byte aligned
    files = [('bin/hotplug-tool', 0o100755, tool),
             ('bin/hotplug-guest', 0o100755, GUEST_SCRIPT.encode())]
    out = bytearray()
    for ino, (name, mode, data) in enumerate(
            files + [('TRAILER!!!', 0, b'')], 1):
        name = name.encode() + b'\0'
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name), 0)
        out += b'070701' + ''.join('%08x' % v for v in fields).encode()
        out += name
        out += b'\0' * (-len(out) % 4)
        out += data
        out += b'\0' * (-len(out) % 4)
    return gzip.compress(bytes(out))


def sanitizer(pid):
    """'ASan' or 'TSan' if weft is a sanitizer build, else None."""
    with open('/proc/%d/maps' % pid) as f:
        maps = f.read()
    for lib, name in (('libasan', 'ASan'), ('libtsan', 'TSan')):
        if lib in maps:
            return name
    return None


def fd_count(pid):
    return len(os.listdir('/proc/%d/fd' % pid))


def rss_kib(pid, guest_ram_kib):
    """(VmRSS, RSS without the guest RAM mapping), in KiB."""
    with open('/proc/%d/status' % pid) as f:
        vmrss = int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))
    ram = 0
    size = None
    with open('/proc/%d/smaps' % pid) as f:
        for line in f:
            if re.match(r'[0-9a-f]+-[0-9a-f]+ ', line):
                size = None
            elif line.startswith('Size:'):
                size = int(line.split()[1])
            elif line.startswith('Rss:') and size == guest_ram_kib:
                ram += int(line.split()[1])
    return vmrss, vmrss - ram


class Machine:
    def __init__(self, run, qmp):
        self.run = run
        self.qmp = qmp

    def pump(self, seconds, until=None):
        """Reads the console for up to SECONDS, or until UNTIL() holds.
        (bootlib's Run.wait would kill the emulator at its timeout.)"""
        fd = self.run.proc.stdout.fileno()
        qmp_fd = self.qmp.sock.fileno()
        deadline = time.monotonic() + seconds
        while not (until and until()):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([fd, qmp_fd], [], [], min(left, 0.5))
            if qmp_fd in ready:
                self.qmp.poll_events()
            if fd in ready:
                data = os.read(fd, 65536)
                if not data:
                    fail('the emulator exited (status %s)'
                         % self.run.proc.wait())
                self.run.take(data)
        return True

    def find(self, tag, n):
        for _, line in self.run.lines:
            if line.startswith(tag + ' '):
                words = line.split()[1:]
                if n is None or (words and words[0] == str(n)):
                    return words
        return None

    def wait_tag(self, tag, n=None, timeout=STEP_TIMEOUT):
        """Waits for the guest line 'TAG [n ...]'; returns its words."""
        self.pump(timeout, lambda: self.find(tag, n) is not None or
                  self.run.count_tag('W-fail') > 0)
        if self.run.count_tag('W-fail'):
            _, why = self.run.tagged('W-fail')
            fail('guest: ' + why)
        words = self.find(tag, n)
        if words is None:
            fail('no "%s %s" from the guest within %d s' % (tag, n, timeout))
        return words

    def wait_event(self, name, match, timeout=STEP_TIMEOUT):
        def seen():
            return any(ev['event'] == name and match(ev.get('data', {}))
                       for ev in self.qmp.events)

        # The console keeps flowing (and is logged) while we wait.
        if not self.pump(timeout, seen):
            print(self.qmp.ok('human-monitor-command',
                              {'command-line': 'info qtree'}))
            fail('no %s within %d s' % (name, timeout))
        return self.qmp.take_event(name, match)


def check_image(image, i):
    want = (b'weft-hotplug-round-%d\n' % i) * (PATTERN_SIZE // 20 + 1)
    with open(image, 'rb') as f:
        got = f.read(PATTERN_SIZE)
    if got != want[:PATTERN_SIZE]:
        fail('round %d: the host image does not hold the pattern '
             '(starts with %r)' % (i, got[:40]))


# The other virtio-pci types, each unplugged and plugged again twice after
# the disks: (driver, properties, kind for the guest).
OTHERS = [('virtio-net-pci', {'netdev': 'n0'}, 'net'),
          ('virtio-rng-pci', {}, 'rng'),
          ('virtio-serial-pci', {'chardev': 'c0'}, 'serial')]


def main():
    if len(sys.argv) not in (2, 3):
        fail(__doc__.strip().splitlines()[-1])
    weft = bootlib.check_emulator(sys.argv[1])
    disks = int(sys.argv[2]) if len(sys.argv) == 3 else ITERATIONS
    kinds = ['blk'] * disks + [k for o in OTHERS for k in (o[2], o[2])]
    guest = bootlib.Guest()
    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, 'initrd.cpio.gz')
        with open(initrd, 'wb') as f:
            with open(guest.initrd, 'rb') as base:
                f.write(base.read())
            f.write(build_guest_archive(tmp))
        io_img = os.path.join(tmp, 'io.img')
        hp_img = os.path.join(tmp, 'hp.img')
        for path in (io_img, hp_img):
            with open(path, 'wb') as f:
                f.truncate(DISK_SIZE)
        sock = os.path.join(tmp, 'qmp.sock')
        argv = [weft, '-nographic', '-qmp', 'unix:%s,server=on,wait=off'
                % sock,
                '-device', 'pcie-root-port,id=rp1,chassis=1,slot=1',
                '-device', 'pcie-root-port,id=rp2,chassis=1,slot=%d' % SLOT,
                '-drive', 'file=%s,format=raw,if=none,id=io0' % io_img,
                '-device', 'virtio-blk-pci,drive=io0,bus=rp1',
                '-netdev', 'user,id=n0', '-chardev', 'null,id=c0',
                '-object', 'iothread,id=io1']
        argv += guest.args(2, bootlib.weft_run_cmdline(
            'hotplug-guest %d %s' % (SLOT, ' '.join(kinds))), mem=GUEST_MEM)
        argv[argv.index('-initrd') + 1] = initrd
        run = bootlib.Run(argv)
        try:
            rc = Rounds(run, qmplib.Client(sock, proc=run.proc,
                                                    timeout=STEP_TIMEOUT),
                        hp_img).play(kinds)
        finally:
            run.stop()
        run.check_kernel_healthy()
        if rc:
            fail(rc)
    print('PASS: %d rounds of hot-plug, I/O, MMIO and hot-unplug of '
          'virtio-blk-pci through the root port, then virtio-net-pci, '
          'virtio-rng-pci and virtio-serial-pci' % disks)


class Rounds:
    def __init__(self, run, qmp, image):
        self.m = Machine(run, qmp)
        self.run = run
        self.qmp = qmp
        self.image = image
        self.pid = run.proc.pid
        self.ram_kib = int(GUEST_MEM[:-1]) << 10
        self.node = None
        self.reuse_node = False
        self.base = None            # (fds, RSS without guest RAM)
        self.io_last = 0
        # ASan keeps freed memory in quarantine and TSan has its shadow:
        # RSS only grows there.  (LeakSanitizer checks at exit instead.)
        self.check_rss = not sanitizer(self.pid)
        if not self.check_rss:
            print('note: %s build: RSS not compared between rounds'
                  % sanitizer(self.pid))

    def plug_blk(self, i):
        if self.node is None:
            self.node = 'hp%d' % i
            self.qmp.ok('blockdev-add', {'driver': 'file',
                                         'node-name': self.node,
                                         'filename': self.image})
        # In an iothread: the drain detaches its handlers there.
        self.qmp.ok('device_add', {'driver': 'virtio-blk-pci', 'id': 'hp',
                                   'bus': 'rp2', 'drive': self.node,
                                   'iothread': 'io1'})

    def after_blk(self, i):
        check_image(self.image, i)
        if self.reuse_node:
            return
        r = self.qmp.cmd('blockdev-del', {'node-name': self.node})
        if 'return' in r:
            self.node = None
        elif 'block nodes stay until weft exits' in r['error']['desc']:
            print('note: no blockdev-del yet: one node for every round')
            self.reuse_node = True
        else:
            fail('round %d: blockdev-del: %r' % (i, r))

    def round(self, i, kind):
        t = [time.monotonic()]
        if kind == 'blk':
            self.plug_blk(i)
        else:
            driver, props = [(d, p) for d, p, k in OTHERS if k == kind][0]
            self.qmp.ok('device_add', dict(driver=driver, id='hp',
                                           bus='rp2', **props))
        words = self.m.wait_tag('W-bound', i)
        t.append(time.monotonic())
        if words[1] != kind or (kind == 'rng' and words[2] != '64'):
            fail('round %d: guest says %r' % (i, words))
        io_now = int(words[-1])
        self.m.wait_tag('W-reader-up', i)
        t.append(time.monotonic())
        self.qmp.ok('device_del', {'id': 'hp'})
        self.m.wait_event('DEVICE_DELETED', lambda d: d.get('device') == 'hp')
        t.append(time.monotonic())
        words = self.m.wait_tag('W-gone', i)
        t.append(time.monotonic())
        if words[1] != '0':
            fail('round %d: slot still shows an adapter' % i)
        reader = dict(w.split('=', 1) for w in words[3:] if '=' in w)
        if int(reader.get('good', 0)) < 1000:
            fail('round %d: the BAR reader did not read the device: %r'
                 % (i, words))
        if io_now <= self.io_last:
            fail('round %d: no I/O on the other disk since the last round '
                 '(%d -> %d)' % (i, self.io_last, io_now))
        self.io_last = io_now
        if kind == 'blk':
            self.after_blk(i)
        self.check_resources(i, kind, t, ' '.join(words[3:]))

    def check_resources(self, i, kind, t, reader):
        self.m.pump(0.2)        # let the finalizes run
        fds = fd_count(self.pid)
        vmrss, host_rss = rss_kib(self.pid, self.ram_kib)
        print('round %d %s: %.1f s (plug %.1f, reader %.1f, unplug %.1f, '
              'guest sees it %.1f), fds %d, VmRSS %d KiB (%d without guest '
              'RAM), reader %s'
              % (i, kind, time.monotonic() - t[0], t[1] - t[0], t[2] - t[1],
                 t[3] - t[2], t[4] - t[3], fds, vmrss, host_rss, reader),
              flush=True)
        if not self.base:
            self.base = (fds, host_rss)
            return
        if fds != self.base[0]:
            fail('round %d: weft has %d open fds, %d after round 1'
                 % (i, fds, self.base[0]))
        if self.check_rss and host_rss > self.base[1] + RSS_SLACK_KIB:
            fail('round %d: RSS without guest RAM grew from %d to %d KiB'
                 % (i, self.base[1], host_rss))

    def play(self, kinds):
        self.m.wait_tag('W-ready', timeout=bootlib.BOOT_TIMEOUT)
        t0 = time.monotonic()
        for i, kind in enumerate(kinds, 1):
            self.round(i, kind)
        self.m.wait_tag('W-done', len(kinds))
        print('ok: %d rounds in %.0f s' % (len(kinds), time.monotonic() - t0))
        return self.quit()

    def quit(self):
        self.qmp.ok('quit')
        try:
            rc = self.run.proc.wait(STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return 'weft did not exit after quit'
        self.run.take(self.run.proc.stdout.read() + b'\n')  # the rest
        if rc != 0:
            return 'weft exited with status %d after quit' % rc
        if any('Sanitizer' in line or 'runtime error:' in line
               for _, line in self.run.lines):
            return 'sanitizer report in the output'
        return None


if __name__ == '__main__':
    main()
