import t from 'tap';
import { checkBody } from '../../../../src/provisioning/ap/body-schema.js';
import {
  BIND_SCHEMA,
  EMPTY_SCHEMA,
  ENVELOPE_SCHEMA,
  INIT_SCHEMA,
  parseBind,
  parseWifiConfig,
  scanEntry,
  WIFI_CONFIG_SCHEMA,
} from '../../../../src/provisioning/ap/prov-bodies.js';

const b64 = (bytes: Buffer | string): string => (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes).toString('base64');
const codes = (r: { ok: boolean; fields?: { field: string; code: string }[] }): string[] =>
  r.ok ? [] : (r.fields ?? []).map((f) => `${f.field}:${f.code}`);

t.test('schemas refuse unknown fields, missing fields and wrong types — nothing is coerced or dropped', async (t) => {
  t.same(checkBody(INIT_SCHEMA, { I: 'AC1234567890', A: 'AAAA' }), []);
  t.same(checkBody(INIT_SCHEMA, { I: 'AC1234567890', A: 'AAAA', admin: true }).map((e) => `${e.field}:${e.code}`), ['admin:unknown_field']);
  t.same(checkBody(INIT_SCHEMA, {}).map((e) => `${e.field}:${e.code}`), ['I:missing', 'A:missing']);
  t.same(checkBody(ENVELOPE_SCHEMA, { seq: '1', ct: 'AAAAAAAAAAAAAAAAAAAAAAAA' }).map((e) => `${e.field}:${e.code}`), ['seq:wrong_type']);
  t.same(checkBody(ENVELOPE_SCHEMA, { seq: 1.5, ct: 'AAAAAAAAAAAAAAAAAAAAAAAA' }).map((e) => `${e.field}:${e.code}`), ['seq:wrong_type']);
  t.same(checkBody(ENVELOPE_SCHEMA, { seq: 0, ct: 'AAAAAAAAAAAAAAAAAAAAAAAA' }).map((e) => `${e.field}:${e.code}`), ['seq:out_of_range']);
  t.same(checkBody(ENVELOPE_SCHEMA, { seq: 1, ct: 'A'.repeat(8004) }).map((e) => `${e.field}:${e.code}`), ['ct:too_long']);
  t.same(checkBody(ENVELOPE_SCHEMA, { seq: 1, ct: 'not base64 at all!!!!!!!' }).map((e) => `${e.field}:${e.code}`), ['ct:bad_format']);
  t.same(checkBody(EMPTY_SCHEMA, []).map((e) => `${e.field}:${e.code}`), ['(body):wrong_type']);
  t.same(checkBody(EMPTY_SCHEMA, null).map((e) => `${e.field}:${e.code}`), ['(body):wrong_type']);
  t.same(checkBody(EMPTY_SCHEMA, JSON.parse('{"__proto__":{"x":1}}')).map((e) => `${e.field}:${e.code}`), ['__proto__:unknown_field']);
  t.same(checkBody(WIFI_CONFIG_SCHEMA, { ssid: 'QQ==', auth: 'WPA', password: 'x'.repeat(257) }).map((e) => `${e.field}:${e.code}`), ['password:too_long']);
  t.same(checkBody(WIFI_CONFIG_SCHEMA, { ssid: 'QQ==', auth: 'nopass', password: null, hidden: 'yes' }).map((e) => `${e.field}:${e.code}`), ['hidden:wrong_type']);
});

t.test('A6: a 33-byte SSID, a 7-character WPA password and auth "WEP" each get their own field error', async (t) => {
  t.same(codes(parseWifiConfig({ ssid: b64('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456'), auth: 'WPA', password: 'correct horse' })), ['ssid:ssid_too_long']);
  t.same(codes(parseWifiConfig({ ssid: b64('MyNetwork'), auth: 'WPA', password: '1234567' })), ['password:psk_too_short']);
  t.same(codes(parseWifiConfig({ ssid: b64('MyNetwork'), auth: 'WEP', password: '0123456789' })), ['auth:wep_unsupported']);
  t.same(codes(parseWifiConfig({ ssid: b64('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456'), auth: 'WPA', password: '1234567' })), ['ssid:ssid_too_long', 'password:psk_too_short'], 'all at once');
  t.same(codes(parseWifiConfig({ ssid: b64('Corp'), auth: 'WPA2-EAP' })), ['auth:eap_unsupported']);
  t.same(codes(parseWifiConfig({ ssid: b64('Corp'), auth: 'wpa', password: '12345678' })), ['auth:unknown_auth'], 'auth is case-sensitive, as §6.5 spells it');
});

