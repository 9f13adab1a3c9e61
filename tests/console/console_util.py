"""Helpers shared by the console tests: reading with deadlines."""
import os
import select
import sys
import time


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Reader:
    """Accumulates what a non-blocking fd delivers."""

    def __init__(self, fd):
        self.fd = fd
        self.data = b""
        os.set_blocking(fd, False)

    def pump(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        self.data += chunk
        return bool(chunk)

    def wait_for(self, needle, timeout, what):
        deadline = time.monotonic() + timeout
        while needle not in self.data:
            left = deadline - time.monotonic()
            if left <= 0:
                fail("timed out waiting for %s (%r); got %r"
                     % (what, needle, self.data[-300:]))
            self.pump(min(left, 0.2))
        return self.data

    def settle(self, quiet=0.3, limit=10.0):
        """Reads until nothing arrives for `quiet` seconds."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.pump(quiet):
            pass

    def take(self):
        d, self.data = self.data, b""
        return d


def wait_exit(p, timeout, what):
    try:
        return p.wait(timeout=timeout)
    except Exception:
        p.kill()
        p.wait()
        fail("%s: the process did not exit within %ss" % (what, timeout))
