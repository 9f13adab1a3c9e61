#!/usr/bin/env python3
"""virtio-net over -netdev user: the guest gets its lease from slirp's DHCP
server, configures eth0 (statically: busybox has no udhcpc script here),
pings the host side (10.0.2.2) and fetches a 1 MiB file from an HTTP
server on the host's 127.0.0.1 with busybox wget; its sha256 must match
the host's.  The negotiated virtio features are checked against the ones
the device properties leave on.

Usage: user-http.py EMULATOR [DEVICE-PROPERTIES]
  e.g. user-http.py build/weft mrg_rxbuf=off,csum=off,iothread=io0
  (iothread=NAME also creates -object iothread,id=NAME)"""

import sys
import time

sys.dont_write_bytecode = True
import netlib  # noqa: E402
from netlib import bootlib  # noqa: E402

SIZE = 1024 * 1024
# virtio-net feature bits (virtio 1.2 section 5.1.3) and their properties.
FEATURES = {'csum': 0, 'guest_csum': 1, 'mrg_rxbuf': 15}
MAC = 5
STATUS = 16


def script(port):
    return ('ip link set eth0 up; '
            'udhcpc -i eth0 -n -q -t 10 -T 2 -s /bin/true; '
            'ip addr add 10.0.2.15/24 dev eth0; '
            'ip route add default via 10.0.2.2; '
            'echo W-mac $(cat /sys/class/net/eth0/address); '
            'echo W-features $(cat /sys/class/net/eth0/device/features); '
            'ping -c 2 -W 10 10.0.2.2 | grep -q \'bytes from\' && '
            'echo W-ping ok; '
            'wget -q -O /tmp/f http://10.0.2.2:%d/file.bin; '
            'echo W-sha $(sha256sum /tmp/f)' % port)


def expected_features(props):
    off = set()
    for item in filter(None, props.split(',')):
        key, _, value = item.partition('=')
        if key in FEATURES and value in ('off', 'false', 'no'):
            off.add(FEATURES[key])
    return {bit: bit not in off for bit in list(FEATURES.values()) +
            [MAC, STATUS]}


def check_features(run, props):
    _, bits = run.tagged('W-features')
    if not bits:
        bootlib.fail('no feature bits from the guest')
    for bit, want in expected_features(props).items():
        got = len(bits) > bit and bits[bit] == '1'
        if got != want:
            bootlib.fail('feature bit %d negotiated: %s, want %s (%s)'
                         % (bit, got, want, bits))
    print('ok: negotiated features %s' % bits[:17])


def main():
    if len(sys.argv) not in (2, 3):
        bootlib.fail('usage: user-http.py EMULATOR [DEVICE-PROPERTIES]')
    emulator = bootlib.check_emulator(sys.argv[1])
    props = sys.argv[2] if len(sys.argv) == 3 else ''
    guest = bootlib.Guest()
    data = netlib.payload(SIZE)
    server = netlib.FileServer(data)
    device = 'virtio-net-device,netdev=n0' + (',' + props if props else '')
    # iothread=NAME in the properties: the card and slirp run there.
    objects = []
    for item in props.split(','):
        if item.startswith('iothread='):
            objects += ['-object', 'iothread,id=' + item[len('iothread='):]]
    start = time.monotonic()
    try:
        run = bootlib.Run([emulator, '-nographic', '-no-reboot'] + objects +
                          ['-netdev', 'user,id=n0',
                           '-device', device] +
                          guest.args(2, bootlib.weft_run_cmdline(
                              script(server.port))))
        run.wait()
    finally:
        server.close()
    run.check_kernel_healthy()
    if run.count('lease of 10.0.2.15 obtained') != 1:
        bootlib.fail('udhcpc got no lease of 10.0.2.15 from slirp')
    print('ok: DHCP lease of 10.0.2.15')
    _, mac = run.tagged('W-mac')
    if mac != '52:54:00:12:34:56':
        bootlib.fail('guest MAC %r, want the default 52:54:00:12:34:56'
                     % mac)
    check_features(run, props)
    if run.count_tag('W-ping') != 1:
        bootlib.fail('the guest could not ping 10.0.2.2')
    print('ok: ping 10.0.2.2')
    netlib.check_sha(run, 'W-sha', data)
    netlib.check_script_ok(run)
    run.check_exit('power-off')
    print('PASS: DHCP, ping and a %d-byte HTTP download through -netdev '
          'user in %.1f s' % (SIZE, time.monotonic() - start))


if __name__ == '__main__':
    main()
