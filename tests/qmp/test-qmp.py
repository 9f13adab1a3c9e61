#!/usr/bin/env python3
"""QMP server tests (suite 'qmp'), speaking raw JSON over the sockets.

The guest is 20 bytes of RISC-V written here: every hart prints 'R' on
the UART and sleeps in wfi forever, so the machine keeps running, costs no
host CPU, and each reset shows up as a new 'R' per hart.

Usage: test-qmp.py WEFT
"""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmplib import TIMEOUT, Client, check, fail  # noqa: E402

WEFT = sys.argv[1]
SKIP = 77
SMP = 2

# lui t0,0x10000; addi t1,zero,'R'; sb t1,0(t0); wfi; j .-4
SPIN = struct.pack('<5I', 0x100002b7, 0x05200313, 0x00628023, 0x10500073,
                   0xffdff06f)


def log(msg):
    print(msg, flush=True)


class Weft:
    """One emulator process running the spin guest."""

    def __init__(self, tmp, qmp_args, name='weft'):
        self.kernel = os.path.join(tmp, 'spin.bin')
        with open(self.kernel, 'wb') as f:
            f.write(SPIN)
        self.out = open(os.path.join(tmp, name + '.out'), 'w+b')
        self.err = open(os.path.join(tmp, name + '.err'), 'w+b')
        argv = [WEFT, '-M', 'virt', '-smp', str(SMP), '-m', '64M',
                '-bios', 'none', '-kernel', self.kernel, '-nographic',
                '-serial', 'stdio'] + qmp_args
        log('$ ' + ' '.join(argv))
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=self.err)

    def output(self):
        self.out.seek(0)
        return self.out.read()

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode('utf-8', 'replace')

    def r_count(self):
        return self.output().count(b'R')

    def wait_r(self, n, what):
        deadline = time.monotonic() + TIMEOUT
        while self.r_count() < n:
            check(time.monotonic() < deadline,
                  '%s: guest printed %d R, want %d' % (what, self.r_count(),
                                                       n))
            check(self.proc.poll() is None, what + ': weft exited')
            time.sleep(0.02)

    def wait_stderr(self, pattern):
        deadline = time.monotonic() + TIMEOUT
        while True:
            m = re.search(pattern, self.stderr())
            if m:
                return m
            check(self.proc.poll() is None,
                  'weft exited early: ' + self.stderr())
            check(time.monotonic() < deadline, 'no %r on stderr' % pattern)
            time.sleep(0.02)

    def wait_exit(self, what):
        try:
            rc = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            fail(what + ': weft did not exit')
        check(rc == 0, '%s: exit status %d; stderr: %s'
              % (what, rc, self.stderr()))
        # UBSan reports without failing the process.
        check('runtime error:' not in self.stderr() and
              'Sanitizer' not in self.stderr(),
              '%s: sanitizer report: %s' % (what, self.stderr()))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def check_event_shape(ev, name):
    ts = ev.get('timestamp', {})
    check(isinstance(ts.get('seconds'), int) and
          isinstance(ts.get('microseconds'), int) and
          0 <= ts['microseconds'] < 1000000 and
          abs(ts['seconds'] - time.time()) < 600,
          '%s: bad timestamp %r' % (name, ev))


# ---------------------------------------------------------------------
# Scenarios


def test_greeting_and_negotiation(sock):
    c = Client(sock, negotiate=False)
    g = c.greeting
    check(set(g) == {'QMP'}, 'greeting: %r' % g)
    check(g['QMP']['capabilities'] == [], 'capabilities: %r' % g)
    v = g['QMP']['version']
    check(set(v['qemu']) == {'major', 'minor', 'micro'} and
          'package' in v, 'version: %r' % v)
    c.error('query-status', cls='CommandNotFound',
            desc="Expecting capabilities negotiation")
    c.error('qmp_capabilities', {'enable': ['oob']}, desc="'oob'")
    r = c.cmd('qmp_capabilities', id='neg-1')
    check(r == {'return': {}, 'id': 'neg-1'}, 'id echo: %r' % r)
    c.error('qmp_capabilities', cls='CommandNotFound',
            desc='already complete')
    check(c.ok('query-version') == v, 'query-version differs from greeting')
    c.close()
    log('ok greeting, capability negotiation, id echo')


