#!/usr/bin/env python3
"""PCI Express acceptance test with the RISC-V Linux guest on -M virt.

One boot with a virtio-rng-pci on the root bus, two pcie-root-ports, a
virtio-rng-pci behind the first and (when weft has virtio-blk) a disk on
virtio-blk-pci behind the second.  The guest must:
  - list every function in /sys/bus/pci/devices with the right
    vendor/device/class ids, the virtio ones bound to virtio drivers;
  - offer both rngs as virtio_rng.N and read /dev/hwrng from each (a read
    waits for the device's interrupt: INTx through the interrupt-map,
    swizzled through the root port for the one behind it);
  - count interrupts on each virtio-pci device's line in /proc/interrupts;
  - write a pattern over the disk and read it back; the host checks the
    image afterwards.
A second run reboots the guest (reset of the host and every function)
and reads both rngs again in the second boot.

Usage: linux-pci.py EMULATOR
EMULATOR may be qemu-system-riscv64 (its virtio-pci devices get
disable-legacy=on so that the ids are the modern ones)."""

import hashlib
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'boot'))
import bootlib  # noqa: E402

DISK_SIZE = 4 << 20
PATTERN_LINES = 30000           # `seq 1 N`: about 168 KiB


def pattern():
    return ''.join('%d\n' % i for i in range(1, PATTERN_LINES + 1)).encode()


