#!/usr/bin/env python3
"""Block backend lifecycle over QMP (suite 'qmp'), in raw JSON.

blockdev-add -> blockdev-del closes the image file before the reply;
blockdev-del refuses a node a device or a raw node uses, a -drive id, an
unknown name and wrongly typed arguments; a -blockdev/blockdev-add node
outlives its device and can be plugged again; a -drive backend is deleted
with its device (virtio-blk-device in a virtio-mmio slot, which unplugs
without the guest), in the main loop and in an iothread.  Whether a file
is open is read from /proc/PID/fd of weft.

Usage: test-qmp-block.py WEFT
"""
import importlib.util
import os
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'test_qmp', os.path.join(HERE, 'test-qmp.py'))
qmp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qmp)

check, log = qmp.check, qmp.log
Client, Weft = qmp.Client, qmp.Weft


def open_fds(pid, path):
    """How many of pid's descriptors are open on path."""
    want = os.path.realpath(path)
    n = 0
    fd_dir = '/proc/%d/fd' % pid
    for fd in os.listdir(fd_dir):
        try:
            n += os.readlink(os.path.join(fd_dir, fd)) == want
        except OSError:
            pass                # closed meanwhile
    return n


def make_image(tmp, name):
    path = os.path.join(tmp, name)
    with open(path, 'wb') as f:
        f.truncate(1024 * 1024)
    return path


def expect_fds(weft, path, n, what):
    got = open_fds(weft.proc.pid, path)
    check(got == n, '%s: %d descriptors on %s, want %d'
          % (what, got, os.path.basename(path), n))


def test_add_del(c, weft, img):
    c.ok('blockdev-add', {'driver': 'file', 'node-name': 'n1',
                          'filename': img, 'cache': {'direct': False}})
    expect_fds(weft, img, 1, 'after blockdev-add')
    check(c.cmd('blockdev-del', {'node-name': 'n1'}, id=7) ==
          {'return': {}, 'id': 7}, 'blockdev-del n1')
    # Closed before the reply, not some time later.
    expect_fds(weft, img, 0, 'after blockdev-del')
    c.error('blockdev-del', {'node-name': 'n1'},
            desc="Failed to find node with node-name='n1'")
    # The name is free again.
    c.ok('blockdev-add', {'driver': 'file', 'node-name': 'n1',
                          'filename': img})
    c.ok('blockdev-del', {'node-name': 'n1'})
    expect_fds(weft, img, 0, 'second blockdev-del')
    log('ok blockdev-add -> blockdev-del closes the file before the reply')


def test_bad_arguments(c):
    c.error('blockdev-del', {'node-name': 'nowhere'},
            desc="Failed to find node with node-name='nowhere'")
    c.error('blockdev-del', {}, desc="Parameter 'node-name' is missing")
    c.error('blockdev-del', None, desc="Parameter 'node-name' is missing")
    for bad in (5, True, None, ['n1'], {'a': 'b'}):
        c.error('blockdev-del', {'node-name': bad},
                desc="Invalid parameter type for 'node-name', expected: "
                     "string")
    c.error('blockdev-del', {'node-name': 'n1', 'force': True},
            desc="Parameter 'force' is unexpected")
    c.send_raw(b'{"execute": "blockdev-del", "arguments": ["n1"]}')
    r = c.reply()
    check('error' in r and "'arguments' must be an object"
          in r['error']['desc'], 'arguments as an array: %r' % r)
    log('ok blockdev-del errors: unknown node, missing, wrongly typed and '
        'unexpected arguments')