t.test('SSIDs are raw bytes in base64, kept byte-exact (S2, S4, S5, S8, S14) and non-UTF-8 refused (S22)', async (t) => {
  const ok = (ssid: Buffer | string) => {
    const r = parseWifiConfig({ ssid: b64(ssid), auth: 'WPA', password: '12345678' });
    return r.ok ? r.value.ssid : codes(r);
  };
  t.equal(ok('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345'), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 'S2 32 bytes');
  t.equal(ok(Buffer.from('436166c3a920e29895', 'hex')), 'Café ☕', 'S4');
  t.equal(ok(Buffer.from('43616665cc81', 'hex')), 'Cafe\u0301', 'S5 NFD stays NFD');
  t.equal(ok('📷'.repeat(8)), '📷'.repeat(8), 'S8 32 bytes, 16 UTF-16 units');
  t.same(ok('📷'.repeat(8) + 'a'), ['ssid:ssid_too_long'], 'S9');
  t.equal(ok(' space '), ' space ', 'S14 never trimmed');
  t.same(ok(Buffer.from('436166e9', 'hex')), ['ssid:ssid_not_utf8'], 'S22 Caf\\xE9');
  t.same(ok(''), ['ssid:ssid_empty'], 'S20');
  t.same(ok('a\nb'), ['ssid:bad_character'], 'S21');
  t.same(codes(parseWifiConfig({ ssid: 'QUJD', auth: 'WPA', password: '12345678' })), [], 'canonical base64 ok');
  t.same(codes(parseWifiConfig({ ssid: 'QUJDRA', auth: 'WPA', password: '12345678' })), ['ssid:bad_base64'], 'unpadded base64 refused');
});

t.test('passwords follow the QR rules: raw PSK, SAE, open networks', async (t) => {
  const r = parseWifiConfig({ ssid: b64('Home'), auth: 'WPA', password: 'a'.repeat(64), hidden: true, bssid: 'AA:BB:CC:DD:EE:FF' });
  t.same(r.ok && r.value, { ssid: 'Home', ssidAlternates: [], auth: 'wpa', password: 'a'.repeat(64), rawPsk: true, hidden: true, transitionDisable: false });
  t.same(codes(parseWifiConfig({ ssid: b64('Home'), auth: 'WPA', password: 'z'.repeat(64) })), ['password:psk_too_long'], 'P5');
  const open = parseWifiConfig({ ssid: b64('Cafe'), auth: 'nopass', password: null });
  t.same(open.ok && { auth: open.value.auth, password: open.value.password }, { auth: 'open', password: null });
  t.same(codes(parseWifiConfig({ ssid: b64('Cafe'), auth: 'nopass', password: 'secret12' })), ['password:password_not_allowed']);
  t.same(codes(parseWifiConfig({ ssid: b64('Home'), auth: 'SAE' })), ['password:password_required']);
  t.same(codes(parseWifiConfig({ ssid: b64('Home'), auth: 'WPA', password: '\ud800abcdefgh' })), ['password:password_not_utf8']);
  const p13 = parseWifiConfig({ ssid: b64('Home'), auth: 'WPA', password: 'undefined' });
  t.equal(p13.ok && p13.value.password, 'undefined', 'P13 the word is data');
});

t.test('bind: token, region allow-list and time zone are checked like PRV1 B:, C:, Z:', async (t) => {
  const good = parseBind({ token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU', tz: 'Europe/Berlin' });
  t.same(good.ok && good.value, { token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU', timeZone: 'Europe/Berlin' });
  const noTz = parseBind({ token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'US', tz: null });
  t.same(noTz.ok && noTz.value, { token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'US' });
  t.same(codes(parseBind({ token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VD', region: 'XX', tz: '+01:00' })), ['token:bad_token', 'region:bad_region', 'tz:bad_timezone']);
  t.same(codes(parseBind({ token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDI', region: 'https://evil.example' })), ['token:bad_token', 'region:bad_region'], 'Q11/Q12');
  t.same(checkBody(BIND_SCHEMA, { token: 'x', region: 'EU', endpoint: 'https://evil.example' }).map((e) => e.field), ['endpoint']);
});

t.test('scan entries: SSID bytes in base64, text, approximate dBm, band from channel', async (t) => {
  t.same(scanEntry({ ssid: 'Café ☕', hidden: false, bssid: 'AA:BB:CC:DD:EE:01', signal: 80, channel: 6, security: ['WPA2', 'WPA3'] }), {
    ssid: Buffer.from('436166c3a920e29895', 'hex').toString('base64'),
    text: 'Café ☕',
    hidden: false,
    bssid: 'AA:BB:CC:DD:EE:01',
    signal: 80,
    rssi: -60,
    ch: 6,
    sec: 'WPA2 WPA3',
    band: '2.4',
  });
  t.same(scanEntry({ ssid: '', hidden: true, bssid: 'AA:BB:CC:DD:EE:02', signal: 30, channel: 36, security: [] }), {
    ssid: '', text: null, hidden: true, bssid: 'AA:BB:CC:DD:EE:02', signal: 30, rssi: -85, ch: 36, sec: 'open', band: '5',
  });
});
