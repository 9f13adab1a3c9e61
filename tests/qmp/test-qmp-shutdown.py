#!/usr/bin/env python3
"""SHUTDOWN events (suite 'qmp'), in raw JSON.

- SIGTERM, SIGINT and SIGHUP: every negotiated client gets SHUTDOWN
  {"guest": false, "reason": "host-signal"}, then its connection is
  closed; weft prints "terminating on signal N from pid P", removes its
  socket file and exits with status 0, as QEMU does.
- SIGTERM while -qmp wait=on waits for its first client ends weft too.
- A guest power-off (the sifive_test device of -M virt) gives
  {"guest": true, "reason": "guest-shutdown"}.

(quit's "host-qmp-quit" is checked by test-qmp.py.)

Usage: test-qmp-shutdown.py WEFT
"""
import importlib.util
import os
import signal
import struct
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'test_qmp', os.path.join(HERE, 'test-qmp.py'))
qmp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qmp)

check, fail, log = qmp.check, qmp.fail, qmp.log
Client, Weft, TIMEOUT = qmp.Client, qmp.Weft, qmp.TIMEOUT

# Waits for a byte on the UART (LSR.DR), then writes FINISHER_PASS
# (0x5555) to the sifive_test device at 0x100000:
#   lui t0,0x10000; 1: lbu t1,5(t0); andi t1,t1,1; beqz t1,1b
#   lui t0,0x100; lui t1,0x5; addi t1,t1,0x555; sw t1,0(t0); j .
POWEROFF = struct.pack('<9I', 0x100002b7, 0x0052c303, 0x00137313,
                       0xfe030ce3, 0x001002b7, 0x00005337, 0x55530313,
                       0x0062a023, 0x0000006f)


def check_shutdown(c, guest, reason):
    ev = c.event('SHUTDOWN')
    qmp.check_event_shape(ev, 'SHUTDOWN')
    check(ev['data'] == {'guest': guest, 'reason': reason},
          'SHUTDOWN data %r' % ev)
    check(c.recv() is None, 'connection not closed after SHUTDOWN')


def test_signal(tmp, sig):
    name = signal.Signals(sig).name
    sock = os.path.join(tmp, name + '.sock')
    weft = Weft(tmp, ['-qmp', 'unix:%s,server=on,wait=off' % sock],
                name)
    try:
        clients = [Client(sock), Client(sock)]
        weft.wait_r(1, name)
        weft.proc.send_signal(sig)
        for c in clients:
            check_shutdown(c, False, 'host-signal')
        weft.wait_exit(name)
        err = weft.stderr()
        want = 'weft: terminating on signal %d from pid %d' % (sig,
                                                              os.getpid())
        check(want in err, '%s: want %r on stderr, got %r' % (name, want,
                                                              err))
        check(not os.path.exists(sock), name + ': socket file left behind')
    finally:
        weft.kill()
    log('ok %s: SHUTDOWN host-signal on both clients, message, socket '
        'removed, exit status 0' % name)


def test_signal_while_waiting(tmp):
    sock = os.path.join(tmp, 'wait.sock')
    weft = Weft(tmp, ['-qmp', 'unix:%s,server=on' % sock], 'wait')
    try:
        weft.wait_stderr('waiting for a QMP connection')
        weft.proc.send_signal(signal.SIGTERM)
        weft.wait_exit('SIGTERM during wait=on')
        check('terminating on signal 15' in weft.stderr(),
              'wait=on: no message: %r' % weft.stderr())
        check(weft.r_count() == 0, 'wait=on: the guest ran')
        check(not os.path.exists(sock), 'wait=on: socket file left behind')
    finally:
        weft.kill()
    log('ok SIGTERM while wait=on waits for a client')


def test_guest_poweroff(tmp):
    kernel = os.path.join(tmp, 'poweroff.bin')
    with open(kernel, 'wb') as f:
        f.write(POWEROFF)
    sock = os.path.join(tmp, 'poweroff.sock')
    argv = [qmp.WEFT, '-M', 'virt', '-m', '64M', '-bios', 'none',
            '-kernel', kernel, '-nographic', '-serial', 'stdio',
            '-qmp', 'unix:%s,server=on,wait=off' % sock]
    log('$ ' + ' '.join(argv))
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        c = Client(sock)
        # The guest waits for this byte, so the client has negotiated
        # before the power-off.
        proc.stdin.write(b'x')
        proc.stdin.flush()
        check_shutdown(c, True, 'guest-shutdown')
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            fail('guest power-off: weft did not exit')
        err = proc.stderr.read().decode('utf-8', 'replace')
        check(rc == 0, 'guest power-off: exit status %d: %s' % (rc, err))
        check('terminating' not in err, 'power-off reported as a signal')
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log('ok guest power-off: SHUTDOWN guest-shutdown, exit status 0')


def main():
    with tempfile.TemporaryDirectory(prefix='weft-qmp-shutdown-') as tmp:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            test_signal(tmp, sig)
        test_signal_while_waiting(tmp)
        test_guest_poweroff(tmp)
    log('PASS')


if __name__ == '__main__':
    main()