def test_in_use(c, weft, img, iothread):
    extra = {'iothread': 'io0'} if iothread else {}
    c.ok('blockdev-add', {'driver': 'file', 'node-name': 'n2',
                          'filename': img})
    c.ok('device_add', dict({'driver': 'virtio-blk-device', 'id': 'vblk1',
                             'drive': 'n2'}, **extra))
    c.error('blockdev-del', {'node-name': 'n2'}, desc="Node 'n2' is in use")
    expect_fds(weft, img, 1, 'attached node')
    # A raw node holds its file node.
    c.ok('blockdev-add', {'driver': 'file', 'node-name': 'f3',
                          'filename': img, 'read-only': True})
    c.ok('blockdev-add', {'driver': 'raw', 'node-name': 'r3', 'file': 'f3'})
    c.error('blockdev-del', {'node-name': 'f3'},
            desc="Node 'f3' is in use by raw node 'r3'")
    c.ok('blockdev-del', {'node-name': 'r3'})
    expect_fds(weft, img, 2, 'raw node deleted, file node left')
    c.ok('blockdev-del', {'node-name': 'f3'})
    expect_fds(weft, img, 1, 'file node deleted')

    # The device goes, the node stays and can be plugged again.
    c.ok('device_del', {'id': 'vblk1'})
    c.event('DEVICE_DELETED')
    expect_fds(weft, img, 1, 'node after its device was deleted')
    c.ok('device_add', dict({'driver': 'virtio-blk-device', 'id': 'vblk1',
                             'drive': 'n2'}, **extra))
    c.ok('device_del', {'id': 'vblk1'})
    c.event('DEVICE_DELETED')
    c.ok('blockdev-del', {'node-name': 'n2'})
    expect_fds(weft, img, 0, 'blockdev-del after device_del')
    log('ok blockdev-del of nodes in use (device%s, raw node); a node '
        'outlives its device' % (' in an iothread' if iothread else ''))


def test_drive_auto_delete(c, weft, drive, dev, img):
    c.error('blockdev-del', {'node-name': drive},
            desc='not owned by the monitor')
    expect_fds(weft, img, 1, '-drive before device_del')
    c.ok('device_del', {'id': dev})
    ev = c.event('DEVICE_DELETED')
    check(ev['data'].get('device') == dev, 'DEVICE_DELETED %r' % ev)
    # Unrealize closed it; DEVICE_DELETED comes after.
    expect_fds(weft, img, 0, '-drive %s after its device' % drive)
    c.error('blockdev-del', {'node-name': drive},
            desc="Failed to find node with node-name='%s'" % drive)
    c.error('device_add', {'driver': 'virtio-blk-device', 'id': dev,
                           'drive': drive}, desc='not found')
    log('ok -drive %s deleted with device %s, file closed' % (drive, dev))


def main():
    with tempfile.TemporaryDirectory(prefix='weft-qmp-block-') as tmp:
        sock = os.path.join(tmp, 'qmp.sock')
        img_a = make_image(tmp, 'a.img')
        img_b = make_image(tmp, 'b.img')
        img_c = make_image(tmp, 'c.img')
        img_d = make_image(tmp, 'd.img')
        weft = Weft(tmp, [
            '-object', 'iothread,id=io0',
            '-drive', 'file=%s,if=none,id=d0' % img_a,
            '-device', 'virtio-blk-device,drive=d0,id=vblk0',
            '-drive', 'file=%s,if=none,id=d1,aio=threads' % img_d,
            '-device', 'virtio-blk-device,drive=d1,id=vblk2,iothread=io0',
            '-blockdev', 'driver=file,node-name=cli0,filename=%s' % img_c,
            '-qmp', 'unix:%s,server=on,wait=off' % sock])
        try:
            c = Client(sock)
            test_add_del(c, weft, img_b)
            test_bad_arguments(c)
            test_in_use(c, weft, img_b, False)
            test_in_use(c, weft, img_b, True)
            test_drive_auto_delete(c, weft, 'd0', 'vblk0', img_a)
            test_drive_auto_delete(c, weft, 'd1', 'vblk2', img_d)
            # A -blockdev node belongs to the monitor like blockdev-add's.
            expect_fds(weft, img_c, 1, '-blockdev node')
            c.ok('blockdev-del', {'node-name': 'cli0'})
            expect_fds(weft, img_c, 0, '-blockdev node deleted')
            log('ok -blockdev node deleted by blockdev-del')
            c.ok('quit')
            c.event('SHUTDOWN')
            weft.wait_exit('quit')
        finally:
            weft.kill()
    log('PASS')


if __name__ == '__main__':
    main()
