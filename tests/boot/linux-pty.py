#!/usr/bin/env python3
"""An interactive session over a pty: the emulator's serial port on
-serial pty, found from the "char device redirected to /dev/pts/N" line;
the test waits for the guest shell's prompt, types a command, reads its
output, then types `poweroff -f` and expects the emulator to exit with
status 0.

Usage: linux-pty.py EMULATOR"""

import os
import re
import select
import sys
import time
import tty

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
import bootlib  # noqa: E402

PTY_LINE = re.compile(r'char device redirected to (/dev/pts/\d+)')
PROMPT = re.compile(rb'[#$] $')


class Console:
    """The host end of the guest's serial port."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)     # no echo or line editing on the host side
        self.seen = b''

    def expect(self, pattern, timeout, run):
        """Reads until PATTERN (bytes regex) matches the output since the
        last match; fails after TIMEOUT s or when the emulator exits."""
        deadline = time.monotonic() + timeout
        while True:
            m = pattern.search(self.seen)
            if m:
                self.seen = self.seen[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                bootlib.fail('pty: no %r within %d s' % (pattern.pattern,
                                                         timeout))
            if run.proc.poll() is not None:
                bootlib.fail('pty: emulator exited (status %s) while '
                             'waiting for %r' % (run.proc.returncode,
                                                 pattern.pattern))
            emu_out = run.proc.stdout.fileno()
            ready, _, _ = select.select([self.fd, emu_out], [], [],
                                        min(left, 1.0))
            if emu_out in ready:
                # Keep the emulator's own output flowing (and logged) so
                # it never blocks on a full pipe.
                data = os.read(emu_out, 65536)
                if data:
                    run.take(data)
            if self.fd in ready:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:         # the emulator closed its side
                    data = b''
                sys.stdout.write(data.decode('utf-8', 'replace'))
                sys.stdout.flush()
                self.seen += data

    def type(self, line):
        os.write(self.fd, line.encode() + b'\r')


def main():
    if len(sys.argv) != 2:
        bootlib.fail(__doc__.strip().splitlines()[-1])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    run = bootlib.Run([emulator, '-nographic', '-serial', 'pty'] +
                      guest.args(1, 'console=ttyS0'))
    run.wait(timeout=30, until=lambda r: PTY_LINE.search(r.text()))
    m = PTY_LINE.search(run.text())
    if not m:
        run.stop()
        bootlib.fail('no "char device redirected to /dev/pts/N" line')
    print('ok: serial port on ' + m.group(1))
    con = Console(m.group(1))
    try:
        con.expect(re.compile(rb'weft-guest: ready'), bootlib.BOOT_TIMEOUT,
                   run)
        con.expect(PROMPT, 60, run)
        con.type('echo hello-$((6*7))')
        con.expect(re.compile(rb'\nhello-42\r?\n'), 60, run)
        print('\nok: typed a command and read its output')
        con.expect(PROMPT, 60, run)
        con.type('poweroff -f')
        run.wait(timeout=bootlib.POWER_OFF_GRACE)
    finally:
        run.stop()
        os.close(con.fd)
    run.check_exit('poweroff -f over the pty')
    print('PASS: interactive session over a pty')


if __name__ == '__main__':
    main()