def test_status_and_cpus(c, weft):
    st = c.ok('query-status')
    check(st == {'running': True, 'status': 'running'}, 'status %r' % st)
    cpus = c.ok('query-cpus-fast')
    check([x['cpu-index'] for x in cpus] == list(range(SMP)),
          'cpu list %r' % cpus)
    tids = set()
    for cpu in cpus:
        tid = cpu['thread-id']
        check(os.path.isdir('/proc/%d/task/%d' % (weft.proc.pid, tid)),
              'thread-id %d is not a weft thread' % tid)
        check(tid != weft.proc.pid, 'thread-id is the main thread')
        tids.add(tid)
        check(cpu['target'] == 'riscv64' and 'qom-path' in cpu,
              'cpu %r' % cpu)
    check(len(tids) == SMP, 'thread ids not distinct: %r' % cpus)
    r = c.cmd('query-status', id=[1, {'x': None}])
    check(r.get('id') == [1, {'x': None}], 'structured id echo: %r' % r)
    names = {x['name'] for x in c.ok('query-commands')}
    for want in ('query-status', 'device_add', 'human-monitor-command'):
        check(want in names, 'query-commands lacks ' + want)
    log('ok query-status, query-cpus-fast, query-commands')


def test_stop_cont_reset(c, other, weft):
    weft.wait_r(SMP, 'boot')
    base = weft.r_count()
    c.ok('stop')
    for who in (c, other):
        check_event_shape(who.event('STOP'), 'STOP')
    st = c.ok('query-status')
    check(st == {'running': False, 'status': 'paused'}, 'paused: %r' % st)
    c.ok('stop')                        # already paused: no second event
    c.ok('system_reset')
    ev = c.event('RESET')
    check_event_shape(ev, 'RESET')
    check(ev['data'] == {'guest': False, 'reason': 'host-qmp-system-reset'},
          'RESET data %r' % ev)
    check(c.ok('query-status')['status'] == 'paused',
          'a reset resumed a stopped machine')
    time.sleep(0.3)
    check(weft.r_count() == base, 'guest ran while paused')
    c.ok('cont')
    check_event_shape(c.event('RESUME'), 'RESUME')
    other.event('RESUME')
    weft.wait_r(base + SMP, 'after reset + cont')
    check(c.ok('query-status')['status'] == 'running', 'running again')
    c.ok('system_reset')
    c.event('RESET')
    weft.wait_r(base + 2 * SMP, 'after a running reset')
    check(c.events == [], 'stray events: %r' % c.events)
    other.event('RESET')
    other.event('RESET')
    check(other.events == [], 'stray events (other client): %r'
          % other.events)
    c.error('system_powerdown', desc='no power button')
    log('ok stop/cont/system_reset with STOP/RESUME/RESET on both clients; '
        'system_powerdown refused')


def hmp(c, line):
    out = c.ok('human-monitor-command', {'command-line': line})
    check(isinstance(out, str), 'hmp output %r' % out)
    return out


def check_query_pci(buses):
    """[] until the PCI core registers its walker; then QEMU's shape."""
    check(isinstance(buses, list), 'query-pci: %r' % buses)
    for bus in buses:
        check(isinstance(bus.get('bus'), int) and
              isinstance(bus.get('devices'), list), 'query-pci bus %r' % bus)
        for dev in bus['devices']:
            for key in ('bus', 'slot', 'function', 'irq_pin'):
                check(isinstance(dev.get(key), int), 'pci %s: %r'
                      % (key, dev))
            check(isinstance(dev['class_info'].get('class'), int) and
                  isinstance(dev['id'].get('vendor'), int) and
                  isinstance(dev.get('regions'), list),
                  'query-pci device %r' % dev)


