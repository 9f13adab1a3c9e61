"""The tests' QMP client: raw JSON over a socket, replies and events
parsed from CR LF lines, events met on the way kept for later.  Failures
print FAIL and exit 1, the Meson way.  Used by tests/qmp/ and tests/pci/
(import it with importlib from this directory)."""

import json
import os
import select
import socket
import sys
import time

TIMEOUT = float(os.environ.get('WEFT_QMP_TIMEOUT', '60'))


def fail(msg):
    print('FAIL: ' + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


class Client:
    """A QMP connection.  PROC, if given, is the emulator: the connection
    attempts stop early if it exits."""

    def __init__(self, addr, family=socket.AF_UNIX, negotiate=True,
                 proc=None, timeout=TIMEOUT):
        self.timeout = timeout
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                self.sock.connect(addr)
                break
            except OSError:
                self.sock.close()
                check(proc is None or proc.poll() is None,
                      'the emulator exited before QMP was up')
                check(time.monotonic() < deadline, 'cannot connect to %r'
                      % (addr,))
                time.sleep(0.05)
        self.buf = b''
        self.events = []
        self.greeting = self.recv()
        if negotiate:
            r = self.cmd('qmp_capabilities')
            check(r == {'return': {}}, 'qmp_capabilities: %r' % r)

    def send_raw(self, data):
        self.sock.sendall(data)

    def _line(self):
        line, self.buf = self.buf.split(b'\n', 1)
        check(line.endswith(b'\r'), 'message not ended by CR LF: %r' % line)
        return json.loads(line)

    def recv(self, timeout=None):
        """The next message, or None at EOF; fails after TIMEOUT s."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            check(left > 0, 'no QMP message within %d s' % timeout)
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b''
            except socket.timeout:
                fail('no QMP message within %d s' % timeout)
            if not data:
                return None
            self.buf += data
        return self._line()

    def reply(self):
        """The next reply; events on the way are kept."""
        while True:
            msg = self.recv()
            check(msg is not None, 'connection closed before the reply')
            if 'event' in msg:
                self.events.append(msg)
                continue
            return msg

    def cmd(self, name, args=None, **extra):
        req = {'execute': name}
        if args is not None:
            req['arguments'] = args
        req.update(extra)
        self.send_raw(json.dumps(req).encode())
        return self.reply()

    def ok(self, name, args=None):
        r = self.cmd(name, args)
        check('return' in r, '%s %r: %r' % (name, args, r))
        return r['return']

    def error(self, name, args=None, cls='GenericError', desc=None,
              **extra):
        r = self.cmd(name, args, **extra)
        check('error' in r and r['error']['class'] == cls,
              '%s %r: want %s, got %r' % (name, args, cls, r))
        if desc:
            check(desc in r['error']['desc'], '%s: want %r in %r'
                  % (name, desc, r['error']['desc']))
        return r['error']

    def take_event(self, name, match=None):
        """A kept event NAME whose data MATCH accepts, or None."""
        for i, ev in enumerate(self.events):
            if ev['event'] == name and (match is None or
                                        match(ev.get('data', {}))):
                return self.events.pop(i)
        return None

    def wait_event(self, name, timeout=None, match=None):
        """Event NAME (whose data MATCH accepts) within TIMEOUT s, or
        None; events on the way are kept."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            ev = self.take_event(name, match)
            if ev is not None:
                return ev
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            if b'\n' not in self.buf and not self._readable(left):
                return None
            msg = self.recv(left)
            check(msg is not None, 'connection closed waiting for ' + name)
            check('event' in msg, 'unexpected reply %r' % msg)
            self.events.append(msg)

    def event(self, name, timeout=None, match=None):
        """Event NAME within TIMEOUT s, or FAIL."""
        timeout = self.timeout if timeout is None else timeout
        ev = self.wait_event(name, timeout, match)
        check(ev is not None, 'no %s event within %d s' % (name, timeout))
        return ev

    def poll_events(self):
        """Keeps the events already sent, without blocking."""
        while self._readable(0) or b'\n' in self.buf:
            if b'\n' not in self.buf:
                data = self.sock.recv(65536)
                check(data, 'QMP connection closed (weft died?)')
                self.buf += data
                continue
            msg = self._line()
            check('event' in msg, 'unexpected reply %r' % msg)
            self.events.append(msg)

    def _readable(self, timeout):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        return bool(ready)

    def alive(self):
        """The connection still works and holds no stray reply."""
        check(self.ok('query-version')['qemu']['minor'] >= 0,
              'query-version')

    def close(self):
        self.sock.close()
