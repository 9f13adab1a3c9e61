#!/usr/bin/env python3
"""Boots OpenSBI + Linux + the busybox initramfs on -M virt with -smp N,
runs a command script in the guest and checks what it prints: the kernel
version, the CPU count, the RTC date against the host's, a sha256 over
data generated in the guest against the same computed here; then the
guest powers the machine off and the emulator must exit with status 0.

Usage: linux-smp.py EMULATOR SMP"""

import hashlib
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import bootlib  # noqa: E402

RTC_SLACK = 120         # seconds the guest clock may differ from the host's
SEQ_COUNT = 100000

SCRIPT = ('echo W-version $(cat /proc/version); '
          'echo W-nproc $(nproc); '
          'echo W-cpuinfo $(grep -c ^processor /proc/cpuinfo); '
          'echo W-rtc $(cat /sys/class/rtc/rtc0/since_epoch); '
          'echo W-date $(date +%%s); '
          'echo W-sha $(seq 1 %d | sha256sum)' % SEQ_COUNT)


def expected_sha():
    data = ''.join('%d\n' % i for i in range(1, SEQ_COUNT + 1))
    return hashlib.sha256(data.encode()).hexdigest()


def check_clock(run, tag):
    when, value = run.tagged(tag)
    if value is None or not value.isdigit():
        bootlib.fail('%s: no time in the guest output (got %r)' % (tag, value))
    skew = int(value) - when
    if abs(skew) > RTC_SLACK:
        bootlib.fail('%s: guest time %s is %+.0f s from the host\'s'
                     % (tag, value, skew))
    print('ok: %s within %+.0f s of the host' % (tag, skew))


def check_output(run, smp):
    _, version = run.tagged('W-version')
    if not version or not version.startswith('Linux version'):
        bootlib.fail('no "Linux version" from /proc/version (got %r)'
                     % version)
    for tag in ('W-nproc', 'W-cpuinfo'):
        _, n = run.tagged(tag)
        if n != str(smp):
            bootlib.fail('%s: guest sees %r CPUs, want %d' % (tag, n, smp))
    print('ok: guest sees %d CPUs' % smp)
    check_clock(run, 'W-rtc')
    check_clock(run, 'W-date')
    _, sha = run.tagged('W-sha')
    want = expected_sha()
    if not sha or sha.split()[0] != want:
        bootlib.fail('sha256 of seq 1 %d: guest %r, host %s'
                     % (SEQ_COUNT, sha, want))
    print('ok: sha256 matches the host')
    if run.count('weft-guest: exit 0') != 1:
        bootlib.fail('no "weft-guest: exit 0": the script failed')


def main():
    if len(sys.argv) != 3:
        bootlib.fail(__doc__.strip().splitlines()[-1])
    smp = int(sys.argv[2])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    start = time.monotonic()
    run = bootlib.Run([emulator, '-nographic'] +
                      guest.args(smp, bootlib.weft_run_cmdline(SCRIPT)))
    run.wait()
    took = time.monotonic() - start
    run.check_kernel_healthy()
    check_output(run, smp)
    run.check_exit('power-off')
    print('PASS: Linux -smp %d booted, ran the script and powered off '
          'in %.1f s' % (smp, took))


if __name__ == '__main__':
    main()