def test_devices(c):
    qtree0 = hmp(c, 'info qtree')
    check('virtio-mmio' in qtree0, 'info qtree: %r' % qtree0[:500])
    check('\r\n' in qtree0, 'HMP output lines end in CR LF')
    mtree = hmp(c, 'info mtree')
    check('virtio-mmio' in mtree and 'ram' in mtree, 'info mtree: %r'
          % mtree[:500])
    check(hmp(c, 'info mtree -f') != mtree, 'info mtree -f adds flat views')
    check('unknown command' in hmp(c, 'frobnicate'), 'unknown HMP command')
    check('running' in hmp(c, 'info status'), 'info status')

    c.ok('device_add', {'driver': 'virtio-rng-device', 'id': 'rng0'})
    qtree = hmp(c, 'info qtree')
    check('rng0' in qtree and 'rng0' not in qtree0, 'rng0 not in qtree')
    c.error('device_add', {'driver': 'virtio-rng-device', 'id': 'rng0'})
    c.error('device_add', {'driver': 'no-such-device', 'id': 'x1'})
    c.error('device_add', {'id': 'x2'}, desc="Parameter 'driver' is missing")
    c.error('device_add', {'driver': 'virtio-rng-device', 'id': 'x3',
                           'bogus': {'a': 1}}, desc='Invalid parameter type')
    c.error('device_add', {'driver': 'virtio-rng-device', 'id': 'x4',
                           'no-such-prop': 'on'})
    # A comma in a value must not smuggle another property in.
    c.error('device_add', {'driver': 'virtio-rng-device,id=inj'})
    c.error('device_add', {'driver': 'virtio-rng-device', 'id': 7},
            desc="Invalid parameter type for 'id', expected: string")
    qtree = hmp(c, 'info qtree')
    check('x1' not in qtree and 'inj' not in qtree,
          'failed device_add left a device')

    c.ok('device_del', {'id': 'rng0'})
    # virtio-mmio has no guest unplug protocol: the request is acked at
    # once and the device goes through isolate, drain, unrealize and
    # finalize without the guest.
    ev = c.event('DEVICE_DELETED')
    check_event_shape(ev, 'DEVICE_DELETED')
    check(ev['data'] == {'device': 'rng0',
                         'path': '/machine/peripheral/rng0'},
          'DEVICE_DELETED data %r' % ev)
    check('rng0' not in hmp(c, 'info qtree'), 'rng0 still in qtree')
    c.error('device_del', {'id': 'rng0'}, cls='DeviceNotFound')
    # The id is free again once DEVICE_DELETED arrived.
    c.ok('device_add', {'driver': 'virtio-rng-device', 'id': 'rng0'})
    c.ok('device_del', {'id': 'rng0'})
    c.event('DEVICE_DELETED')
    check_query_pci(c.ok('query-pci'))
    log('ok device_add/device_del (virtio-rng-device in a virtio-mmio slot)'
        ', DEVICE_DELETED, info qtree/mtree, query-pci')


def test_blockdev(c, tmp):
    img = os.path.join(tmp, 'disk.img')
    with open(img, 'wb') as f:
        f.truncate(1024 * 1024)
    c.error('blockdev-add', {'driver': 'file', 'node-name': 'n0',
                             'filename': os.path.join(tmp, 'missing.img')})
    c.ok('blockdev-add', {'driver': 'file', 'node-name': 'f0',
                          'filename': img, 'read-only': True,
                          'cache': {'direct': False}})
    c.error('blockdev-add', {'driver': 'file', 'node-name': 'f0',
                             'filename': img})
    c.ok('blockdev-add', {'driver': 'raw', 'node-name': 'r0', 'file': 'f0'})
    c.error('blockdev-add', {'driver': 'file', 'node-name': 'f1',
                             'filename': img, 'cache': {'a': {'b': {}}},
                             'x': [1]})
    c.error('blockdev-add', {'driver': 'file', 'node-name': 'f2',
                             'filename': img + ',read-only=on'})
    c.error('blockdev-add', {'driver': 'file'},
            desc="Parameter 'node-name' is missing")
    c.error('blockdev-del', {'node-name': 'nowhere'},
            desc='Failed to find node')
    # test-qmp-block.py checks blockdev-del in depth.
    c.error('blockdev-del', {'node-name': 'f0'}, desc='in use')
    c.ok('blockdev-del', {'node-name': 'r0'})
    c.ok('blockdev-del', {'node-name': 'f0'})
    log('ok blockdev-add (file and raw nodes, nested options), '
        'blockdev-del')


