"""Helpers shared by the virtio-net boot tests: the boot helpers of
tests/boot/bootlib.py, a small HTTP server on the host side, free ports."""

import hashlib
import http.server
import os
import socket
import sys
import threading

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'boot'))
import bootlib  # noqa: E402,F401  (re-exported for the tests)

# The guest side of -netdev user without DHCP: QEMU's usual addresses.
GUEST_STATIC_USER = ('ip link set eth0 up; '
                     'ip addr add 10.0.2.15/24 dev eth0; '
                     'ip route add default via 10.0.2.2')


def payload(size, seed=b'weft-virtio-net'):
    """SIZE pseudo-random bytes (deterministic, so a failure reproduces)."""
    out = bytearray()
    block = seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


def free_port(host='127.0.0.1'):
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class FileServer:
    """Serves PAYLOAD at /file.bin on HOST:PORT (PORT 0: any free one) in a
    thread; /done answers 404 until release() is called, then 'yes'."""

    def __init__(self, data, host='127.0.0.1', port=0):
        self.data = data
        self.released = threading.Event()
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                if self.path == '/file.bin':
                    body = server.data
                elif self.path == '/done' and server.released.is_set():
                    body = b'yes\n'
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header('Content-Type', 'application/octet-stream')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, fmt, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def release(self):
        self.released.set()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def check_sha(run, tag, data):
    """The guest printed TAG followed by sha256sum's output for DATA."""
    _, line = run.tagged(tag)
    want = hashlib.sha256(data).hexdigest()
    if not line or line.split()[0] != want:
        bootlib.fail('%s: guest sha256 %r, host %s' % (tag, line, want))
    print('ok: %s: the guest got the %d bytes intact' % (tag, len(data)))


def check_script_ok(run):
    if run.count('weft-guest: exit 0') != 1:
        bootlib.fail('no "weft-guest: exit 0": the guest script failed')
