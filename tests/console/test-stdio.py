#!/usr/bin/env python3
"""-serial stdio on a real terminal (a pty from Python): raw mode while
running, Ctrl-a h / Ctrl-a Ctrl-a / Ctrl-a x, and the terminal modes
(termios and `stty -g`) restored after Ctrl-a x, guest power-off, SIGTERM
and a crash.  Then stdin as a pipe and as /dev/null (no tty: plain stream,
EOF only stops input, no busy loop)."""
import os
import pty
import signal
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_util import Reader, fail, wait_exit  # noqa: E402

PROG = sys.argv[1]


def stty_g(fd):
    return subprocess.run(["stty", "-g"], stdin=fd, capture_output=True,
                          check=True).stdout


class TtyRun:
    def __init__(self):
        self.master, self.slave = pty.openpty()
        self.modes = termios.tcgetattr(self.slave)
        self.stty = stty_g(self.slave)
        self.p = subprocess.Popen([PROG, "stdio"], stdin=self.slave,
                                  stdout=self.slave, stderr=self.slave,
                                  start_new_session=True)
        self.rd = Reader(self.master)
        self.rd.wait_for(b"ready", 10, "start")
        self.rd.take()
        now = termios.tcgetattr(self.slave)
        if now[3] & (termios.ECHO | termios.ICANON | termios.ISIG):
            fail("terminal not in raw mode while running")

    def type(self, data):
        os.write(self.master, data)

    def finish(self, expect_rc, what):
        # keep draining so the child never blocks on a full pty
        deadline = time.monotonic() + 10
        while self.p.poll() is None and time.monotonic() < deadline:
            self.rd.pump(0.05)
        rc = wait_exit(self.p, 1, what)
        if rc != expect_rc:
            fail("%s: exit status %d, expected %d" % (what, rc, expect_rc))
        if termios.tcgetattr(self.slave) != self.modes:
            fail("%s: termios not restored" % what)
        if stty_g(self.slave) != self.stty:
            fail("%s: stty -g differs after exit" % what)
        os.close(self.master)
        os.close(self.slave)


def tty_ctrl_a():
    t = TtyRun()
    t.type(b"abc")
    t.rd.wait_for(b"abc", 5, "echo")
    time.sleep(0.2)
    t.rd.pump(0.1)
    if t.rd.take() != b"abc":
        fail("typed bytes echoed twice (terminal echo left on?)")
    t.type(b"\x01h")
    t.rd.wait_for(b"C-a x", 5, "Ctrl-a h help")
    t.rd.take()
    t.type(b"\x01\x01z")
    t.rd.wait_for(b"\x01z", 5, "Ctrl-a Ctrl-a reaching the guest as Ctrl-a")
    t.type(b"\x01x")
    t.finish(0, "Ctrl-a x")
    print("ok - tty: raw mode, echo, Ctrl-a h, Ctrl-a Ctrl-a, Ctrl-a x")


def tty_poweroff():
    t = TtyRun()
    t.type(b"\x04")
    t.finish(0, "guest power-off")
    print("ok - tty: restored after guest power-off")


def tty_signal(sig, rc, what, trigger=None):
    t = TtyRun()
    if trigger:
        t.type(trigger)
    else:
        t.p.send_signal(sig)
    t.finish(rc, what)
    print("ok - tty: restored after %s" % what)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipe_stdin():
    p = subprocess.Popen([PROG, "stdio"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = Reader(p.stderr.fileno())
    err.wait_for(b"ready", 10, "start (pipe)")
    out = Reader(p.stdout.fileno())
    p.stdin.write(b"piped\n")
    p.stdin.flush()
    out.wait_for(b"piped\n", 5, "echo through a pipe")
    p.stdin.write(b"\x01x")
    p.stdin.flush()
    rc = wait_exit(p, 10, "Ctrl-a x through a pipe")
    if rc != 0:
        fail("Ctrl-a x through a pipe: exit status %d" % rc)
    print("ok - pipe: echo and Ctrl-a x")

    # EOF: input stops, the machine keeps running, nothing spins
    p = subprocess.Popen([PROG, "stdio"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    Reader(p.stderr.fileno()).wait_for(b"ready", 10, "start (EOF)")
    out = Reader(p.stdout.fileno())
    p.stdin.write(b"last")
    p.stdin.close()
    out.wait_for(b"last", 5, "echo before EOF")
    before = cpu_seconds(p.pid)
    time.sleep(1.0)
    if p.poll() is not None:
        fail("EOF on stdin ended the machine (status %d)" % p.returncode)
    if cpu_seconds(p.pid) - before > 0.5:
        fail("busy loop after EOF on stdin")
    p.terminate()
    wait_exit(p, 10, "SIGTERM after EOF")
    print("ok - pipe: EOF stops input only")

    with open(os.devnull, "rb") as null:
        p = subprocess.Popen([PROG, "stdio"], stdin=null,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        Reader(p.stderr.fileno()).wait_for(b"ready", 10, "start (/dev/null)")
        before = cpu_seconds(p.pid)
        time.sleep(1.0)
        if p.poll() is not None or cpu_seconds(p.pid) - before > 0.5:
            fail("stdin=/dev/null: exited or spinning")
        p.terminate()
        wait_exit(p, 10, "SIGTERM with /dev/null stdin")
    print("ok - /dev/null stdin")


def main():
    try:
        pty.openpty()
    except OSError:
        print("SKIP: no pseudo-terminals")
        sys.exit(77)
    tty_ctrl_a()
    tty_poweroff()
    tty_signal(signal.SIGTERM, -signal.SIGTERM, "SIGTERM")
    tty_signal(signal.SIGHUP, -signal.SIGHUP, "SIGHUP")
    tty_signal(None, -signal.SIGABRT, "a crash (abort)", trigger=b"\x02")
    pipe_stdin()


main()
