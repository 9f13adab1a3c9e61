#!/usr/bin/env python3
"""A guest `reboot` resets the machine: Linux boots a second time (the
same command line reboots again, so the test stops the emulator once the
second boot's init is up).  Then the same with -no-reboot: the emulator
exits with status 0 instead of resetting.

Usage: linux-reboot.py EMULATOR"""

import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import bootlib  # noqa: E402

BANNER = 'Linux version'
READY = 'weft-guest: ready'
# /proc/uptime tells one boot from the next in the log.
SCRIPT = 'echo W-uptime $(cat /proc/uptime); reboot -f'


def reboot_resets(emulator, guest):
    run = bootlib.Run([emulator, '-nographic'] +
                      guest.args(1, bootlib.weft_run_cmdline(SCRIPT)))
    rc = run.wait(timeout=2 * bootlib.BOOT_TIMEOUT,
                  until=lambda r: r.count(READY) >= 2, grace=False)
    run.stop()
    run.check_kernel_healthy()
    if rc is not None:
        bootlib.fail('reboot: the emulator exited (status %s) instead of '
                     'resetting; %d boot(s) seen' % (rc, run.count(BANNER)))
    if run.timed_out:
        bootlib.fail('reboot: %d boot(s) in %d s, want 2'
                     % (run.count(READY), 2 * bootlib.BOOT_TIMEOUT))
    if run.count(BANNER) < 2:
        bootlib.fail('reboot: %d "%s" banner(s), want 2'
                     % (run.count(BANNER), BANNER))
    print('ok: the guest booted a second time after reboot')


def no_reboot_exits(emulator, guest):
    run = bootlib.Run([emulator, '-nographic', '-no-reboot'] +
                      guest.args(1, bootlib.weft_run_cmdline(SCRIPT)))
    run.wait()
    run.check_kernel_healthy()
    run.check_exit('reboot with -no-reboot')
    if run.count(BANNER) != 1 or run.count_tag('W-uptime') != 1:
        bootlib.fail('-no-reboot: want exactly one boot that ran the script')
    print('ok: reboot with -no-reboot exits with status 0')


def main():
    if len(sys.argv) != 2:
        bootlib.fail(__doc__.strip().splitlines()[-1])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    reboot_resets(emulator, guest)
    no_reboot_exits(emulator, guest)
    print('PASS: reboot resets the machine; -no-reboot exits')


if __name__ == '__main__':
    main()