def test_bad_requests(c):
    c.error('no-such-command', cls='CommandNotFound',
            desc='The command no-such-command has not been found')
    c.error('query-status', {'x': 1}, desc="Parameter 'x' is unexpected")
    c.error('device_del', {}, desc="Parameter 'id' is missing")
    c.error('device_del', {'id': ['a']},
            desc="Invalid parameter type for 'id', expected: string")
    c.error('human-monitor-command', {'command-line': 'info status',
                                      'cpu-index': 'zero'},
            desc="'cpu-index', expected: integer")
    cases = [
        (b'{"execute": 1}', "'execute' must be a string"),
        (b'{"arguments": {}}', "lacks member 'execute'"),
        (b'{"execute": "query-status", "arguments": []}',
         "'arguments' must be an object"),
        (b'{"execute": "query-status", "foo": 1}', "'foo' is unexpected"),
        (b'{"execute": "query-status", "exec-oob": "x"}', 'unexpected'),
        (b'[1, 2]', 'must be a JSON object'),
        (b'42 ', 'must be a JSON object'),
        (b'"just a string"', 'must be a JSON object'),
        (b'null ', 'must be a JSON object'),
        (b'{"execute": }', 'JSON parse error'),
        (b'}', 'JSON parse error'),
        (b'{"a": [}', 'JSON parse error'),
        # A raw control character in a string: the rest of the line goes
        # with the broken value.
        (b'{"execute": "query-st\natus"} more garbage\n', 'JSON parse error'),
        (b'{"execute": "\xff\xfe"}', 'JSON parse error'),
        (b'{"execute": "a\x00b"}\n', 'JSON parse error'),
        (b'{"execute": "query-status", "execute": "stop"}',
         'JSON parse error'),
        (b'{"execute": "query-status", "id": 1e999}', 'JSON parse error'),
        (b'nonsense ', 'JSON parse error'),
    ]
    for data, want in cases:
        c.send_raw(data)
        r = c.reply()
        check('error' in r and r['error']['class'] == 'GenericError' and
              want in r['error']['desc'], '%r: want %r, got %r'
              % (data, want, r))
        c.alive()
    # The id is echoed on errors too.
    r = c.cmd('no-such-command', id='e1')
    check(r.get('id') == 'e1', 'id on error %r' % r)
    # Several values in one write, and one value split byte by byte.
    c.send_raw(b'{"execute":"query-status"}{"execute":"query-version"}\n'
               b'  {"execute": "query-status", "id": 3}')
    check('status' in c.reply()['return'], 'batched 1')
    check('qemu' in c.reply()['return'], 'batched 2')
    check(c.reply()['id'] == 3, 'batched 3')
    for b in b'{"execute": "query-status", "id": "slow"}':
        c.send_raw(bytes([b]))
    check(c.reply()['id'] == 'slow', 'byte-by-byte command')
    log('ok argument errors, malformed JSON, non-object input, batching')


def raw_connection(sock):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    return s


def read_until_eof(s, timeout=TIMEOUT):
    data = b''
    s.settimeout(timeout)
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            fail('connection not closed within %d s' % timeout)
        if not chunk:
            break
        data += chunk
    return data


def test_abusive_clients(c, sock, weft):
    # An unnegotiated client gets no events.
    quiet = Client(sock, negotiate=False)
    # Oversized input: an error, then the server closes.
    s = raw_connection(sock)
    s.sendall(b'{"execute": "qmp_capabilities"}')
    try:
        s.sendall(b'{"execute": "' + b'a' * (1100 * 1024))
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = read_until_eof(s)
    check(b'exceeds' in data, 'oversized input: %r' % data[-300:])
    s.close()
    c.alive()
    # Too deep nesting: an error, then the server closes.
    s = raw_connection(sock)
    s.sendall(b'[' * 5000)
    data = read_until_eof(s)
    check(b'nesting' in data, 'deep nesting: %r' % data[-300:])
    s.close()
    # A client killed in the middle of a command, and one that sends a
    # command with a large reply and goes away without reading it.
    helper = ('import socket,sys,time\n'
              's=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n'
              's.sendall(b\'{"execute":"qmp_capabilities"}{"execute":"huma\')\n'
              'time.sleep(30)\n')
    p = subprocess.Popen([sys.executable, '-c', helper, sock])
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    for _ in range(5):
        s = raw_connection(sock)
        s.sendall(b'{"execute":"qmp_capabilities"}'
                  b'{"execute":"human-monitor-command",'
                  b'"arguments":{"command-line":"info mtree -f"}}')
        s.close()
    c.alive()
    # A client that writes commands and never reads: the server stops
    # reading it, the others keep being served.
    s = raw_connection(sock)
    s.sendall(b'{"execute":"qmp_capabilities"}')
    cmd = (b'{"execute":"human-monitor-command",'
           b'"arguments":{"command-line":"info mtree -f"}}')
    s.setblocking(False)
    sent = 0
    start = time.monotonic()
    while time.monotonic() - start < 2 and sent < 50 * 1024 * 1024:
        try:
            sent += s.send(cmd * 64)
        except BlockingIOError:
            time.sleep(0.01)
    t0 = time.monotonic()
    c.alive()
    check(time.monotonic() - t0 < 10, 'a flooding client starved the rest')
    s.close()
    # Events keep flowing to negotiated clients only.
    c.ok('stop')
    c.event('STOP')
    c.ok('cont')
    c.event('RESUME')
    quiet.sock.settimeout(0.5)
    try:
        data = quiet.sock.recv(65536)
    except socket.timeout:
        data = b''
    check(data == b'', 'unnegotiated client got %r' % data)
    quiet.close()
    check(weft.proc.poll() is None, 'weft died')
    c.alive()
    log('ok oversized input, deep nesting, killed clients, a client that '
        'never reads, no events before negotiation')


