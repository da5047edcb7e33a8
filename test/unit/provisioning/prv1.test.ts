import t, { type Test } from 'tap';
import { crc32Hex } from '../../../src/provisioning/payload/crc32.js';
import { encodePrv1, parsePrv1, type Prv1Input } from '../../../src/provisioning/payload/index.js';
import type { PayloadResult, QrPayloadErrorCode } from '../../../src/provisioning/payload/payload-error.js';
import type { ProvisioningPayload, WifiAuth } from '../../../src/provisioning/provisioning-payload.js';
import { pick, randomPassword, randomSsid, seededRandom } from './random-text.js';

const TOKEN = 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA';

/** A PRV1 payload with the given fields and a correct CRC, so a test reaches the rule it is about. */
function prv1(fields: string): string {
  const body = `PRV1:${fields}`;
  return `${body}X:${crc32Hex(Buffer.from(body, 'utf8'))};;`;
}

function parsed(t: Test, text: string): ProvisioningPayload {
  const r = parsePrv1(text);
  if (!r.ok) t.fail(`expected ${JSON.stringify(text)} to parse, got ${r.error.code}: ${r.error.message}`);
  return (r as { ok: true; value: ProvisioningPayload }).value;
}

function encoded(t: Test, input: Prv1Input): string {
  const r = encodePrv1(input);
  if (!r.ok) t.fail(`expected to encode, got ${r.error.code}: ${r.error.message}`);
  return (r as { ok: true; value: string }).value;
}

function rejects(t: Test, result: PayloadResult<unknown>, code: QrPayloadErrorCode, name?: string): void {
  t.match(result, { ok: false, error: { code } }, name ?? code);
}

/** The payload for a WPA network with this SSID, through the encoder. */
function ssidPayload(t: Test, ssid: string): string {
  return encoded(t, { ssid, auth: 'wpa', password: '12345678' });
}

t.test('provisioning.md §6.2 examples parse and the encoder reproduces them byte for byte', async (t) => {
  const examples: [string, ProvisioningPayload][] = [
    [
      'PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:EU;X:13728406;;',
      {
        format: 'prv1',
        wifi: { ssid: 'MyHomeNetwork', ssidAlternates: [], auth: 'wpa', password: 'correct horse battery', rawPsk: false, hidden: false, transitionDisable: false },
        binding: { token: TOKEN, region: 'EU' },
        timeZone: null,
        warnings: [],
      },
    ],
    [
      'PRV1:T:WPA;S:Caf%C3%A9%20%E2%98%95;P:p%C3%A4ssw%C3%B6rd;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:US;Z:Europe%2FBerlin;X:C90A4EED;;',
      {
        format: 'prv1',
        wifi: { ssid: 'Café ☕', ssidAlternates: [], auth: 'wpa', password: 'pässwörd', rawPsk: false, hidden: false, transitionDisable: false },
        binding: { token: TOKEN, region: 'US' },
        timeZone: 'Europe/Berlin',
        warnings: [],
      },
    ],
    [
      'PRV1:T:nopass;S:Open%20Net;X:6FA259DF;;',
      {
        format: 'prv1',
        wifi: { ssid: 'Open Net', ssidAlternates: [], auth: 'open', password: null, rawPsk: false, hidden: false, transitionDisable: false },
        binding: null,
        timeZone: null,
        warnings: [],
      },
    ],
  ];
  for (const [text, payload] of examples) {
    t.same(parsePrv1(text), { ok: true, value: payload }, text);
    const { wifi, binding, timeZone } = payload;
    const again = encoded(t, { ssid: wifi.ssid, auth: wifi.auth, password: wifi.password, hidden: wifi.hidden, token: binding?.token, region: binding?.region, timeZone });
    t.equal(again, text, 'byte-exact re-encoding');
  }
});

