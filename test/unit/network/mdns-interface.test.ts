import t from 'tap';
import { lanBinding, sameBinding, type InterfaceTable } from '../../../src/network/mdns-interface.js';

/** A camera on its home Wi-Fi while still running its soft-AP, as os.networkInterfaces() reports it. */
const CAMERA: InterfaceTable = {
  lo: [
    { address: '127.0.0.1', family: 'IPv4', internal: true },
    { address: '::1', family: 'IPv6', internal: true },
  ],
  wlan0: [
    { address: '192.168.1.57', family: 'IPv4', internal: false },
    { address: 'fe80::1c2:33ff:fe44:5566', family: 'IPv6', internal: false },
  ],
  ap0: [{ address: '192.168.4.1', family: 'IPv4', internal: false }],
  eth0: [
    { address: '169.254.10.20', family: 'IPv4', internal: false },
    { address: '10.0.0.5', family: 4, internal: false },
  ],
  wlan1: [{ address: 'fe80::2', family: 'IPv6', internal: false }],
};

t.test('by name: the IPv4 addresses of that interface only, never the soft-AP\'s', async (t) => {
  t.same(lanBinding(CAMERA, 'wlan0'), { ok: true, binding: { interfaceName: 'wlan0', addresses: ['192.168.1.57'] } });
  const r = lanBinding(CAMERA, 'wlan0');
  t.notOk(JSON.stringify(r).includes('192.168.4.1'));
  t.notOk(JSON.stringify(r).includes('fe80'), 'no IPv6: the mDNS socket is udp4');
});

t.test('by address: the interface holding it, that address first', async (t) => {
  t.same(lanBinding(CAMERA, '192.168.1.57'), { ok: true, binding: { interfaceName: 'wlan0', addresses: ['192.168.1.57'] } });
  t.same(lanBinding(CAMERA, '169.254.10.20'), { ok: true, binding: { interfaceName: 'eth0', addresses: ['169.254.10.20', '10.0.0.5'] } });
});

t.test('link-local addresses go last; Node\'s old numeric family is understood', async (t) => {
  t.same(lanBinding(CAMERA, 'eth0'), { ok: true, binding: { interfaceName: 'eth0', addresses: ['10.0.0.5', '169.254.10.20'] } });
});

t.test('reasons not to advertise', async (t) => {
  t.match(lanBinding(CAMERA, 'wlan9'), { ok: false, code: 'interface_not_found' });
  t.match(lanBinding(CAMERA, '192.168.1.99'), { ok: false, code: 'interface_not_found' });
  t.match(lanBinding(CAMERA, 'wlan1'), { ok: false, code: 'no_ipv4_address' }, 'up but DHCP has not answered yet');
  t.match(lanBinding(CAMERA, 'lo'), { ok: false, code: 'loopback_interface' });
  t.match(lanBinding(CAMERA, '127.0.0.1'), { ok: false, code: 'loopback_interface' });
  t.match(lanBinding({}, 'wlan0'), { ok: false, code: 'interface_not_found' });
});

t.test('sameBinding compares interface and addresses in order', async (t) => {
  const a = { interfaceName: 'wlan0', addresses: ['192.168.1.57'] };
  t.ok(sameBinding(a, { interfaceName: 'wlan0', addresses: ['192.168.1.57'] }));
  t.notOk(sameBinding(a, { interfaceName: 'wlan0', addresses: ['192.168.1.58'] }));
  t.notOk(sameBinding(a, { interfaceName: 'eth0', addresses: ['192.168.1.57'] }));
  t.notOk(sameBinding(a, null));
  t.ok(sameBinding(null, null));
});
