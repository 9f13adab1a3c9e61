#!/usr/bin/env python3
"""virtio-console acceptance: Linux on -M virt with
-device virtio-console-device,chardev=c0 on a -chardev of the given kind.
The guest writes a line to /dev/hvc0, which the host must read from the
chardev; the host answers with a line of its own (a fresh random token),
which the guest must read from /dev/hvc0 and print on its serial console.

Usage: linux-virtio-console.py EMULATOR unix|tcp|pty"""

import os
import re
import secrets
import select
import socket
import sys
import tempfile
import time
import tty

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'boot'))
import bootlib  # noqa: E402

G2H = b'vcon-g2h-42-riscv64'
# The guest keeps /dev/hvc0 open on fd 3 throughout, so no input arrives
# while nobody has the tty open (a last close would flush it).
SCRIPT = ('exec 3<>/dev/hvc0; echo vcon-g2h-$((6*7))-$(uname -m) >&3; '
          'read -r l <&3; echo vcon-got: $l')
PTY_LINE = re.compile(r'char device redirected to (/dev/pts/\d+) '
                      r'\(label c0\)')
TCP_LINE = re.compile(r"chardev 'c0' listening on tcp:127\.0\.0\.1:(\d+)")
CONNECT_TIMEOUT = 60


class Endpoint:
    """The host end of the chardev: a socket or the pty's slave."""

    def __init__(self, sock=None, fd=None):
        self.sock = sock
        self.fd = sock.fileno() if sock else fd

    def recv(self):
        try:
            return os.read(self.fd, 4096)
        except OSError:         # the emulator closed its side
            return b''

    def send(self, data):
        os.write(self.fd, data)

    def close(self):
        if self.sock:
            self.sock.close()
        else:
            os.close(self.fd)


def wait_output(run, pattern, what):
    run.wait(timeout=CONNECT_TIMEOUT, until=lambda r: pattern.search(r.text()))
    m = pattern.search(run.text())
    if not m:
        run.stop()
        bootlib.fail('no "%s" line from the emulator' % what)
    return m


def connect(family, addr, run):
    """Connects to the emulator's listening socket, retrying while it
    starts."""
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        s = socket.socket(family, socket.SOCK_STREAM)
        try:
            s.connect(addr)
            return Endpoint(sock=s)
        except OSError as e:
            s.close()
            if run.proc.poll() is not None or time.monotonic() > deadline:
                run.stop()
                bootlib.fail('cannot connect to %r: %s' % (addr, e))
            time.sleep(0.1)


def start(emulator, guest, mode, tmpdir):
    """Starts the emulator with chardev c0 of MODE; returns (run, end)."""
    if mode == 'unix':
        path = os.path.join(tmpdir, 'c0.sock')
        chardev = 'socket,id=c0,path=%s,server=on,wait=off' % path
    elif mode == 'tcp':
        chardev = 'socket,id=c0,host=127.0.0.1,port=0,server=on,wait=off'
    else:
        chardev = 'pty,id=c0'
    run = bootlib.Run([emulator, '-nographic', '-chardev', chardev,
                       '-device', 'virtio-console-device,chardev=c0'] +
                      guest.args(2, bootlib.weft_run_cmdline(SCRIPT)))
    if mode == 'unix':
        return run, connect(socket.AF_UNIX, path, run)
    if mode == 'tcp':
        port = int(wait_output(run, TCP_LINE, 'listening on tcp').group(1))
        return run, connect(socket.AF_INET, ('127.0.0.1', port), run)
    pts = wait_output(run, PTY_LINE, 'char device redirected').group(1)
    fd = os.open(pts, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return run, Endpoint(fd=fd)


def converse(run, end, answer):
    """Relays the emulator's output until the guest's line arrives on the
    chardev, then sends ANSWER.  Returns what the chardev delivered."""
    seen = b''
    deadline = time.monotonic() + bootlib.BOOT_TIMEOUT
    emu_out = run.proc.stdout.fileno()
    while G2H not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            bootlib.fail('no %r on the chardev within %d s'
                         % (G2H, bootlib.BOOT_TIMEOUT))
        if run.proc.poll() is not None and not select.select(
                [emu_out], [], [], 0)[0]:
            bootlib.fail('emulator exited (status %s) before the guest '
                         'wrote to /dev/hvc0' % run.proc.returncode)
        ready, _, _ = select.select([end.fd, emu_out], [], [],
                                    min(left, 1.0))
        if emu_out in ready:
            data = os.read(emu_out, 65536)
            if data:
                run.take(data)
        if end.fd in ready:
            seen += end.recv()
    print('\nok: host read %r from the chardev' % G2H.decode(), flush=True)
    end.send(answer + b'\n')
    return seen


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ('unix', 'tcp', 'pty'):
        bootlib.fail(__doc__.strip().splitlines()[-1])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    answer = b'vcon-h2g-' + secrets.token_hex(8).encode()
    with tempfile.TemporaryDirectory(prefix='weft-vcon-') as tmpdir:
        run, end = start(emulator, guest, sys.argv[2], tmpdir)
        try:
            converse(run, end, answer)
            run.wait()
        finally:
            run.stop()
            end.close()
    run.check_kernel_healthy()
    run.check_exit('guest run')
    _, got = run.tagged('vcon-got:')
    if got != answer.decode():
        bootlib.fail('the guest read %r from /dev/hvc0, want %r'
                     % (got, answer.decode()))
    print('ok: guest read %r from /dev/hvc0' % got)
    if run.count('weft-guest: exit 0') != 1:
        bootlib.fail('the guest script did not exit with status 0')
    print('PASS: virtio-console over %s, a line each way' % sys.argv[2])


if __name__ == '__main__':
    main()
