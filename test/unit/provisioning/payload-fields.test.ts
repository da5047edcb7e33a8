import t from 'tap';
import { isBindingToken } from '../../../src/provisioning/payload/binding-token.js';
import { crc32, crc32Hex } from '../../../src/provisioning/payload/crc32.js';
import { checkPassword } from '../../../src/provisioning/payload/password.js';
import { percentDecode, percentEncode } from '../../../src/provisioning/payload/percent-encoding.js';
import { isRegion, REGIONS } from '../../../src/provisioning/payload/regions.js';
import { ssidFromBytes, ssidProblem } from '../../../src/provisioning/payload/ssid.js';
import { isTimeZone } from '../../../src/provisioning/payload/time-zone.js';
import { decodeUtf8, isWellFormedUnicode } from '../../../src/provisioning/payload/utf8.js';

t.test('CRC-32 matches zlib (values from Python zlib.crc32)', async (t) => {
  const vectors: [Uint8Array, number][] = [
    [Buffer.from(''), 0x00000000],
    [Buffer.from('a'), 0xe8b7be43],
    [Buffer.from('123456789'), 0xcbf43926],
    [Uint8Array.from({ length: 256 }, (_, i) => i), 0x29058c73],
    [Buffer.from('The quick brown fox jumps over the lazy dog'), 0x414fa339],
  ];
  for (const [bytes, expected] of vectors) t.equal(crc32(bytes), expected, `${bytes.length} bytes`);
  t.equal(crc32Hex(Buffer.from('')), '00000000', 'zero-padded');
  t.equal(crc32Hex(Buffer.from('PRV1:T:nopass;S:Open%20Net;')), '6FA259DF', 'upper-case, the §6.2 example');
});

t.test('percent-encoding keeps exactly the RFC 3986 unreserved set', async (t) => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const encoded = percentEncode(all);
  t.match(encoded, /^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+$/, 'upper-case hex only');
  t.equal(encoded.replace(/%[0-9A-F]{2}/g, ''), '-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~');
  t.same(percentDecode(encoded), { ok: true, value: all }, 'every byte round-trips');
  t.equal(percentEncode(Buffer.from('Europe/Berlin')), 'Europe%2FBerlin');
  t.equal(percentEncode(Buffer.from('100% ;:')), '100%25%20%3B%3A');
});

t.test('percent-decoding refuses bad escapes and unencoded characters', async (t) => {
  for (const text of ['%', '%4', '%G0', '%0g', 'a%2', '%%41']) t.match(percentDecode(text), { ok: false, error: { code: 'bad_escape' } }, text);
  for (const text of [' ', 'a b', '/', '+', 'é', '\u0000', ';', ':', '\u007f']) t.match(percentDecode(text), { ok: false, error: { code: 'bad_character' } }, JSON.stringify(text));
  t.same(percentDecode('%c3%a9'), { ok: true, value: Uint8Array.from([0xc3, 0xa9]) }, 'lower-case hex is equivalent');
  t.same(percentDecode(''), { ok: true, value: new Uint8Array() });
});

t.test('UTF-8 decoding is strict', async (t) => {
  t.equal(decodeUtf8(Buffer.from('436166c3a9', 'hex')), 'Café');
  t.equal(decodeUtf8(Buffer.from('436166e9', 'hex')), null, 'S22: Latin-1 é');
  t.equal(decodeUtf8(Buffer.from('eda080', 'hex')), null, 'encoded surrogate');
  t.equal(decodeUtf8(Buffer.from('c0af', 'hex')), null, 'overlong "/"');
  t.equal(decodeUtf8(Buffer.from('efbbbf41', 'hex')), '\uFEFFA', 'a BOM is kept as a character, never swallowed');
  t.equal(isWellFormedUnicode('📷'), true);
  t.equal(isWellFormedUnicode('\uD83D'), false);
  t.equal(isWellFormedUnicode('a\uDCF7b'), false);
});

t.test('SSID rules', async (t) => {
  t.equal(ssidProblem('x'), null);
  t.equal(ssidProblem(' '), null, 'a single space is a valid SSID');
  t.match(ssidProblem(''), { code: 'ssid_empty' });
  t.match(ssidProblem('a\u0085b'), { code: 'bad_character' }, 'C1 control NEL');
  t.equal(ssidProblem('a\u200Fb'), null, 'format characters such as RLM are allowed');
  t.same(ssidFromBytes(new Uint8Array()), { ok: false, error: { code: 'ssid_empty', message: 'the SSID is empty' } });
  t.same(ssidFromBytes(Buffer.from('f09f93b7', 'hex')), { ok: true, value: '📷' });
});

t.test('password rules per auth type', async (t) => {
  t.same(checkPassword('open', null), { ok: true, value: { password: null, rawPsk: false } });
  t.same(checkPassword('open', ''), { ok: true, value: { password: null, rawPsk: false } });
  t.match(checkPassword('sae', '家'.repeat(42) + 'ab'), { ok: true }, '128 bytes');
  t.match(checkPassword('sae', '家'.repeat(43)), { ok: false, error: { code: 'psk_too_long' } }, '129 bytes');
  t.match(checkPassword('wpa', 'é'.repeat(31) + 'a'), { ok: true }, '63 bytes');
  t.match(checkPassword('wpa', 'é'.repeat(32)), { ok: false, error: { code: 'psk_too_long' } }, '64 bytes, not hex');
  t.match(checkPassword('wpa', 'é'.repeat(4)), { ok: true }, '4 characters are 8 bytes');
  t.match(checkPassword('wpa', 'a'.repeat(63) + '\uD800'), { ok: false, error: { code: 'password_not_utf8' } });
  t.match(checkPassword('wpa', `${'ab'.repeat(31)}a `), { ok: false, error: { code: 'psk_too_long' } }, '64 characters with a space');
});

t.test('binding tokens, regions and time zones', async (t) => {
  t.equal(isBindingToken('K7Q2M9XW4T8ZR3HJ6N1BPC5VDA'), true);
  t.equal(isBindingToken('0123456789ABCDEFGHJKMNPQRS'), true);
  for (const bad of ['K7Q2M9XW4T8ZR3HJ6N1BPC5VD', 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDAA', 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDI', 'k7q2m9xw4t8zr3hj6n1bpc5vda', 'K7Q2M9XW4T8Z-3HJ6N1BPC5VDA']) {
    t.equal(isBindingToken(bad), false, bad);
  }
  t.same([...REGIONS], ['EU', 'US', 'CN', 'IN', 'JP', 'KR', 'AU', 'BR', 'SG']);
  t.equal(isRegion('EU'), true);
  for (const bad of ['eu', 'XX', 'EUR', '', 'https://evil.example']) t.equal(isRegion(bad), false, bad);
  for (const zone of ['Europe/Berlin', 'UTC', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) t.equal(isTimeZone(zone), true, zone);
  for (const zone of ['', 'Mars/Olympus', '+01:00', 'UTC+1', 'Europe/Berlin\u0000', '../../etc/passwd']) t.equal(isTimeZone(zone), false, JSON.stringify(zone));
});