def test_quit(c, other, weft, sock):
    r = c.cmd('quit', id='bye')
    check(r == {'return': {}, 'id': 'bye'}, 'quit: %r' % r)
    for who in (c, other):
        ev = who.event('SHUTDOWN')
        check_event_shape(ev, 'SHUTDOWN')
        check(ev['data'] == {'guest': False, 'reason': 'host-qmp-quit'},
              'SHUTDOWN data %r' % ev)
        check(who.recv() is None, 'connection not closed after quit')
    weft.wait_exit('quit')
    if sock:
        check(not os.path.exists(sock), 'socket file left behind')
    log('ok quit: reply, SHUTDOWN on every client, exit status 0')


def run_unix(tmp):
    sock = os.path.join(tmp, 'qmp.sock')
    weft = Weft(tmp, ['-qmp', 'unix:%s,server=on,wait=off' % sock])
    try:
        test_greeting_and_negotiation(sock)
        c = Client(sock)
        other = Client(sock)
        test_status_and_cpus(c, weft)
        test_stop_cont_reset(c, other, weft)
        test_devices(c)
        test_blockdev(c, tmp)
        test_bad_requests(c)
        test_abusive_clients(c, sock, weft)
        test_quit(c, other, weft, sock)
    finally:
        weft.kill()


def run_tcp(tmp):
    weft = Weft(tmp, ['-qmp', 'tcp:127.0.0.1:0,server=on,wait=off'], 'tcp')
    try:
        m = weft.wait_stderr(r'QMP listening on tcp:127\.0\.0\.1:(\d+)')
        addr = ('127.0.0.1', int(m.group(1)))
        c = Client(addr, socket.AF_INET)
        other = Client(addr, socket.AF_INET)
        c.error('query-status', {'x': 1}, desc='unexpected')
        c.send_raw(b'{"execute": ')
        c.send_raw(b'"stop"}')
        check(c.reply() == {'return': {}}, 'split stop')
        c.event('STOP')
        other.event('STOP')
        c.ok('cont')
        c.event('RESUME')
        c.ok('stop')            # quit while paused
        c.event('STOP')
        other.event('RESUME')
        other.event('STOP')
        test_quit(c, other, weft, None)
    finally:
        weft.kill()
    log('ok TCP 127.0.0.1: two clients, events, quit')


def run_wait_on(tmp):
    sock = os.path.join(tmp, 'wait.sock')
    weft = Weft(tmp, ['-qmp', 'unix:%s,server=on' % sock], 'wait')
    try:
        weft.wait_stderr('waiting for a QMP connection')
        time.sleep(0.5)
        check(weft.r_count() == 0, 'wait=on: the guest ran before a client '
              'connected')
        c = Client(sock)
        weft.wait_r(SMP, 'wait=on after connecting')
        c.ok('quit')
        c.event('SHUTDOWN')
        weft.wait_exit('wait=on quit')
    finally:
        weft.kill()
    log('ok wait=on holds the machine until the first client')


def run_cli_errors(tmp):
    plain = os.path.join(tmp, 'plain-file')
    open(plain, 'w').close()
    bad = [
        'bogus:x,server=on,wait=off',
        'unix:%s/s' % tmp,                       # no server=on
        'unix:%s/s,server=on,wait=off,x=1' % tmp,
        'unix:/nonexistent-dir/s,server=on,wait=off',
        'unix:%s,server=on,wait=off' % plain,    # not a socket
        'tcp:127.0.0.1:99999,server=on,wait=off',
        'tcp:127.0.0.1,server=on,wait=off',
        'unix:%s/s,server=maybe,wait=off' % tmp,
    ]
    kernel = os.path.join(tmp, 'spin.bin')
    for spec in bad:
        r = subprocess.run([WEFT, '-M', 'virt', '-bios', 'none', '-kernel',
                            kernel, '-nographic', '-qmp', spec],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
        err = r.stderr.decode()
        check(r.returncode == 1 and err.count('\n') == 1 and
              err.startswith('weft: -qmp '),
              '-qmp %s: status %d, stderr %r' % (spec, r.returncode, err))
    check(os.path.isfile(plain), 'a regular file was replaced')
    log('ok -qmp errors: one line, exit status 1')


def main():
    if not os.access(WEFT, os.X_OK):
        fail('%r is not an executable' % WEFT)
    with tempfile.TemporaryDirectory(prefix='weft-qmp-') as tmp:
        run_unix(tmp)
        run_tcp(tmp)
        run_wait_on(tmp)
        run_cli_errors(tmp)
    log('PASS')


if __name__ == '__main__':
    main()
