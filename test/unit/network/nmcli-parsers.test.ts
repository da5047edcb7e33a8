import t from 'tap';
import { nmcliReason, scanErrorForExit } from '../../../src/network/nmcli-errors.js';
import { parseDevices, parseRadio } from '../../../src/network/nmcli-status.js';
import { escapeTerseValue, splitTerseLine } from '../../../src/network/nmcli-terse.js';
import { parseWifiList } from '../../../src/network/nmcli-wifi-list.js';

const B = (n: number): string => `AA\\:BB\\:CC\\:DD\\:EE\\:0${n}`;
const ap = (ssid: string, n: number, extra: Partial<{ signal: number; channel: number; security: string[] }> = {}) => ({
  ssid,
  hidden: ssid === '',
  bssid: `AA:BB:CC:DD:EE:0${n}`,
  signal: extra.signal ?? 70,
  channel: extra.channel ?? 6,
  security: extra.security ?? ['WPA2'],
});

t.test('terse lines split on unescaped colons and unescape \\: and \\\\', async (t) => {
  t.same(splitTerseLine('a:b:c'), ['a', 'b', 'c']);
  t.same(splitTerseLine('My\\:Cafe:x'), ['My:Cafe', 'x']);
  t.same(splitTerseLine('back\\\\slash:x'), ['back\\slash', 'x']);
  t.same(splitTerseLine('ends\\\\:x'), ['ends\\', 'x'], 'an SSID ending in a backslash (node-wifi crashes on it)');
  t.same(splitTerseLine('\\\\\\::x'), ['\\:', 'x'], 'escaped backslash then escaped colon');
  t.same(splitTerseLine(':'), ['', '']);
  t.same(splitTerseLine(''), ['']);
  t.same(splitTerseLine('odd\\x'), ['odd\\x'], 'an escape nmcli never writes is kept as text');
  t.same(splitTerseLine('trail\\'), ['trail\\']);
});

t.test('escapeTerseValue is what nmcli does to a value, and splitTerseLine undoes it', async (t) => {
  const values = ['plain', 'a:b', 'a\\b', 'abc\\', '\\:', ':::', 'Café ☕', '', 'a&&b', '-rf', '$(reboot)'];
  t.same(splitTerseLine(values.map(escapeTerseValue).join(':')), values);
});

t.test('wifi list: every SSID test vector comes back exactly', async (t) => {
  const out = [
    `Plain:${B(1)}:70:6:WPA2`,
    `My\\:Cafe:${B(2)}:50:1:WPA2`,
    `back\\\\slash:${B(3)}:40:11:WPA1 WPA2`,
    `Café ☕:${B(4)}:90:36:WPA3`,
    `:${B(5)}:30:6:WPA2`,
    `Open Net:${B(6)}:30:6:`,
    `a&&b:${B(7)}:30:6:WPA2 802.1X`,
    `abc\\\\:${B(8)}:25:149:WPA2`,
    ` space :${B(9)}:20:6:WEP`,
  ].join('\n') + '\n';
  const { accessPoints, malformed } = parseWifiList(out);
  t.equal(malformed, 0);
  t.same(accessPoints, [
    ap('Plain', 1),
    ap('My:Cafe', 2, { signal: 50, channel: 1 }),
    ap('back\\slash', 3, { signal: 40, channel: 11, security: ['WPA1', 'WPA2'] }),
    ap('Café ☕', 4, { signal: 90, channel: 36, security: ['WPA3'] }),
    ap('', 5, { signal: 30 }),
    ap('Open Net', 6, { signal: 30, security: [] }),
    ap('a&&b', 7, { signal: 30, security: ['WPA2', '802.1X'] }),
    ap('abc\\', 8, { signal: 25, channel: 149 }),
    ap(' space ', 9, { signal: 20, security: ['WEP'] }),
  ]);
  t.equal(accessPoints[4]?.hidden, true, 'an empty SSID is a hidden network');
  t.equal(Buffer.byteLength(accessPoints[3]!.ssid), 9, 'UTF-8 bytes unchanged');
});

t.test('wifi list: an SSID with a raw newline (nmcli does not escape it) is rejoined', async (t) => {
  const { accessPoints, malformed } = parseWifiList(`two\nlines:${B(1)}:70:6:WPA2\nend\n:${B(2)}:60:1:WPA2\n`);
  t.equal(malformed, 0);
  t.same(accessPoints.map((a) => a.ssid), ['two\nlines', 'end\n']);
});

t.test('wifi list: the empty line between two devices is a separator, not a record', async (t) => {
  const { accessPoints, malformed } = parseWifiList(`A:${B(1)}:70:6:WPA2\n\nB:${B(2)}:60:1:WPA2\n`);
  t.equal(malformed, 0);
  t.same(accessPoints.map((a) => a.ssid), ['A', 'B']);
});

t.test('wifi list: nothing at all (no device, radio off) is an empty list', async (t) => {
  t.same(parseWifiList(''), { accessPoints: [], malformed: 0 });
});

t.test('wifi list: broken records are counted, never half-parsed', async (t) => {
  const { accessPoints, malformed } = parseWifiList(
    [`Good:${B(1)}:70:6:WPA2`, `BadMac:AA\\:BB:70:6:WPA2`, `BadSignal:${B(2)}:x:6:WPA2`, `TooHigh:${B(3)}:101:6:WPA2`, `Extra:${B(4)}:70:6:WPA2:more`].join('\n'),
  );
  t.same(accessPoints.map((a) => a.ssid), ['Good']);
  t.equal(malformed, 4);
});

t.test('wifi list: lower-case BSSIDs are normalised to upper case', async (t) => {
  t.equal(parseWifiList(`x:aa\\:bb\\:cc\\:dd\\:ee\\:ff:1:1:`).accessPoints[0]?.bssid, 'AA:BB:CC:DD:EE:FF');
});

t.test('radio state', async (t) => {
  t.same(parseRadio('enabled:enabled\n'), { hardware: 'enabled', software: 'enabled' });
  t.same(parseRadio('enabled:disabled\n'), { hardware: 'enabled', software: 'disabled' });
  t.same(parseRadio('disabled:enabled\n'), { hardware: 'disabled', software: 'enabled' });
  t.same(parseRadio('missing:enabled\n'), { hardware: 'missing', software: 'enabled' });
  t.same(parseRadio(''), { hardware: 'unknown', software: 'unknown' });
});

t.test('device status rows', async (t) => {
  t.same(parseDevices('wlan0:wifi:disconnected\neth0:ethernet:connected\nlo:loopback:unmanaged\n'), [
    { device: 'wlan0', type: 'wifi', state: 'disconnected' },
    { device: 'eth0', type: 'ethernet', state: 'connected' },
    { device: 'lo', type: 'loopback', state: 'unmanaged' },
  ]);
  t.same(parseDevices('p2p-dev-wlan0:wifi-p2p:disconnected\n'), [{ device: 'p2p-dev-wlan0', type: 'wifi-p2p', state: 'disconnected' }]);
});

t.test('exit codes map to scan error codes', async (t) => {
  t.equal(scanErrorForExit(8), 'nm_not_running');
  t.equal(scanErrorForExit(10), 'no_wifi_device');
  t.equal(scanErrorForExit(1), 'scan_failed');
  t.equal(scanErrorForExit(2), 'scan_failed');
  t.equal(nmcliReason('Error: NetworkManager is not running.\n'), 'NetworkManager is not running.');
  t.equal(nmcliReason('\nError: Device \'wlan9\' not found.\n'), "Device 'wlan9' not found.");
  t.equal(nmcliReason(''), '');
});