def has_device(emulator, name):
    r = subprocess.run([emulator, '-device', 'help'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return ('"%s"' % name) in r.stdout


def script(with_disk):
    s = ('cd /sys/bus/pci/devices; for d in *; do echo W-pci $d '
         '$(cat $d/vendor $d/device $d/class) '
         '$(ls -d $d/virtio* 2>/dev/null | sed s,.*/,,); done; '
         'R=/sys/class/misc/hw_random; '
         'echo W-rng-avail $(cat $R/rng_available); '
         'for r in $(cat $R/rng_available); do echo $r > $R/rng_current; '
         'echo W-hwrng $(cat $R/rng_current) '
         '$(head -c 64 /dev/hwrng | od -An -tx1 -v | tr -dc 0-9a-f); '
         'done; ')
    if with_disk:
        # Read back with O_DIRECT: from the device, not the page cache.
        size = len(pattern())
        s += ('seq 1 %d > /tmp/p; '
              'dd if=/tmp/p of=/dev/vda bs=4k conv=fsync 2>/dev/null; '
              'echo W-blk $(dd if=/dev/vda bs=4k count=%d iflag=direct '
              '2>/dev/null | head -c %d | sha256sum); '
              % (PATTERN_LINES, (size + 4095) // 4096, size))
    s += 'grep virtio /proc/interrupts | sed s/^/W-irq/'
    return s


def expected_functions(with_disk):
    """(address, vendor, device, class, is virtio) of every function."""
    want = [
        ('0000:00:00.0', '0x1b36', '0x0008', '0x060000', False),
        ('0000:00:01.0', '0x1af4', '0x1044', '0x00ff00', True),
        ('0000:00:02.0', '0x1b36', '0x000c', '0x060400', False),
        ('0000:00:03.0', '0x1b36', '0x000c', '0x060400', False),
        ('0000:01:00.0', '0x1af4', '0x1044', '0x00ff00', True),
    ]
    if with_disk:
        want.append(('0000:02:00.0', '0x1af4', '0x1042', '0x010000', True))
    return want


def tagged_all(run, tag):
    return [line[len(tag) + 1:].strip() for _, line in run.lines
            if line.startswith(tag + ' ')]


def check_functions(run, with_disk):
    """Returns {address: virtio device name} for the virtio functions."""
    seen = {}
    for rest in tagged_all(run, 'W-pci'):
        f = rest.split()
        seen[f[0]] = f[1:]
    names = {}
    for addr, vendor, device, cls, virtio in expected_functions(with_disk):
        got = seen.pop(addr, None)
        if not got or got[:3] != [vendor, device, cls]:
            bootlib.fail('%s: want %s %s %s, guest has %r'
                         % (addr, vendor, device, cls, got))
        if virtio:
            if len(got) < 4 or not got[3].startswith('virtio'):
                bootlib.fail('%s: no virtio driver bound (%r)' % (addr, got))
            names[addr] = got[3]
    if seen:
        bootlib.fail('unexpected PCI functions: %r' % seen)
    print('ok: %d PCI functions with the right ids' % len(
        expected_functions(with_disk)))
    return names


def check_rngs(run):
    _, avail = run.tagged('W-rng-avail')
    rngs = (avail or '').split()
    if sorted(rngs) != ['virtio_rng.0', 'virtio_rng.1']:
        bootlib.fail('rng_available: want virtio_rng.0 and .1, got %r'
                     % avail)
    reads = {}
    for rest in tagged_all(run, 'W-hwrng'):
        f = rest.split()
        if len(f) == 2:
            reads[f[0]] = f[1]
    for r in rngs:
        data = reads.get(r, '')
        if len(data) != 128 or not re.fullmatch('[0-9a-f]+', data):
            bootlib.fail('%s: /dev/hwrng gave %r, want 64 bytes' % (r, data))
        if data == '0' * 128:
            bootlib.fail('%s: /dev/hwrng gave only zeros' % r)
    if reads.get(rngs[0]) == reads.get(rngs[1]):
        bootlib.fail('both rngs returned the same bytes')
    print('ok: /dev/hwrng read through both virtio_rng devices')


def check_irqs(run, names):
    counts = {}
    for rest in tagged_all(run, 'W-irq'):
        f = rest.replace(',', ' ').split()
        nums = [int(x) for x in f[1:] if x.isdigit()]
        for word in f:
            if re.fullmatch(r'virtio\d+', word):
                counts[word] = sum(nums[:-1]) if len(nums) > 1 else 0
    for addr, name in sorted(names.items()):
        if counts.get(name, 0) <= 0:
            bootlib.fail('%s (%s): no interrupts in /proc/interrupts'
                         % (addr, name))
        print('ok: %s (%s) took %d interrupts' % (addr, name, counts[name]))


def check_disk(run, image):
    want = hashlib.sha256(pattern()).hexdigest()
    _, sha = run.tagged('W-blk')
    if not sha or sha.split()[0] != want:
        bootlib.fail('guest read back %r from the disk, want %s' % (sha, want))
    with open(image, 'rb') as f:
        data = f.read(len(pattern()))
    if data != pattern():
        bootlib.fail('the disk image does not hold what the guest wrote')
    print('ok: disk on virtio-blk-pci written and read back')


RNG_SCRIPT = ('R=/sys/class/misc/hw_random; '
              'for r in $(cat $R/rng_available); do echo $r > $R/rng_current; '
              'echo W-hwrng $(cat $R/rng_current) '
              '$(head -c 64 /dev/hwrng | od -An -tx1 -v | tr -dc 0-9a-f); '
              'done; reboot -f')


def check_reboot(emulator, guest, extra):
    """A guest reboot resets the host and its functions: the second boot
    enumerates them again and both rngs still answer."""
    argv = [emulator, '-nographic', '-device', 'virtio-rng-pci' + extra,
            '-device', 'pcie-root-port,id=rp1,chassis=1,slot=1',
            '-device', 'virtio-rng-pci,bus=rp1' + extra]
    argv += guest.args(1, bootlib.weft_run_cmdline(RNG_SCRIPT))
    run = bootlib.Run(argv)
    run.wait(timeout=2 * bootlib.BOOT_TIMEOUT, grace=False,
             until=lambda r: r.count_tag('W-hwrng') >= 4)
    run.stop()
    run.check_kernel_healthy()
    reads = tagged_all(run, 'W-hwrng')
    if run.count('weft-guest: ready') < 2 or len(reads) < 4:
        bootlib.fail('reboot: want two boots reading both rngs, saw %d '
                     'boot(s) and %d read(s)'
                     % (run.count('weft-guest: ready'), len(reads)))
    for rest in reads[:4]:
        f = rest.split()
        if len(f) != 2 or len(f[1]) != 128:
            bootlib.fail('reboot: bad /dev/hwrng read %r' % rest)
    print('ok: after a guest reboot both virtio-rng-pci work again')


def main():
    if len(sys.argv) != 2:
        bootlib.fail(__doc__.strip().splitlines()[-3])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    qemu = 'qemu' in os.path.basename(emulator)
    extra = ',disable-legacy=on' if qemu else ''
    with_disk = has_device(emulator, 'virtio-blk-pci')
    if not with_disk:
        print('note: no virtio-blk-pci in this build; disk part left out')
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, 'disk.img')
        with open(image, 'wb') as f:
            f.truncate(DISK_SIZE)
        argv = [emulator, '-nographic', '-device', 'virtio-rng-pci' + extra,
                '-device', 'pcie-root-port,id=rp1,chassis=1,slot=1',
                '-device', 'pcie-root-port,id=rp2,chassis=1,slot=2',
                '-device', 'virtio-rng-pci,bus=rp1' + extra]
        if with_disk:
            argv += ['-drive', 'file=%s,format=raw,if=none,id=d0' % image,
                     '-device', 'virtio-blk-pci,drive=d0,bus=rp2' + extra]
        argv += guest.args(2, bootlib.weft_run_cmdline(script(with_disk)))
        run = bootlib.Run(argv)
        run.wait()
        run.check_kernel_healthy()
        # A hang (a lost interrupt blocks a driver) shows as a timeout.
        run.check_exit('power-off')
        names = check_functions(run, with_disk)
        check_rngs(run)
        if with_disk:
            check_disk(run, image)
        check_irqs(run, names)
        if run.count('weft-guest: exit 0') != 1:
            bootlib.fail('no "weft-guest: exit 0": the script failed')
    check_reboot(emulator, guest, extra)
    print('PASS: PCIe host, root ports and virtio-pci work under Linux, '
          'also after a reboot')


if __name__ == '__main__':
    main()
