#!/usr/bin/env python3
"""weft -M virt -nographic with the console on a real terminal: boot the
test Linux to its shell, type a command, paste a 200-character line, send
Ctrl-C to the guest (it must not kill weft), quit with Ctrl-a x (status 0)
and check the terminal modes are back.  Skips without test guests.

Usage: test-linux-stdio.py WEFT"""
import os
import pty
import subprocess
import sys
import termios

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from console_util import Reader, fail, wait_exit  # noqa: E402

FIND = os.path.join(HERE, "..", "..", "scripts", "find-guests.sh")


def find(what):
    r = subprocess.run(["sh", FIND, what], capture_output=True, text=True)
    if r.returncode != 0 or not r.stdout.strip():
        print("SKIP: %s not found" % what)
        sys.exit(77)
    return r.stdout.strip()


def main():
    weft = sys.argv[1]
    guests = os.path.join(find("guests"), "riscv64")
    bios = find("opensbi")
    timeout = int(os.environ.get("WEFT_BOOT_TIMEOUT", "300"))
    master, slave = pty.openpty()
    modes = termios.tcgetattr(slave)
    p = subprocess.Popen([weft, "-M", "virt", "-smp", "2", "-nographic",
                          "-bios", bios,
                          "-kernel", os.path.join(guests, "Image"),
                          "-initrd", os.path.join(guests, "initramfs.cpio.gz"),
                          "-append", "console=ttyS0"],
                         stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True)
    rd = Reader(master)
    rd.wait_for(b"weft-guest: ready", timeout, "the guest's shell")
    rd.settle(1.0)
    rd.take()
    os.write(master, b"echo $((6*7))\r")
    rd.wait_for(b"42", 30, "a typed command's output")
    rd.take()
    os.write(master, b"echo " + b"x" * 200 + b" | wc -c\r")
    rd.wait_for(b"201", 30, "a pasted 200-character line")
    os.write(master, b"sleep 100\r")
    rd.settle(0.5)
    os.write(master, b"\x03echo alive\r")
    rd.wait_for(b"alive", 30, "the shell after Ctrl-C")
    if p.poll() is not None:
        fail("Ctrl-C ended weft (status %d)" % p.returncode)
    os.write(master, b"\x01x")
    rc = wait_exit(p, 30, "Ctrl-a x")
    if rc != 0:
        fail("Ctrl-a x: exit status %d" % rc)
    if termios.tcgetattr(slave) != modes:
        fail("terminal modes not restored")
    print("ok - Linux shell on stdio: command, paste, Ctrl-C, Ctrl-a x, "
          "terminal restored")


main()
