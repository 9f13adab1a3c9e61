#!/usr/bin/env python3
"""-netdev user,hostfwd=tcp:127.0.0.1:HOSTPORT-:8000: the guest listens on
port 8000 with busybox nc and sends a token; the host connects to
127.0.0.1:HOSTPORT, sends its own line, and must read the guest's token;
the guest must print the host's line.

Usage: hostfwd.py EMULATOR"""

import secrets
import socket
import sys
import time

sys.dont_write_bytecode = True
import netlib  # noqa: E402
from netlib import bootlib  # noqa: E402

GUEST_PORT = 8000
CONNECT_TRIES = 20


def exchange(port, host_line, want):
    """Connects, sends HOST_LINE, returns what came back up to a newline.
    Before the guest listens, slirp accepts and then closes at once: that
    reads as b'' and the caller tries again."""
    with socket.create_connection(('127.0.0.1', port), timeout=60) as s:
        s.sendall(host_line)
        data = b''
        while not data.endswith(b'\n'):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.shutdown(socket.SHUT_WR)
        return data


def connect_to_guest(run, port, host_line, token):
    for attempt in range(CONNECT_TRIES):
        try:
            got = exchange(port, host_line, token)
        except OSError as e:
            got = b''
            print('connect attempt %d: %s' % (attempt + 1, e))
        if got:
            return got
        time.sleep(1)
    bootlib.fail('no data from the guest through the forwarded port')


def main():
    if len(sys.argv) != 2:
        bootlib.fail(__doc__.strip().splitlines()[-1])
    emulator = bootlib.check_emulator(sys.argv[1])
    guest = bootlib.Guest()
    port = netlib.free_port()
    token = 'weft-hostfwd-' + secrets.token_hex(8)
    host_line = ('host-says-' + secrets.token_hex(8) + '\n').encode()
    script = (netlib.GUEST_STATIC_USER + '; echo W-listen now; '
              'echo %s | nc -l -p %d > /tmp/got; echo W-got $(cat /tmp/got)'
              % (token, GUEST_PORT))
    run = bootlib.Run([emulator, '-nographic', '-no-reboot', '-netdev',
                       'user,id=n0,hostfwd=tcp:127.0.0.1:%d-:%d'
                       % (port, GUEST_PORT),
                       '-device', 'virtio-net-device,netdev=n0'] +
                      guest.args(2, bootlib.weft_run_cmdline(script)))
    try:
        run.wait(until=lambda r: r.count_tag('W-listen') > 0)
        if run.count_tag('W-listen') == 0:
            bootlib.fail('the guest never got to listening')
        got = connect_to_guest(run, port, host_line, token)
        if got.decode(errors='replace').strip() != token:
            bootlib.fail('host read %r from the guest, want %r'
                         % (got, token))
        print('ok: host read the guest\'s token through 127.0.0.1:%d'
              % port)
        run.wait()
    finally:
        run.stop()              # a failure above leaves the guest waiting
    run.check_kernel_healthy()
    _, line = run.tagged('W-got')
    if line != host_line.decode().strip():
        bootlib.fail('guest read %r, want %r' % (line, host_line))
    print('ok: the guest read the host\'s line')
    netlib.check_script_ok(run)
    run.check_exit('power-off')
    print('PASS: hostfwd tcp 127.0.0.1:%d -> guest:%d, both directions'
          % (port, GUEST_PORT))


if __name__ == '__main__':
    main()