t.test('SSIDs of §7.1 through PRV1', async (t) => {
  t.test('S1, S2: ordinary and 32-byte SSIDs are accepted', async (t) => {
    t.equal(parsed(t, ssidPayload(t, 'MyNetwork')).wifi.ssid, 'MyNetwork');
    const max = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
    t.equal(parsed(t, ssidPayload(t, max)).wifi.ssid, max);
  });

  t.test('S3, S7, S9: 33 bytes are refused whatever the character count', async (t) => {
    for (const ssid of ['ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456', '家'.repeat(11), '📷'.repeat(8) + 'a']) {
      rejects(t, encodePrv1({ ssid, auth: 'wpa', password: '12345678' }), 'ssid_too_long', `encode ${ssid}`);
      const s = Buffer.from(ssid).toString('hex').replace(/../g, (h) => `%${h.toUpperCase()}`);
      rejects(t, parsePrv1(prv1(`T:WPA;S:${s};P:12345678;`)), 'ssid_too_long', `parse ${ssid}`);
    }
  });

  t.test('S4: "Café ☕" is 9 bytes and round-trips byte-exact', async (t) => {
    const text = ssidPayload(t, 'Café ☕');
    t.match(text, /;S:Caf%C3%A9%20%E2%98%95;/);
    t.equal(Buffer.from(parsed(t, text).wifi.ssid, 'utf8').toString('hex'), '436166c3a920e29895');
  });

  t.test('S5: NFC and NFD spellings stay two different networks', async (t) => {
    const nfc = 'Caf\u00e9';
    const nfd = 'Cafe\u0301';
    const a = ssidPayload(t, nfc);
    const b = ssidPayload(t, nfd);
    t.match(a, /;S:Caf%C3%A9;/);
    t.match(b, /;S:Cafe%CC%81;/);
    t.equal(Buffer.from(parsed(t, a).wifi.ssid).toString('hex'), '436166c3a9');
    t.equal(Buffer.from(parsed(t, b).wifi.ssid).toString('hex'), '43616665cc81');
  });

  t.test('S6, S8, S10, S11: multi-byte SSIDs up to 32 bytes are accepted, counted in bytes', async (t) => {
    const cases: [string, number][] = [
      ['家'.repeat(10), 30],
      ['📷'.repeat(8), 32],
      ['👨\u200D👩\u200D👧', 18],
      ['واي فاي', 13],
    ];
    for (const [ssid, bytes] of cases) {
      t.equal(Buffer.byteLength(ssid), bytes);
      t.equal(parsed(t, ssidPayload(t, ssid)).wifi.ssid, ssid);
    }
    t.equal('📷'.repeat(8).length, 16, 'JS length is not what is validated');
  });

  t.test('S12: syntax characters are percent-encoded and parse back exactly', async (t) => {
    const cases: [string, string][] = [
      ['My;Net', 'My%3BNet'],
      ['a:b', 'a%3Ab'],
      ['a\\b', 'a%5Cb'],
      ['a,b', 'a%2Cb'],
      ['"quoted"', '%22quoted%22'],
    ];
    for (const [ssid, encodedSsid] of cases) {
      const text = ssidPayload(t, ssid);
      t.match(text, `;S:${encodedSsid};`);
      t.equal(parsed(t, text).wifi.ssid, ssid);
    }
  });

  t.test('S13: a hex-looking SSID is just text in PRV1, with no alternates', async (t) => {
    const p = parsed(t, ssidPayload(t, 'ABCD'));
    t.equal(p.wifi.ssid, 'ABCD');
    t.same(p.wifi.ssidAlternates, []);
  });

  t.test('S14: leading and trailing spaces are kept', async (t) => {
    const text = ssidPayload(t, ' space ');
    t.match(text, ';S:%20space%20;');
    t.equal(parsed(t, text).wifi.ssid, ' space ');
  });

  t.test('S15–S19: shell-looking and parser-hostile SSIDs are plain data', async (t) => {
    for (const ssid of ['-rf', '--help', '$(reboot)', '`id`', ';reboot;', 'a|b', 'abc\\', 'a&&b', 'My:Cafe']) {
      t.equal(parsed(t, ssidPayload(t, ssid)).wifi.ssid, ssid, ssid);
    }
  });

  t.test('S20: an empty or missing SSID is refused', async (t) => {
    rejects(t, parsePrv1(prv1('T:WPA;S:;P:12345678;')), 'ssid_empty', 'empty S:');
    rejects(t, parsePrv1(prv1('T:WPA;P:12345678;')), 'ssid_empty', 'no S:');
    rejects(t, encodePrv1({ ssid: '', auth: 'wpa', password: '12345678' }), 'ssid_empty', 'encode');
  });

  t.test('S21: newline, NUL and other control characters are refused', async (t) => {
    for (const s of ['a%0Ab', 'a%00b', '%09tab', 'del%7F', 'c1%C2%85']) {
      rejects(t, parsePrv1(prv1(`T:WPA;S:${s};P:12345678;`)), 'bad_character', s);
    }
    for (const ssid of ['a\nb', 'a\u0000b']) rejects(t, encodePrv1({ ssid, auth: 'wpa', password: '12345678' }), 'bad_character', JSON.stringify(ssid));
  });

  t.test('S22: non-UTF-8 SSID bytes are refused, not decoded as "Caf\uFFFD"', async (t) => {
    rejects(t, parsePrv1(prv1('T:WPA;S:Caf%E9;P:12345678;')), 'ssid_not_utf8');
    rejects(t, encodePrv1({ ssid: 'Caf\uD800', auth: 'wpa', password: '12345678' }), 'ssid_not_utf8', 'lone surrogate');
  });

  t.test('S23: H:1 marks a hidden network; anything but 0/1 is refused', async (t) => {
    const text = encoded(t, { ssid: 'Hidden', auth: 'wpa', password: '12345678', hidden: true });
    t.match(text, ';P:12345678;H:1;X:');
    t.equal(parsed(t, text).wifi.hidden, true);
    t.equal(parsed(t, prv1('T:WPA;S:Shown;P:12345678;H:0;')).wifi.hidden, false);
    rejects(t, parsePrv1(prv1('T:WPA;S:Hidden;P:12345678;H:true;')), 'bad_hidden');
  });

  t.test('S24: case variants stay distinct', async (t) => {
    t.equal(parsed(t, ssidPayload(t, 'MyWiFi')).wifi.ssid, 'MyWiFi');
    t.equal(parsed(t, ssidPayload(t, 'mywifi')).wifi.ssid, 'mywifi');
  });
});

