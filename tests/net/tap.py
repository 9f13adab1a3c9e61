#!/usr/bin/env python3
"""-netdev tap in a network namespace made for the test: a tap interface
192.168.77.1/24 on the host side; the guest takes 192.168.77.2, fetches a
1 MiB file from an HTTP server on the tap address (sha256 checked), and
waits until the host has pinged it; the host pings the guest.  Needs root
(CAP_NET_ADMIN, CAP_SYS_ADMIN for the namespace), iproute2 and
/dev/net/tun; skips with the reason otherwise.

Usage: tap.py EMULATOR            (sets up the namespace, runs itself in it)
       tap.py EMULATOR --inner    (inside the namespace)"""

import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
import netlib  # noqa: E402
from netlib import bootlib  # noqa: E402

TAP = 'wefttap0'
HOST_IP = '192.168.77.1'
GUEST_IP = '192.168.77.2'
SIZE = 1024 * 1024
PING_TRIES = 10


def sh(*argv):
    return subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def outer(emulator):
    if os.geteuid() != 0:
        bootlib.skip('tap needs root (CAP_NET_ADMIN) to create a namespace '
                     'and a tap interface')
    ip = shutil.which('ip')
    if not ip:
        bootlib.skip('no ip(8) (install iproute2)')
    if not os.path.exists('/dev/net/tun'):
        bootlib.skip('no /dev/net/tun')
    ns = 'weft-net-%d' % os.getpid()
    r = sh(ip, 'netns', 'add', ns)
    if r.returncode:
        bootlib.skip('cannot create a network namespace: ' + r.stdout.strip())
    try:
        r = sh(ip, 'netns', 'exec', ns, ip, 'tuntap', 'add', 'dev', TAP,
               'mode', 'tap')
        if r.returncode:
            bootlib.skip('cannot create a tap interface: ' + r.stdout.strip())
        rc = subprocess.call([ip, 'netns', 'exec', ns, sys.executable,
                              os.path.abspath(__file__), emulator,
                              '--inner'])
    finally:
        sh(ip, 'netns', 'del', ns)
    sys.exit(rc)


def setup_tap():
    for argv in (['ip', 'link', 'set', 'lo', 'up'],
                 ['ip', 'addr', 'add', HOST_IP + '/24', 'dev', TAP],
                 ['ip', 'link', 'set', TAP, 'up']):
        r = sh(*argv)
        if r.returncode:
            bootlib.fail('%s: %s' % (' '.join(argv), r.stdout.strip()))


def icmp_checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ping_once(sock, ident, seq):
    """One ICMP echo to the guest (a raw socket: no ping(8) needed);
    True if the matching reply came back within 5 s."""
    body = b'weft-tap-ping' * 8
    hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
    pkt = struct.pack('!BBHHH', 8, 0, icmp_checksum(hdr + body), ident,
                      seq) + body
    sock.sendto(pkt, (GUEST_IP, 0))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.01))
        try:
            reply, addr = sock.recvfrom(2048)
        except socket.timeout:
            return False
        icmp = reply[(reply[0] & 15) * 4:]
        if (addr[0] == GUEST_IP and len(icmp) >= 8 and icmp[0] == 0 and
                struct.unpack('!HH', icmp[4:8]) == (ident, seq) and
                icmp[8:] == body):
            return True
    return False


def ping_guest():
    ident = os.getpid() & 0xffff
    with socket.socket(socket.AF_INET, socket.SOCK_RAW,
                       socket.IPPROTO_ICMP) as sock:
        for seq in range(1, PING_TRIES + 1):
            if ping_once(sock, ident, seq):
                print('ping %s: reply to seq %d' % (GUEST_IP, seq))
                return
            print('ping %s: no reply to seq %d' % (GUEST_IP, seq))
            time.sleep(1)
    bootlib.fail('the host could not ping the guest at ' + GUEST_IP)


def inner(emulator):
    setup_tap()
    guest = bootlib.Guest()
    data = netlib.payload(SIZE, b'weft-tap')
    server = netlib.FileServer(data, HOST_IP)
    url = 'http://%s:%d' % (HOST_IP, server.port)
    script = ('ip link set eth0 up; ip addr add %s/24 dev eth0; '
              'echo W-up now; wget -q -O /tmp/f %s/file.bin; '
              'echo W-sha $(sha256sum /tmp/f); i=0; '
              'while [ $i -lt 120 ]; do '
              'wget -q -O /tmp/d %s/done && break; sleep 1; i=$((i+1)); '
              'done; echo W-done $(cat /tmp/d)' % (GUEST_IP, url, url))
    run = None
    try:
        run = bootlib.Run([emulator, '-nographic', '-no-reboot', '-netdev',
                           'tap,id=n0,ifname=%s,script=no,downscript=no'
                           % TAP, '-device', 'virtio-net-device,netdev=n0'] +
                          guest.args(2, bootlib.weft_run_cmdline(script)))
        run.wait(until=lambda r: r.count_tag('W-up') > 0)
        if run.count_tag('W-up') == 0:
            bootlib.fail('the guest never configured eth0')
        ping_guest()
        print('ok: the host pinged the guest')
        server.release()
        run.wait()
    finally:
        if run:
            run.stop()          # a failure above leaves the guest waiting
        server.close()
    run.check_kernel_healthy()
    netlib.check_sha(run, 'W-sha', data)
    _, done = run.tagged('W-done')
    if done != 'yes':
        bootlib.fail('the guest did not see the host finish (%r)' % done)
    netlib.check_script_ok(run)
    run.check_exit('power-off')
    print('PASS: tap %s: host pings the guest, the guest downloads %d bytes'
          % (TAP, SIZE))


def main():
    if len(sys.argv) == 3 and sys.argv[2] == '--inner':
        inner(sys.argv[1])
    elif len(sys.argv) == 2:
        outer(bootlib.check_emulator(sys.argv[1]))
    else:
        bootlib.fail(__doc__.strip().splitlines()[-2])


if __name__ == '__main__':
    main()
