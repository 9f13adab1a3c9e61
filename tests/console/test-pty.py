#!/usr/bin/env python3
"""-serial pty: the redirect message, a guest that floods a pty nobody
reads must not stall, typing into the pty reaches the guest and its echo
comes back (also a pasted 200-character line, and after a reconnect)."""
import os
import re
import subprocess
import sys
import tty

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_util import Reader, fail, wait_exit  # noqa: E402


def open_client(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return fd


def echo_check(fd, payload, what):
    rd = Reader(fd)
    os.write(fd, payload)
    data = rd.wait_for(payload, 10, what)
    return data


def main():
    prog = sys.argv[1]
    if not os.path.exists("/dev/ptmx"):
        print("SKIP: no /dev/ptmx")
        sys.exit(77)
    p = subprocess.Popen([prog, "pty", "--flood", "300000"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    err = Reader(p.stderr.fileno())
    err.wait_for(b"ready\n", 30, "guest start (flood into an unread pty)")
    m = re.search(rb"char device redirected to (/dev/pts/\d+) "
                  rb"\(label serial0\)\n", err.data)
    if not m:
        fail("no redirect message: %r" % err.data)
    if b"flood done" not in err.data:
        fail("flood did not finish: %r" % err.data)
    path = m.group(1).decode()

    fd = open_client(path)
    rd = Reader(fd)
    rd.settle()                      # stale flood output
    rd.take()
    line = bytes((0x30 + i % 43) for i in range(200))   # '0'..'Z'
    os.write(fd, b"hello weft\r")
    rd.wait_for(b"hello weft\r", 10, "echo of a typed word")
    if rd.take() != b"hello weft\r":
        fail("echo has extra bytes")
    os.write(fd, line + b"\r")
    rd.wait_for(b"\r", 10, "echo of a pasted line")
    got = rd.take()
    if got != line + b"\r":
        fail("pasted line came back as %d bytes %r" % (len(got), got))
    os.close(fd)

    fd = open_client(path)           # a client reconnecting
    rd = Reader(fd)
    os.write(fd, b"again\r")
    rd.wait_for(b"again\r", 10, "echo after reconnect")
    os.write(fd, b"\x04")            # guest powers off
    rc = wait_exit(p, 10, "power-off")
    os.close(fd)
    if rc != 0:
        fail("exit status %d" % rc)
    print("ok - pty redirect, unread flood, echo, 200-char paste, reconnect")


main()
