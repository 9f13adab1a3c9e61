#!/usr/bin/env python3
"""Linux under KVM: Debian's stock x86-64 kernel on -M microvm.

First a calibration: the 'calibrate' test kernel runs 16 x 2^20
iterations of a two-instruction loop and prints a line after each 2^20;
the host times them.  Hardware KVM does about 10^9 iterations/s; the
software KVM of the machines this project is built on about 10^6, where
a Linux boot would take an hour.  Below KVM_FAST_ITERS_PER_S the test
skips with the measured speed as the reason.

Then one boot of ../shared/guests/x86_64/vmlinuz with its initramfs,
-smp 2, a raw disk on virtio-blk-pci (pcie.0, behind the 0xcf8/0xcfc
host, MSI-X through KVM_SIGNAL_MSI): the guest must reach 'weft-guest:
ready' with 2 CPUs (the MP table), list the PCI functions, read the
host's pattern from /dev/vda and write its own, then power off.  The
host checks the image afterwards.

Skips (77) without /dev/kvm, without the test kernel or without the
guests.

Usage: linux-boot.py WEFT CALIBRATE.elf"""

import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'boot'))
import bootlib  # noqa: E402

CAL_TICKS = 16
CAL_TICK_ITERS = 1 << 20
CAL_BUDGET = 8.0                    # seconds before we stop measuring
# Between software (~1e6/s) and hardware (~1e9/s) KVM, far from both.
KVM_FAST_ITERS_PER_S = float(os.environ.get('WEFT_KVM_FAST_ITERS',
                                            '50e6'))
BOOT_TIMEOUT = float(os.environ.get('WEFT_KVM_BOOT_TIMEOUT', '180'))

DISK_SIZE = 8 << 20
HOST_PATTERN = b'weft-host-pattern-7c1d'
GUEST_PATTERN = 'weft-guest-wrote-3e9a'
GUEST_OFFSET = 1 << 20              # where the guest writes (sector 2048)


def check_kvm():
    if not os.path.exists('/dev/kvm'):
        bootlib.skip('/dev/kvm not present')
    if not os.access('/dev/kvm', os.R_OK | os.W_OK):
        bootlib.skip('/dev/kvm is not readable and writable by this user')


def calibrate(weft, kernel):
    """Iterations per second of guest code under this KVM."""
    run = bootlib.Run([weft, '-M', 'microvm', '-accel', 'kvm', '-m', '32M',
                       '-kernel', kernel, '-no-reboot', '-serial', 'stdio'])

    def ticks(r):
        return r.count('weft-kvm-test: calibrate: tick ')

    run.wait(timeout=CAL_BUDGET, grace=False,
             until=lambda r: r.count('calibrate: done') > 0)
    run.stop()
    start, _ = run.tagged('weft-kvm-test: calibrate:')
    if start is None:
        bootlib.fail('calibration kernel printed nothing; exit status %s:\n%s'
                     % (run.rc, run.text()))
    seen = ticks(run)
    last = max((when for when, line in run.lines
                if 'calibrate: tick ' in line), default=None)
    if seen >= 2:
        elapsed = max(last - start, 1e-3)
        iters = seen * CAL_TICK_ITERS
    else:
        # Not even two ticks in the budget: at most one tick's worth.
        elapsed = CAL_BUDGET
        iters = max(seen, 1) * CAL_TICK_ITERS
    return iters / elapsed


def guest_script():
    return ('ls /sys/bus/pci/devices | sed s/^/W-pci/; '
            'for d in /sys/bus/pci/devices/*; do echo W-id $(cat $d/vendor '
            '$d/device); done; '
            'echo W-read $(dd if=/dev/vda bs=512 count=1 2>/dev/null | '
            'head -c %d); '
            'echo %s | dd of=/dev/vda bs=512 seek=%d conv=fsync '
            '2>/dev/null; echo W-wrote $?; '
            'grep -c virtio /proc/interrupts | sed s/^/W-irqs/'
            % (len(HOST_PATTERN), GUEST_PATTERN, GUEST_OFFSET // 512))


def boot(weft, guests, disk):
    kernel = os.path.join(guests, 'x86_64', 'vmlinuz')
    initrd = os.path.join(guests, 'x86_64', 'initramfs.cpio.gz')
    for f in (kernel, initrd):
        if not os.path.isfile(f):
            bootlib.skip('no %s in the test guests' % f)
    # reboot=k: the i8042 resets (there is no ACPI); panic=-1: init
    # exiting after a power-off without a power-off device resets too.
    append = bootlib.weft_run_cmdline(guest_script()) + ' reboot=k panic=-1'
    argv = [weft, '-M', 'microvm', '-accel', 'kvm', '-m', '512M',
            '-smp', '2', '-kernel', kernel, '-initrd', initrd,
            '-append', append, '-no-reboot', '-serial', 'stdio',
            '-drive', 'file=%s,format=raw,if=none,id=d0' % disk,
            '-device', 'virtio-blk-pci,drive=d0,addr=3']
    run = bootlib.Run(argv)
    t0 = time.monotonic()
    run.wait(timeout=BOOT_TIMEOUT)
    run.check_exit('Linux boot')
    run.check_kernel_healthy()
    return run, time.monotonic() - t0


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    weft = bootlib.check_emulator(sys.argv[1])
    cal_kernel = sys.argv[2]
    check_kvm()
    if not os.path.isfile(cal_kernel):
        bootlib.skip('calibration kernel %s not built' % cal_kernel)
    guests = bootlib.find('guests')

    speed = calibrate(weft, cal_kernel)
    print('calibration: %.3g iterations/s' % speed)
    if speed < KVM_FAST_ITERS_PER_S:
        bootlib.skip('KVM runs guest code at %.3g iterations/s, hardware '
                     'KVM does >= %.3g: a software KVM, too slow to boot '
                     'Linux' % (speed, KVM_FAST_ITERS_PER_S))

    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, 'disk.img')
        with open(disk, 'wb') as f:
            f.write(HOST_PATTERN)
            f.truncate(DISK_SIZE)
        run, secs = boot(weft, guests, disk)
        with open(disk, 'rb') as f:
            f.seek(GUEST_OFFSET)
            on_disk = f.read(len(GUEST_PATTERN))

    _, ready = run.tagged('weft-guest: ready')
    if ready is None:
        bootlib.fail('no "weft-guest: ready" line')
    if '2 cpus' not in ready:
        bootlib.fail('the guest sees %s, want 2 cpus (MP table)' % ready)
    _, read = run.tagged('W-read')
    if read != HOST_PATTERN.decode():
        bootlib.fail('the guest read %r from /dev/vda, want %r'
                     % (read, HOST_PATTERN.decode()))
    _, wrote = run.tagged('W-wrote')
    if wrote != '0':
        bootlib.fail('the guest could not write /dev/vda (status %s)' % wrote)
    if on_disk != GUEST_PATTERN.encode():
        bootlib.fail('the image holds %r at %#x, want %r'
                     % (on_disk, GUEST_OFFSET, GUEST_PATTERN))
    ids = [line for _, line in run.lines if line.startswith('W-id ')]
    if 'W-id 0x1af4 0x1042' not in ids:
        bootlib.fail('no virtio-blk-pci (1af4:1042) in %s' % ids)
    _, exit_line = run.tagged('weft-guest: exit')
    if exit_line != '0':
        bootlib.fail('the guest script exited with %s' % exit_line)
    print('PASS: Linux on KVM in %.1f s, disk read and written' % secs)


if __name__ == '__main__':
    main()
