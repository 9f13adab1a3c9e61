#!/usr/bin/env python3
"""device_del of a virtio-pci function behind a pcie-root-port when the
guest never answers the attention button, over QMP.

The guest is two instructions (wfi in a loop): it never looks at PCI, so
the slot of a cold-plugged virtio-rng-pci stays powered and nobody turns
it off.  device_del must then leave the function in place with the
request pending and visible to management:
  - no DEVICE_DELETED;
  - `info qtree` shows the function with "state = unplug-pending";
  - query-pci still lists it;
  - a second device_del fails with "already being unplugged
    (unplug-pending)", and the id stays taken.
A virtio-blk-pci hot-plugged into the other, empty port lands in a slot
that is off (nobody powered it on), so its device_del completes at once,
without the guest: DEVICE_DELETED, and the block node it used can be
deleted.  At the end weft quits with status 0.

Usage: unplug-pending.py WEFT"""

import os
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'qmp'))
from qmplib import TIMEOUT, Client, check, fail  # noqa: E402

# How long a guest that does not answer is given to (not) answer.
PENDING_WAIT = 3.0
# wfi; j .-4
SPIN = struct.pack('<2I', 0x10500073, 0xffdff06f)


def deleted(qmp, dev_id, timeout):
    """The DEVICE_DELETED of dev_id within TIMEOUT, or None."""
    return qmp.wait_event('DEVICE_DELETED', timeout,
                          lambda data: data.get('device') == dev_id)


def qtree(qmp):
    return qmp.ok('human-monitor-command', {'command-line': 'info qtree'})


def qtree_entry(qtree, dev_id):
    """The lines of dev_id's entry in info qtree (up to its first bus)."""
    lines = qtree.replace('\r', '').split('\n')
    for i, line in enumerate(lines):
        if line.strip().endswith('id "%s"' % dev_id):
            indent = len(line) - len(line.lstrip())
            out = [line]
            for more in lines[i + 1:]:
                if len(more) - len(more.lstrip()) <= indent or \
                        more.strip().startswith('bus:'):
                    break
                out.append(more)
            return out
    return None


def in_query_pci(qmp, dev_id):
    return any(d.get('qdev_id') == dev_id
               for bus in qmp.ok('query-pci') for d in bus['devices'])


def main():
    if len(sys.argv) != 2:
        fail(__doc__.strip().splitlines()[-1])
    weft = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        kernel = os.path.join(tmp, 'spin.bin')
        with open(kernel, 'wb') as f:
            f.write(SPIN)
        image = os.path.join(tmp, 'disk.img')
        with open(image, 'wb') as f:
            f.truncate(1 << 20)
        sock = os.path.join(tmp, 'qmp.sock')
        argv = [weft, '-M', 'virt', '-smp', '1', '-m', '64M', '-bios',
                'none', '-kernel', kernel, '-nographic', '-serial', 'null',
                '-qmp', 'unix:%s,server=on,wait=off' % sock,
                '-device', 'pcie-root-port,id=rp1,chassis=1,slot=1',
                '-device', 'pcie-root-port,id=rp2,chassis=1,slot=2',
                '-device', 'virtio-rng-pci,id=rng0,bus=rp1']
        print('$ ' + ' '.join(argv), flush=True)
        err = open(os.path.join(tmp, 'weft.err'), 'w+')
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            run(Client(sock, proc=proc), image)
            rc = proc.wait(TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        stderr = err.read()
        check(rc == 0, 'weft exited with status %d: %s' % (rc, stderr))
        check('Sanitizer' not in stderr and 'runtime error:' not in stderr,
              'sanitizer report: ' + stderr)
    print('PASS: an unanswered device_del stays pending and visible; one '
          'in a slot that is off completes without the guest')


def run(qmp, image):
    qmp.ok('device_del', {'id': 'rng0'})
    check(deleted(qmp, 'rng0', PENDING_WAIT) is None,
          'DEVICE_DELETED without an answer from the guest')
    entry = qtree_entry(qtree(qmp), 'rng0')
    check(entry and any(l.strip() == 'state = unplug-pending'
                        for l in entry),
          'info qtree does not show rng0 pending: %r' % entry)
    check(in_query_pci(qmp, 'rng0'), 'query-pci lost rng0')
    qmp.error('device_del', {'id': 'rng0'}, desc="Device 'rng0' is already "
              "being unplugged (unplug-pending)")
    qmp.error('device_add', {'driver': 'virtio-rng-pci', 'id': 'rng0',
                             'bus': 'rp2'}, desc="Duplicate device id 'rng0'")
    print('ok: device_del unanswered: rng0 stays, pending in info qtree, '
          'in query-pci; a second device_del says so', flush=True)

    qmp.ok('blockdev-add', {'driver': 'file', 'node-name': 'd0',
                            'filename': image})
    qmp.ok('device_add', {'driver': 'virtio-blk-pci', 'id': 'blk0',
                          'bus': 'rp2', 'drive': 'd0'})
    check(in_query_pci(qmp, 'blk0'), 'query-pci does not list blk0')
    qmp.ok('device_del', {'id': 'blk0'})
    check(deleted(qmp, 'blk0', TIMEOUT) is not None,
          'no DEVICE_DELETED for blk0 in a slot that is off')
    check(not in_query_pci(qmp, 'blk0'), 'query-pci still lists blk0')
    qmp.ok('blockdev-del', {'node-name': 'd0'})
    # rng0 is still waiting.
    check(qtree_entry(qtree(qmp), 'rng0') is not None, 'rng0 went away')
    print('ok: device_del in a slot that is off: DEVICE_DELETED at once, '
          'the node is free again', flush=True)
    qmp.ok('quit')


if __name__ == '__main__':
    main()
