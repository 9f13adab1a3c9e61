#!/usr/bin/env python3
"""virtio-rng acceptance: Linux on -M virt with -device virtio-rng-device
reads 64 KiB from /dev/hwrng.  The hw_random core must have picked the
virtio device (rng_current is virtio_rng.N), the whole 64 KiB must
arrive, and the bytes must look random: nearly every byte value present
in its first and last 4 KiB (one repeated or zero byte has one), and
two reads must differ.

Usage: linux-virtio-rng.py EMULATOR"""

import os
import re
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'boot'))
import bootlib  # noqa: E402

HWRNG = '/sys/class/misc/hw_random'
SCRIPT = ('echo vrng-current: $(cat %s/rng_current); '
          'head -c 65536 /dev/hwrng >/tmp/a; '
          'head -c 65536 /dev/hwrng >/tmp/b; '
          'echo vrng-size: $(wc -c </tmp/a); '
          'for e in head tail; do echo vrng-$e: $($e -c 4096 /tmp/a | '
          'od -An -v -tu1 | tr -s \' \' \'\\n\' | grep . | sort -un | '
          'wc -l); done; '
          'cmp -s /tmp/a /tmp/b; echo vrng-cmp: $?' % HWRNG)
# Counted in the first and the last 4 KiB (od | sort over 64 KiB is slow
# under TCG): random data misses 6 or more of the 256 values in 4 KiB
# with a probability below 1e-30.
MIN_DISTINCT = 250


def main():
    if len(sys.argv) != 2:
        bootlib.fail(__doc__.strip().splitlines()[-1])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    run = bootlib.Run([emulator, '-nographic', '-device',
                       'virtio-rng-device'] +
                      guest.args(2, bootlib.weft_run_cmdline(SCRIPT)))
    try:
        run.wait()
    finally:
        run.stop()
    run.check_kernel_healthy()
    run.check_exit('guest run')
    _, current = run.tagged('vrng-current:')
    if not current or not re.fullmatch(r'virtio_rng\.\d+', current):
        bootlib.fail('rng_current is %r, want virtio_rng.N' % current)
    print('ok: rng_current is ' + current)
    _, size = run.tagged('vrng-size:')
    if size != '65536':
        bootlib.fail('read %r bytes from /dev/hwrng, want 65536' % size)
    for end in ('head', 'tail'):
        _, distinct = run.tagged('vrng-%s:' % end)
        if not distinct or not distinct.isdigit() or \
                int(distinct) < MIN_DISTINCT:
            bootlib.fail('only %r distinct byte values in the %s 4 KiB, '
                         'want at least %d' % (distinct, end, MIN_DISTINCT))
        print('ok: %s distinct byte values in the %s 4 KiB'
              % (distinct, end))
    _, cmp = run.tagged('vrng-cmp:')
    if cmp != '1':
        bootlib.fail('two 64 KiB reads compare %r (cmp status), want 1: '
                     'different' % cmp)
    if run.count('weft-guest: exit 0') != 1:
        bootlib.fail('the guest script did not exit with status 0')
    print('PASS: virtio-rng, 64 KiB from /dev/hwrng')


if __name__ == '__main__':
    main()
