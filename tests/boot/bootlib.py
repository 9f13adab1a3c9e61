"""Helpers shared by the Linux boot tests: find the guest, run the
emulator with a deadline while streaming its console to our stdout (so
the Meson log shows the boot), and report PASS/FAIL/SKIP the Meson way."""

import os
import select
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FIND_GUESTS = os.path.join(REPO, 'scripts', 'find-guests.sh')

# Per boot: TCG on 2 loaded host cores; the target is under 60 s.
BOOT_TIMEOUT = float(os.environ.get('WEFT_BOOT_TIMEOUT', '300'))

# Once the guest has said it is powering off or rebooting, the emulator
# has this long to act on it.
POWER_OFF_GRACE = 30
POWER_OFF_LINES = ('weft-guest: exit', 'reboot: Power down',
                   'reboot: Restarting system')

# Kernel messages that mean the emulated machine misbehaved.
KERNEL_TROUBLE = ('Kernel panic', 'Oops', 'BUG:', 'Unable to handle',
                  'rcu_sched self-detected stall', 'soft lockup',
                  'hard LOCKUP', 'Illegal instruction')


def skip(reason):
    print('SKIP: ' + reason)
    sys.exit(SKIP)


def fail(reason):
    print('FAIL: ' + reason)
    sys.exit(1)


def find(what):
    """Runs scripts/find-guests.sh WHAT; skips the test when it fails."""
    r = subprocess.run(['sh', FIND_GUESTS, what], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        skip(r.stderr.strip())
    return r.stdout.strip()


class Guest:
    """The RISC-V Linux test guest and the firmware that boots it."""

    def __init__(self):
        self.dir = find('guests')
        self.image = os.path.join(self.dir, 'riscv64', 'Image')
        self.initrd = os.path.join(self.dir, 'riscv64', 'initramfs.cpio.gz')
        self.bios = find('opensbi')

    def args(self, smp, append, mem='512M'):
        return ['-M', 'virt', '-smp', str(smp), '-m', mem,
                '-bios', self.bios, '-kernel', self.image,
                '-initrd', self.initrd, '-append', append]


def check_emulator(path):
    """Returns the emulator's path (looked up in $PATH if it has no /)."""
    found = shutil.which(path) if path else None
    if not found:
        fail('emulator %r is not an executable' % path)
    return found


def weft_run_cmdline(script):
    """The kernel command line running SCRIPT through the guest's init.
    The kernel strips the double quotes, so SCRIPT must not contain any.
    $WEFT_GUEST_APPEND adds kernel parameters: a ThreadSanitizer build
    runs the guest so slowly that its lockup and stall detectors fire
    (e.g. WEFT_GUEST_APPEND="nowatchdog rcupdate.rcu_cpu_stall_suppress=1")."""
    if '"' in script:
        raise ValueError('WEFT_RUN scripts cannot contain double quotes')
    extra = os.environ.get('WEFT_GUEST_APPEND', '').strip()
    return 'console=ttyS0 %sWEFT_RUN="%s"' % (extra + ' ' if extra else '',
                                             script)


class Run:
    """One emulator process: its console output, line by line, with the
    host time each line arrived."""

    def __init__(self, argv, stdin=subprocess.DEVNULL):
        print('$ ' + ' '.join(argv), flush=True)
        self.proc = subprocess.Popen(argv, stdin=stdin,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines = []         # (host time, text without CR/LF)
        self.partial = b''
        self.rc = None
        self.timed_out = False
        self.waited = 0         # the timeout of the last wait()

    def text(self):
        return '\n'.join(line for _, line in self.lines)

    def take(self, data):
        """Logs DATA, the emulator's output, and splits it into lines."""
        sys.stdout.write(data.decode('utf-8', 'replace'))
        sys.stdout.flush()
        now = time.time()
        self.partial += data
        *done, self.partial = self.partial.split(b'\n')
        for raw in done:
            self.lines.append((now, raw.decode('utf-8', 'replace')
                               .replace('\r', '')))

    def announced_power_off(self, first_line=0):
        return any(m in line for _, line in self.lines[first_line:]
                   for m in POWER_OFF_LINES)

    def wait(self, timeout=BOOT_TIMEOUT, until=None, grace=True):
        """Reads output until the process exits, UNTIL(self) is true, or
        TIMEOUT seconds pass (then the process is killed).  Returns the
        exit status, or None if the process is still running or was killed
        for the timeout.  With GRACE, a guest that announced its power-off
        leaves the emulator POWER_OFF_GRACE s to exit."""
        self.waited = timeout
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        seen = len(self.lines)
        while True:
            if grace and self.announced_power_off(seen):
                deadline = min(deadline, time.monotonic() + POWER_OFF_GRACE)
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                self.timed_out = True
                self.stop()
                return None
            ready, _, _ = select.select([fd], [], [], min(left, 1.0))
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                self.take(data)
                if until and until(self):
                    return None
        if self.partial:
            self.take(b'\n')
        self.rc = self.proc.wait()
        return self.rc

    def stop(self):
        """Ends the process we started: SIGTERM, then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.rc = self.proc.returncode

    def count(self, needle):
        return sum(needle in line for _, line in self.lines)

    def count_tag(self, tag):
        """How many lines start with TAG (the guest script's own output,
        not the kernel echoing its command line)."""
        return sum(line.startswith(tag + ' ') for _, line in self.lines)

    def tagged(self, tag):
        """(host time, rest of line) of the first line starting with TAG."""
        for when, line in self.lines:
            if line.startswith(tag + ' '):
                return when, line[len(tag) + 1:].strip()
        return None, None

    def check_kernel_healthy(self):
        for _, line in self.lines:
            for bad in KERNEL_TROUBLE:
                if bad in line:
                    fail('kernel reported trouble: ' + line.strip())

    def check_exit(self, what):
        if self.timed_out and self.announced_power_off():
            fail('%s: the guest powered off, but the emulator did not exit '
                 'within %d s' % (what, POWER_OFF_GRACE))
        if self.timed_out:
            fail('%s: no exit within %d s' % (what, self.waited))
        if self.rc != 0:
            fail('%s: emulator exited with status %s, want 0'
                 % (what, self.rc))