t.test('passwords of §7.2 through PRV1', async (t) => {
  const pw = (auth: string, p: string) => parsePrv1(prv1(`T:${auth};S:Net;P:${p};`));

  t.test('P1, P2: 8 bytes is the WPA minimum', async (t) => {
    t.equal(parsed(t, prv1('T:WPA;S:Net;P:12345678;')).wifi.password, '12345678');
    rejects(t, pw('WPA', '1234567'), 'psk_too_short');
    rejects(t, encodePrv1({ ssid: 'Net', auth: 'wpa', password: '1234567' }), 'psk_too_short', 'encode');
  });

  t.test('P3: 63 printable ASCII characters are accepted', async (t) => {
    const p = Array.from({ length: 63 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const got = parsed(t, encoded(t, { ssid: 'Net', auth: 'wpa', password: p })).wifi;
    t.equal(got.password, p);
    t.equal(got.rawPsk, false);
  });

  t.test('P4: 64 hex characters are a raw PSK', async (t) => {
    for (const p of ['ab'.repeat(32), 'a'.repeat(64), 'ABCDEF0123456789'.repeat(4)]) {
      const got = parsed(t, prv1(`T:WPA;S:Net;P:${p};`)).wifi;
      t.equal(got.password, p);
      t.equal(got.rawPsk, true, p);
    }
  });

  t.test('P5: 64 non-hex characters and 65+ are refused for WPA', async (t) => {
    rejects(t, pw('WPA', 'z'.repeat(64)), 'psk_too_long');
    rejects(t, pw('WPA', 'a'.repeat(65)), 'psk_too_long', '65 hex');
  });

  t.test('P6: syntax characters and a literal %41 survive percent-encoding', async (t) => {
    const p = 'p;a:s\\s,"w%41';
    const text = encoded(t, { ssid: 'Net', auth: 'wpa', password: p });
    t.match(text, ';P:p%3Ba%3As%5Cs%2C%22w%2541;');
    t.equal(parsed(t, text).wifi.password, p);
  });

  t.test('P7: a UTF-8 password counts bytes', async (t) => {
    const text = encoded(t, { ssid: 'Net', auth: 'wpa', password: 'pässwörd' });
    t.equal(parsed(t, text).wifi.password, 'pässwörd');
    rejects(t, pw('WPA', 'p%C3%A4ss'), 'psk_too_short', '5 characters, 6 bytes');
    rejects(t, pw('WPA', 'p%C3%A4ssw%F6rd'), 'password_not_utf8', 'Latin-1 password bytes');
  });

  t.test('P8: a password with T:nopass is refused', async (t) => {
    rejects(t, pw('nopass', 'secret123'), 'password_not_allowed');
    rejects(t, parsePrv1(prv1('T:nopass;S:Net;P:;')), 'password_not_allowed', 'even empty');
    rejects(t, encodePrv1({ ssid: 'Net', auth: 'open', password: 'secret123' }), 'password_not_allowed', 'encode');
    t.equal(encoded(t, { ssid: 'Net', auth: 'open', password: '' }), encoded(t, { ssid: 'Net', auth: 'open' }), 'empty means none');
  });

  t.test('P9: WPA with an empty or missing password is refused', async (t) => {
    rejects(t, parsePrv1(prv1('T:WPA;S:Net;')), 'password_required', 'missing');
    rejects(t, parsePrv1(prv1('T:WPA;S:Net;P:;')), 'password_required', 'empty');
    rejects(t, encodePrv1({ ssid: 'Net', auth: 'wpa' }), 'password_required', 'encode');
    rejects(t, parsePrv1(prv1('T:SAE;S:Net;')), 'password_required', 'SAE');
  });

  t.test('P10: SAE with a 12-character password on a hidden network', async (t) => {
    const got = parsed(t, encoded(t, { ssid: 'WPA3 only', auth: 'sae', password: 'twelve-chars', hidden: true })).wifi;
    t.same(got, { ssid: 'WPA3 only', ssidAlternates: [], auth: 'sae', password: 'twelve-chars', rawPsk: false, hidden: true, transitionDisable: false });
  });

  t.test('SAE passwords are 1–128 bytes, and 64 hex digits are not a raw PSK there', async (t) => {
    t.equal(parsed(t, prv1('T:SAE;S:Net;P:x;')).wifi.password, 'x');
    t.equal(parsed(t, prv1(`T:SAE;S:Net;P:${'x'.repeat(128)};`)).wifi.password, 'x'.repeat(128));
    rejects(t, pw('SAE', 'x'.repeat(129)), 'psk_too_long');
    t.equal(parsed(t, prv1(`T:SAE;S:Net;P:${'a'.repeat(64)};`)).wifi.rawPsk, false);
  });

  t.test('P12–P14: spaces, "undefined" and shell text are kept as data', async (t) => {
    for (const p of [' pw with spaces ', 'undefined', '$(id)xyz', '`reboot`', "'; rm -rf /;'"]) {
      t.equal(parsed(t, encoded(t, { ssid: 'Net', auth: 'wpa', password: p })).wifi.password, p, p);
    }
  });

  t.test('P16: WEP is refused', async (t) => {
    rejects(t, parsePrv1(prv1('T:WEP;S:Net;P:0123456789;')), 'wep_unsupported');
  });

  t.test('control characters in a password are refused', async (t) => {
    rejects(t, pw('WPA', 'abc%0Adefgh'), 'bad_character');
    rejects(t, encodePrv1({ ssid: 'Net', auth: 'wpa', password: 'abc\u0000defgh' }), 'bad_character', 'encode');
  });
});

t.test('payload structure of §7.3 through PRV1', async (t) => {
  t.test('Q5: a repeated key is refused, whichever key', async (t) => {
    rejects(t, parsePrv1(prv1('T:WPA;S:a;S:b;P:12345678;')), 'duplicate_key', 'S twice');
    rejects(t, parsePrv1(prv1('T:WPA;S:a;P:12345678;T:WPA;')), 'duplicate_key', 'T twice');
    rejects(t, parsePrv1(prv1('T:WPA;S:a;P:12345678;QQ:1;QQ:2;')), 'duplicate_key', 'unknown key twice');
    const body = 'PRV1:T:WPA;S:a;P:12345678;X:00000000;';
    rejects(t, parsePrv1(`${body}X:${crc32Hex(Buffer.from(body))};;`), 'duplicate_key', 'X twice');
  });

  t.test('Q9: a wrong CRC, or any single changed character, is refused', async (t) => {
    const good = 'PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:EU;X:13728406;;';
    rejects(t, parsePrv1(good.replace('X:13728406', 'X:13728407')), 'crc_mismatch', 'CRC off by one');
    rejects(t, parsePrv1(good.replace('MyHome', 'MyHone')), 'crc_mismatch', 'SSID letter changed');
    rejects(t, parsePrv1(good.replace('C:EU', 'C:US')), 'crc_mismatch', 'region changed');
    rejects(t, parsePrv1(good.replace('X:13728406', 'X:1372840')), 'crc_mismatch', 'seven digits');
    const cafe = 'PRV1:T:WPA;S:Caf%C3%A9%20%E2%98%95;P:p%C3%A4ssw%C3%B6rd;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:US;Z:Europe%2FBerlin;X:C90A4EED;;';
    t.ok(parsePrv1(cafe.replace('X:C90A4EED', 'X:c90a4eed')).ok, 'the case of the CRC digits does not matter');
    // Every position, every other allowed character: nothing slips through.
    const alphabet = 'AZaz09-._~%;:';
    let tried = 0;
    for (let i = 0; i < good.length; i++) {
      for (const c of alphabet) {
        if (c === good[i]) continue;
        const mutated = good.slice(0, i) + c + good.slice(i + 1);
        tried++;
        if (parsePrv1(mutated).ok) t.fail(`accepted a change at offset ${i}: ${mutated}`);
      }
    }
    t.ok(tried > 1000, `${tried} single-character changes refused`);
    // Changes inside a value (the garbling a scan produces) report the CRC, not a field rule.
    for (const i of [20, 45, 80]) {
      const c = good[i] === 'A' ? 'B' : 'A';
      rejects(t, parsePrv1(good.slice(0, i) + c + good.slice(i + 1)), 'crc_mismatch', `offset ${i}`);
    }
  });

  t.test('X: must be present and last', async (t) => {
    rejects(t, parsePrv1('PRV1:T:nopass;S:Open%20Net;;'), 'crc_missing', 'no X');
    const body = 'PRV1:T:nopass;X:';
    rejects(t, parsePrv1(`${body}${crc32Hex(Buffer.from('PRV1:T:nopass;'))};S:Open%20Net;;`), 'crc_missing', 'X not last');
  });

  t.test('Q10: bad percent escapes, raw spaces and non-ASCII characters are refused', async (t) => {
    rejects(t, parsePrv1(prv1('T:WPA;S:a%2;P:12345678;')), 'bad_escape', '%2');
    rejects(t, parsePrv1(prv1('T:WPA;S:a%zz;P:12345678;')), 'bad_escape', '%zz');
    rejects(t, parsePrv1(prv1('T:WPA;S:a%;P:12345678;')), 'bad_escape', 'lone %');
    rejects(t, parsePrv1(prv1('T:WPA;S:a b;P:12345678;')), 'bad_character', 'raw space');
    rejects(t, parsePrv1(prv1('T:WPA;S:Café;P:12345678;')), 'bad_character', 'non-ASCII');
    rejects(t, parsePrv1(prv1('T:WPA;S:a\u0000;P:12345678;')), 'bad_character', 'NUL');
    rejects(t, parsePrv1(prv1('T:WPA;S:a/b;P:12345678;')), 'bad_character', 'reserved character not encoded');
    rejects(t, parsePrv1(prv1('T:WPA;S:a;P:12345678;QQ:a%G1;')), 'bad_escape', 'unknown fields follow the grammar too');
    t.equal(parsed(t, prv1('T:WPA;S:%4d%79;P:12345678;')).wifi.ssid, 'My', 'lower-case hex digits are equivalent (RFC 3986)');
  });

  t.test('Q11: a token of 25 or 27 characters, or with I L O U, is refused', async (t) => {
    for (const token of [TOKEN.slice(1), `${TOKEN}A`, `I${TOKEN.slice(1)}`, `L${TOKEN.slice(1)}`, `O${TOKEN.slice(1)}`, `U${TOKEN.slice(1)}`, TOKEN.toLowerCase(), '']) {
      rejects(t, parsePrv1(prv1(`T:WPA;S:a;P:12345678;B:${token};C:EU;`)), 'bad_token', token);
      rejects(t, encodePrv1({ ssid: 'a', auth: 'wpa', password: '12345678', token, region: 'EU' }), 'bad_token', `encode ${token}`);
    }
  });

  t.test('Q12: a region outside the allow-list, or a URL, is refused', async (t) => {
    for (const region of ['XX', 'eu', 'https%3A%2F%2Fevil.example', 'EUR', '']) {
      rejects(t, parsePrv1(prv1(`T:WPA;S:a;P:12345678;B:${TOKEN};C:${region};`)), 'bad_region', region);
    }
    rejects(t, encodePrv1({ ssid: 'a', auth: 'wpa', password: '12345678', token: TOKEN, region: 'XX' }), 'bad_region', 'encode');
  });

  t.test('a token needs its region; a region alone is ignored with a warning', async (t) => {
    rejects(t, parsePrv1(prv1(`T:WPA;S:a;P:12345678;B:${TOKEN};`)), 'region_missing');
    rejects(t, encodePrv1({ ssid: 'a', auth: 'wpa', password: '12345678', token: TOKEN }), 'region_missing', 'encode');
    const p = parsed(t, prv1('T:WPA;S:a;P:12345678;C:JP;'));
    t.equal(p.binding, null);
    t.same(p.warnings, ['PRV1 C: without B: ignored']);
  });

  t.test('Z: must be an IANA time zone', async (t) => {
    t.equal(parsed(t, prv1('T:nopass;S:a;Z:America%2FArgentina%2FBuenos_Aires;')).timeZone, 'America/Argentina/Buenos_Aires');
    t.equal(parsed(t, prv1('T:nopass;S:a;Z:UTC;')).timeZone, 'UTC');
    for (const zone of ['Mars%2FOlympus', '%2B01%3A00', 'UTC%2B1', '']) rejects(t, parsePrv1(prv1(`T:nopass;S:a;Z:${zone};`)), 'bad_timezone', zone);
    rejects(t, encodePrv1({ ssid: 'a', auth: 'open', timeZone: 'Europe/Atlantis' }), 'bad_timezone', 'encode');
  });

  t.test('Q13: other major versions are refused by version, not by content', async (t) => {
    rejects(t, parsePrv1('PRV3:T:WPA;S:a;P:12345678;X:00000000;;'), 'unsupported_version', 'PRV3');
    rejects(t, parsePrv1('PRV2:E:abc;N:def;D:7890;Q:ghi;X:00000000;;'), 'unsupported_version', 'PRV2 (sealed) is not built');
    rejects(t, parsePrv1('PRV10:x'), 'unsupported_version', 'PRV10');
    rejects(t, parsePrv1('prv1:T:WPA;S:a;P:12345678;X:00000000;;'), 'malformed', 'lower-case prefix is not ours');
  });

  t.test('the type, its absence and unknown types each have their code', async (t) => {
    rejects(t, parsePrv1(prv1('S:a;P:12345678;')), 'auth_missing', 'no T');
    rejects(t, parsePrv1(prv1('T:;S:a;P:12345678;')), 'auth_missing', 'empty T');
    rejects(t, parsePrv1(prv1('T:WPA2-EAP;S:a;P:12345678;')), 'eap_unsupported');
    rejects(t, parsePrv1(prv1('T:wpa;S:a;P:12345678;')), 'unknown_auth', 'PRV1 type names are case-sensitive');
    rejects(t, parsePrv1(prv1('T:WPA4;S:a;P:12345678;')), 'unknown_auth');
  });

  t.test('payloads over 512 bytes are refused before anything else', async (t) => {
    rejects(t, parsePrv1(prv1(`T:WPA;S:a;P:12345678;QQ:${'A'.repeat(480)};`)), 'too_long');
    rejects(t, parsePrv1(`PRV1:${'\u0000'.repeat(4096)}`), 'too_long', '4 KB of NULs');
    // provisioning.md §6.2 worst case: 8 emoji SSID, 63-character password, token, time zone.
    const worst = encoded(t, { ssid: '📷'.repeat(8), auth: 'wpa', password: '~'.repeat(63), token: TOKEN, region: 'EU', timeZone: 'America/Argentina/Buenos_Aires' });
    t.ok(worst.length <= 512, `worst WPA case is ${worst.length} bytes`);
    rejects(t, encodePrv1({ ssid: '📷'.repeat(8), auth: 'sae', password: '家'.repeat(42), token: TOKEN, region: 'EU' }), 'too_long', 'a 126-byte CJK SAE password does not fit');
  });

  t.test('truncated and malformed structure', async (t) => {
    const good = 'PRV1:T:nopass;S:Open%20Net;X:6FA259DF;;';
    for (let cut = 5; cut < good.length; cut++) {
      const r = parsePrv1(good.slice(0, cut));
      t.notOk(r.ok, `cut at ${cut}`);
    }
    rejects(t, parsePrv1(good.slice(0, -1)), 'truncated', 'one ";" missing');
    rejects(t, parsePrv1(good.slice(0, -2)), 'truncated', 'both missing');
    rejects(t, parsePrv1('PRV1:T:nopass;S:Open%20N'), 'truncated', 'cut inside a value');
    rejects(t, parsePrv1(`${good}x`), 'malformed', 'text after ";;"');
    rejects(t, parsePrv1('PRV1:;'), 'malformed', 'no fields');
    rejects(t, parsePrv1(prv1('T:nopass;S:a;junk;')), 'malformed', 'field without key');
    rejects(t, parsePrv1(prv1('T:nopass;S:a;ABC:1;')), 'malformed', 'three-letter key');
    rejects(t, parsePrv1(prv1('T:nopass;S:a;t:1;')), 'malformed', 'lower-case key');
  });

  t.test('unknown keys are ignored with a warning that names only the key', async (t) => {
    const p = parsed(t, prv1('T:nopass;S:a;V:2;QQ:secret;'));
    t.same(p.warnings, ['PRV1 field V: is not defined in version 1; ignored', 'PRV1 field QQ: is not defined in version 1; ignored']);
  });
});

t.test('rejection messages never carry the password or the token', async (t) => {
  const password = 'Hunter2-secret-pw';
  const cases = [
    parsePrv1(prv1(`T:WPA;S:a;P:${password};B:${TOKEN};C:XX;`)),
    parsePrv1(prv1(`T:WPA;S:a;P:${password};B:${TOKEN}Z;C:EU;`)),
    parsePrv1(prv1(`T:WPA;S:a;P:${password}${'x'.repeat(60)};`)),
    parsePrv1(prv1(`T:nopass;S:a;P:${password};`)),
    parsePrv1(prv1(`T:WPA;S:a;P:${password};B:${TOKEN};`)),
    encodePrv1({ ssid: 'a', auth: 'wpa', password: password + 'x'.repeat(60) }),
    encodePrv1({ ssid: 'a', auth: 'wpa', password, token: TOKEN, region: 'ZZ' }),
  ];
  for (const r of cases) {
    t.notOk(r.ok);
    if (r.ok) continue;
    t.notMatch(r.error.message, password);
    t.notMatch(r.error.message, TOKEN);
  }
});

t.test('round trip: 400 seeded random networks encode and parse back identically', async (t) => {
  const random = seededRandom(0x5eed0001);
  const auths: WifiAuth[] = ['wpa', 'sae', 'open'];
  const zones = [null, 'Europe/Berlin', 'Asia/Kolkata', 'America/Argentina/Buenos_Aires', 'UTC'];
  let roundTrips = 0;
  for (let i = 0; i < 400; i++) {
    const auth = pick(random, auths);
    const bind = random() < 0.5;
    const input = {
      ssid: randomSsid(random),
      auth,
      password: randomPassword(random, auth),
      hidden: random() < 0.3,
      token: bind ? TOKEN : null,
      region: bind ? pick(random, ['EU', 'US', 'CN', 'SG']) : null,
      timeZone: pick(random, zones),
    };
    const text = encodePrv1(input);
    if (!text.ok) {
      // Only the 512-byte bound may stop a valid input (long SAE passwords of multi-byte characters).
      if (text.error.code !== 'too_long') t.fail(`case ${i} ${JSON.stringify(input)}: ${text.error.code}`);
      continue;
    }
    const expected = {
      format: 'prv1',
      wifi: {
        ssid: input.ssid,
        ssidAlternates: [],
        auth,
        password: input.password,
        rawPsk: auth === 'wpa' && /^[0-9A-Fa-f]{64}$/.test(input.password ?? ''),
        hidden: input.hidden,
        transitionDisable: false,
      },
      binding: bind ? { token: TOKEN, region: input.region } : null,
      timeZone: input.timeZone,
      warnings: [],
    };
    const back = parsePrv1(text.value);
    if (!/^[\x21-\x7e]+$/.test(text.value) || !back.ok || JSON.stringify(back.value) !== JSON.stringify(expected)) {
      t.same(back, { ok: true, value: expected }, `case ${i}: ${text.value}`);
      continue;
    }
    roundTrips++;
  }
  t.ok(roundTrips >= 300, `${roundTrips} of 400 encoded (the rest exceed 512 bytes) and all of them round-trip`);
});
