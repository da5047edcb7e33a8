import t, { type Test } from 'tap';
import { encodeWifiUri, parseWifiUri, type WifiUriInput } from '../../../src/provisioning/payload/index.js';
import type { PayloadResult, QrPayloadErrorCode } from '../../../src/provisioning/payload/payload-error.js';
import type { ProvisioningPayload, WifiAuth, WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { pick, randomPassword, randomSsid, seededRandom } from './random-text.js';

function parsed(t: Test, text: string): ProvisioningPayload {
  const r = parseWifiUri(text);
  if (!r.ok) t.fail(`expected ${JSON.stringify(text)} to parse, got ${r.error.code}: ${r.error.message}`);
  return (r as { ok: true; value: ProvisioningPayload }).value;
}

function wifi(t: Test, text: string): WifiCredentials {
  return parsed(t, text).wifi;
}

function encoded(t: Test, input: WifiUriInput): string {
  const r = encodeWifiUri(input);
  if (!r.ok) t.fail(`expected to encode, got ${r.error.code}: ${r.error.message}`);
  return (r as { ok: true; value: string }).value;
}

function rejects(t: Test, result: PayloadResult<unknown>, code: QrPayloadErrorCode, name?: string): void {
  t.match(result, { ok: false, error: { code } }, name ?? code);
}

const credentials = (partial: Partial<WifiCredentials>): WifiCredentials => ({
  ssid: '',
  ssidAlternates: [],
  auth: 'open',
  password: null,
  rawPsk: false,
  hidden: false,
  transitionDisable: false,
  ...partial,
});

t.test('ZXing WifiParsedResultTestCase vectors', async (t) => {
  t.equal(wifi(t, 'WIFI:S:Ten\\;\\;Chars;T:WPA;P:12345678;;').ssid, 'Ten;;Chars');
  t.equal(wifi(t, 'WIFI:S:Net;T:WPA;P:my_password\\\\;;').password, 'my_password\\');
  t.equal(wifi(t, 'WIFI:S:"foo\\;bar\\\\baz";;').ssid, '"foo;bar\\baz"', 'quotes around non-hex text are kept');
  // P15: ZXing's vector is `P:\"abcd\"`; six bytes fail WPA validation here, so it is checked as SAE.
  t.equal(wifi(t, 'WIFI:S:Net;T:SAE;P:\\"abcd\\";;').password, '"abcd"', 'P15');
  t.equal(wifi(t, 'WIFI:S:Net;T:WPA;P:\\"abcd1234\\";;').password, '"abcd1234"', 'P15 with a WPA-length password');
  t.same(parsed(t, 'WIFI:S:NoPassword;P:;T:;;'), {
    format: 'wifi',
    wifi: credentials({ ssid: 'NoPassword' }),
    binding: null,
    timeZone: null,
    warnings: [],
  });
});

t.test('payload structure of §7.3 through WIFI:', async (t) => {
  t.test('Q1: the structure is fine, but a 6-character WPA password fails validation', async (t) => {
    rejects(t, parseWifiUri('WIFI:T:WPA;S:mynetwork;P:mypass;;'), 'psk_too_short');
    t.same(wifi(t, 'WIFI:T:WPA;S:mynetwork;P:mypass12;;'), credentials({ ssid: 'mynetwork', auth: 'wpa', password: 'mypass12' }));
  });

  t.test('Q2: fields in any order', async (t) => {
    t.same(wifi(t, 'WIFI:P:x12345678;S:n;T:WPA;;'), credentials({ ssid: 'n', auth: 'wpa', password: 'x12345678' }));
  });

  t.test('Q3: empty P and T mean an open network', async (t) => {
    t.same(wifi(t, 'WIFI:S:NoPassword;P:;T:;;'), credentials({ ssid: 'NoPassword' }));
  });

  t.test('Q4: a code without its final ";;" is truncated', async (t) => {
    rejects(t, parseWifiUri('WIFI:T:WPA;S:trunc;P:abc'), 'truncated', 'cut in a value');
    rejects(t, parseWifiUri('WIFI:T:WPA;S:trunc;P:abcdefgh;'), 'truncated', 'one ";" missing');
    rejects(t, parseWifiUri('WIFI:T:WPA;S:trunc;P:abcdefgh\\;;'), 'truncated', 'the last ";" is escaped');
    rejects(t, parseWifiUri('WIFI:S:trunc;P:abcdefgh\\'), 'truncated', 'dangling backslash');
    rejects(t, parseWifiUri('WIFI:T:WPA;S'), 'truncated', 'cut in a key');
    rejects(t, parseWifiUri('WIFI:'), 'truncated', 'prefix only');
  });

  t.test('Q5: a repeated key keeps its first non-empty value (ZXing)', async (t) => {
    t.equal(wifi(t, 'WIFI:S:first;S:second;;').ssid, 'first');
    t.equal(wifi(t, 'WIFI:S:;S:second;;').ssid, 'second', 'empty values are discarded first');
    t.equal(wifi(t, 'WIFI:S:n;T:WPA;P:12345678;P:other123;;').password, '12345678');
  });

  t.test('Q6: a lower-case prefix is accepted, lower-case keys are not', async (t) => {
    t.same(wifi(t, 'wifi:T:WPA;S:Net;P:12345678;;'), credentials({ ssid: 'Net', auth: 'wpa', password: '12345678' }));
    t.same(wifi(t, 'Wifi:S:Net;;'), credentials({ ssid: 'Net' }));
    rejects(t, parseWifiUri('wifi:t:wpa;s:Net;p:12345678;;'), 'ssid_empty', 'keys are case-sensitive');
  });

  t.test('Q7: enterprise networks are refused with their own code', async (t) => {
    rejects(t, parseWifiUri('WIFI:T:WPA2-EAP;S:Corp;E:PEAP;PH2:MSCHAPV2;I:alice;P:secret;;'), 'eap_unsupported');
    rejects(t, parseWifiUri('WIFI:T:wpa2-eap;S:Corp;P:secret;;'), 'eap_unsupported', 'any case');
  });

  t.test('Q8: K: and I: are ignored with a warning', async (t) => {
    const p = parsed(t, 'WIFI:T:SAE;S:Pk;I:user-id;P:pw;K:MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADURzxmttZoIRIPWGoQMV00XHWCAQIhXruVWOz0NjlkIA=;;');
    t.same(p.wifi, credentials({ ssid: 'Pk', auth: 'sae', password: 'pw' }));
    t.same(p.warnings, ['WIFI: K: (SAE-PK public key) ignored: SAE-PK is not supported in v1', 'WIFI: I: (SAE password identifier) ignored: not supported in v1']);
  });

  t.test('fields are read left to right: a vendor key cannot shadow S:, T: or P:', async (t) => {
    // ZXing's indexOf("S:") would find the "S:" inside "XS:" and join "evil".
    t.same(wifi(t, 'WIFI:XS:evil;S:good;XT:nopass;T:WPA;XP:x;P:12345678;;'), credentials({ ssid: 'good', auth: 'wpa', password: '12345678' }));
    t.equal(wifi(t, 'WIFI:S:a:b;;').ssid, 'a:b', 'an unescaped ":" in a value stays in the value');
  });

  t.test('no percent-decoding: %41 is three characters', async (t) => {
    t.equal(wifi(t, 'WIFI:S:100%25;T:WPA;P:%41%41%41%41%41;;').password, '%41%41%41%41%41');
    t.equal(wifi(t, 'WIFI:S:100%25;;').ssid, '100%25');
  });

  t.test('trailing whitespace after ";;" is tolerated, other text is not', async (t) => {
    t.equal(wifi(t, 'WIFI:S:Net;;\r\n').ssid, 'Net');
    rejects(t, parseWifiUri('WIFI:S:Net;;extra'), 'malformed');
    rejects(t, parseWifiUri('WIFI:garbage;S:Net;;'), 'malformed', 'a field without "key:"');
    rejects(t, parseWifiUri('WIFI:S x:Net;;'), 'malformed', 'a key with a space');
    rejects(t, parseWifiUri('WiFi-Network:S:Net;;'), 'malformed', 'not the prefix');
  });

  t.test('over 1024 bytes is refused before tokenising', async (t) => {
    rejects(t, parseWifiUri(`WIFI:S:${'a'.repeat(4096)};;`), 'too_long');
    rejects(t, parseWifiUri(`WIFI:S:${'家'.repeat(400)};;`), 'too_long', 'bytes, not characters');
  });
});

t.test('network types', async (t) => {
  const cases: [string, WifiAuth][] = [
    ['WPA', 'wpa'],
    ['wpa', 'wpa'],
    ['WPA2', 'wpa'],
    ['Wpa2', 'wpa'],
    ['WPA3', 'sae'],
    ['SAE', 'sae'],
    ['sae', 'sae'],
  ];
  for (const [type, auth] of cases) t.equal(wifi(t, `WIFI:T:${type};S:Net;P:12345678;;`).auth, auth, type);
  for (const text of ['WIFI:T:nopass;S:Net;;', 'WIFI:T:NOPASS;S:Net;;', 'WIFI:T:;S:Net;;', 'WIFI:S:Net;;']) t.equal(wifi(t, text).auth, 'open', text);
  rejects(t, parseWifiUri('WIFI:T:WEP;S:Net;P:0123456789;;'), 'wep_unsupported', 'P16');
  rejects(t, parseWifiUri('WIFI:T:wep;S:Net;P:0123456789;;'), 'wep_unsupported', 'P16 any case');
  rejects(t, parseWifiUri('WIFI:T:WPA4;S:Net;P:12345678;;'), 'unknown_auth');
});

t.test('hidden flag and transition disable', async (t) => {
  for (const h of ['true', 'TRUE', 'True']) t.equal(wifi(t, `WIFI:S:Net;H:${h};;`).hidden, true, `S23 H:${h}`);
  t.equal(wifi(t, 'WIFI:S:Net;H:false;;').hidden, false);
  const legacy = parsed(t, 'WIFI:S:Net;H:1;;');
  t.equal(legacy.wifi.hidden, false, 'H:1 is a legacy phase-2 value to ZXing, not "hidden"');
  t.same(legacy.warnings, ['WIFI: H: is neither true nor false; ignored']);

  t.test('P11: R:1 disables the WPA2 fallback; the type stays WPA', async (t) => {
    t.same(wifi(t, 'WIFI:T:WPA;R:1;S:Net;P:12345678;;'), credentials({ ssid: 'Net', auth: 'wpa', password: '12345678', transitionDisable: true }));
    t.equal(wifi(t, 'WIFI:T:WPA;R:0;S:Net;P:12345678;;').transitionDisable, false);
    t.equal(wifi(t, 'WIFI:T:WPA;R:3;S:Net;P:12345678;;').transitionDisable, true, 'bit 0 of the bitmap');
    t.equal(wifi(t, 'WIFI:R:1;S:Net;;').transitionDisable, false, 'meaningless on an open network');
    const bad = parsed(t, 'WIFI:T:WPA;R:yes;S:Net;P:12345678;;');
    t.equal(bad.wifi.transitionDisable, false);
    t.same(bad.warnings, ['WIFI: R: is not a hex bitmap; ignored']);
  });
});

t.test('SSIDs of §7.1 through WIFI:', async (t) => {
  t.test('S1–S11: lengths are counted in UTF-8 bytes', async (t) => {
    for (const ssid of ['MyNetwork', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 'Café ☕', '家'.repeat(10), '📷'.repeat(8), '👨\u200D👩\u200D👧', 'واي فاي']) {
      t.equal(wifi(t, `WIFI:S:${ssid};;`).ssid, ssid, ssid);
    }
    for (const ssid of ['ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456', '家'.repeat(11), '📷'.repeat(8) + 'a']) {
      rejects(t, parseWifiUri(`WIFI:S:${ssid};;`), 'ssid_too_long', ssid);
      rejects(t, encodeWifiUri({ ssid, auth: 'open' }), 'ssid_too_long', `encode ${ssid}`);
    }
    t.equal(Buffer.from(wifi(t, 'WIFI:S:Café ☕;;').ssid).toString('hex'), '436166c3a920e29895', 'S4 byte-exact');
  });

  t.test('S5: NFC and NFD stay distinct', async (t) => {
    t.equal(Buffer.from(wifi(t, 'WIFI:S:Caf\u00e9;;').ssid).toString('hex'), '436166c3a9');
    t.equal(Buffer.from(wifi(t, 'WIFI:S:Cafe\u0301;;').ssid).toString('hex'), '43616665cc81');
  });

  t.test('S12: the encoder escapes \\ ; , " : and the parser reads them back', async (t) => {
    const cases: [string, string][] = [
      ['My;Net', 'My\\;Net'],
      ['a:b', 'a\\:b'],
      ['a\\b', 'a\\\\b'],
      ['a,b', 'a\\,b'],
      ['"quoted"', '\\"quoted\\"'],
    ];
    for (const [ssid, escaped] of cases) {
      const text = encoded(t, { ssid, auth: 'open' });
      t.equal(text, `WIFI:S:${escaped};;`);
      t.equal(wifi(t, text).ssid, ssid);
    }
  });

  t.test('S13: hex-looking SSIDs', async (t) => {
    t.equal(encoded(t, { ssid: 'ABCD', auth: 'open' }), 'WIFI:S:"ABCD";;', 'the encoder quotes them like ZXing');
    t.same(wifi(t, 'WIFI:S:"ABCD";;'), credentials({ ssid: 'ABCD' }), 'quoted: quotes stripped, no alternates');
    t.same(wifi(t, 'WIFI:S:ABCD;;'), credentials({ ssid: 'ABCD' }), 'unquoted, but AB CD is not UTF-8: no alternate');
    t.same(wifi(t, 'WIFI:S:4D794E6574;;'), credentials({ ssid: '4D794E6574', ssidAlternates: ['MyNet'] }), 'unquoted, valid UTF-8: literal first, then the bytes');
    t.same(wifi(t, 'WIFI:S:e5aeb6;;').ssidAlternates, ['家'], 'lower-case hex');
    t.same(wifi(t, 'WIFI:S:ABC;;').ssidAlternates, [], 'odd length is only text');
    t.same(wifi(t, 'WIFI:S:0A0B;;').ssidAlternates, [], 'bytes that are control characters are no SSID');
    const hex64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345').toString('hex');
    t.same(wifi(t, `WIFI:S:${hex64};;`), credentials({ ssid: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345' }), '64 hex digits are too long as text, so the bytes are the SSID');
    t.same(wifi(t, 'WIFI:S:\\"ABCD\\";;'), credentials({ ssid: '"ABCD"' }), 'escaped quotes are part of the name');
    t.same(wifi(t, 'WIFI:S:"ABCD;;'), credentials({ ssid: '"ABCD' }), 'an unbalanced quote is text');
    t.same(wifi(t, 'WIFI:S:"";;'), credentials({ ssid: '""' }), 'two quotes are text');
  });

  t.test('S14: spaces are never trimmed', async (t) => {
    t.equal(wifi(t, 'WIFI:S: space ;T:WPA;P: pw with spaces ;;').ssid, ' space ');
    t.equal(wifi(t, 'WIFI:S: space ;T:WPA;P: pw with spaces ;;').password, ' pw with spaces ', 'P12');
  });

  t.test('S15–S19: shell-looking and parser-hostile SSIDs are plain data', async (t) => {
    for (const ssid of ['-rf', '--help', '$(reboot)', '`id`', ';reboot;', 'a|b', 'abc\\', 'a&&b', 'My:Cafe']) {
      const text = encoded(t, { ssid, auth: 'wpa', password: '12345678' });
      t.equal(wifi(t, text).ssid, ssid, text);
    }
  });

  t.test('S20, S21: empty SSIDs and control characters are refused', async (t) => {
    rejects(t, parseWifiUri('WIFI:S:;T:WPA;P:12345678;;'), 'ssid_empty', 'empty');
    rejects(t, parseWifiUri('WIFI:T:WPA;P:12345678;;'), 'ssid_empty', 'missing');
    rejects(t, parseWifiUri('WIFI:S:a\nb;;'), 'bad_character', 'newline');
    rejects(t, parseWifiUri('WIFI:S:a\u0000b;;'), 'bad_character', 'NUL');
    rejects(t, parseWifiUri('WIFI:S:a\\\u0000b;;'), 'bad_character', 'escaped NUL');
    rejects(t, encodeWifiUri({ ssid: 'a\nb', auth: 'open' }), 'bad_character', 'encode, as ZXing refuses \\n');
  });
});

t.test('passwords of §7.2 through WIFI:', async (t) => {
  t.test('P1–P5: WPA lengths and raw PSKs', async (t) => {
    t.equal(wifi(t, 'WIFI:T:WPA;S:n;P:12345678;;').password, '12345678');
    rejects(t, parseWifiUri('WIFI:T:WPA;S:n;P:1234567;;'), 'psk_too_short');
    const p63 = Array.from({ length: 63 }, (_, i) => String.fromCharCode(0x41 + (i % 26))).join('');
    t.equal(wifi(t, `WIFI:T:WPA;S:n;P:${p63};;`).password, p63);
    t.same(wifi(t, `WIFI:T:WPA;S:n;P:${'a'.repeat(64)};;`), credentials({ ssid: 'n', auth: 'wpa', password: 'a'.repeat(64), rawPsk: true }));
    rejects(t, parseWifiUri(`WIFI:T:WPA;S:n;P:${'z'.repeat(64)};;`), 'psk_too_long');
  });

  t.test('P6: escaped syntax characters and a literal %41', async (t) => {
    const p = 'p;a:s\\s,"w%41';
    const text = encoded(t, { ssid: 'Net', auth: 'wpa', password: p });
    t.equal(text, 'WIFI:S:Net;T:WPA;P:p\\;a\\:s\\\\s\\,\\"w%41;;');
    t.equal(wifi(t, text).password, p);
  });

  t.test('P7: a UTF-8 password', async (t) => {
    t.equal(wifi(t, 'WIFI:T:WPA;S:n;P:pässwörd;;').password, 'pässwörd');
  });

  t.test('P8: a password on an open network is ignored with a warning', async (t) => {
    for (const text of ['WIFI:T:nopass;S:Open;P:leftover;;', 'WIFI:S:Open;P:leftover;;']) {
      const p = parsed(t, text);
      t.same(p.wifi, credentials({ ssid: 'Open' }), text);
      t.same(p.warnings, ['WIFI: P: ignored on an open network']);
      t.notMatch(JSON.stringify(p), 'leftover', 'the ignored password is not kept anywhere');
    }
    rejects(t, encodeWifiUri({ ssid: 'Open', auth: 'open', password: 'leftover' }), 'password_not_allowed', 'the encoder refuses it');
  });

  t.test('P9: WPA with an empty or missing password is refused', async (t) => {
    rejects(t, parseWifiUri('WIFI:T:WPA;S:n;;'), 'password_required', 'missing');
    rejects(t, parseWifiUri('WIFI:T:WPA;S:n;P:;;'), 'password_required', 'empty');
    rejects(t, parseWifiUri('WIFI:T:SAE;S:n;;'), 'password_required', 'SAE');
  });

  t.test('P10: SAE, 12 characters, hidden', async (t) => {
    const text = encoded(t, { ssid: 'WPA3 only', auth: 'sae', password: 'twelve-chars', hidden: true });
    t.equal(text, 'WIFI:S:WPA3 only;T:SAE;P:twelve-chars;H:true;;');
    t.same(wifi(t, text), credentials({ ssid: 'WPA3 only', auth: 'sae', password: 'twelve-chars', hidden: true }));
  });

  t.test('P13, P14: "undefined" and shell text are data', async (t) => {
    for (const p of ['undefined', '$(id)xyz', '`reboot`', "'; rm -rf /;'"]) {
      t.equal(wifi(t, encoded(t, { ssid: 'n', auth: 'wpa', password: p })).password, p, p);
    }
  });

  t.test('control characters in a password are refused', async (t) => {
    rejects(t, parseWifiUri('WIFI:T:WPA;S:n;P:abc\ndefgh;;'), 'bad_character');
  });
});

t.test('the encoder writes ZXing generator order and omits T for open networks', async (t) => {
  t.equal(encoded(t, { ssid: 'Open Net', auth: 'open' }), 'WIFI:S:Open Net;;');
  t.equal(encoded(t, { ssid: 'Home', auth: 'wpa', password: '12345678' }), 'WIFI:S:Home;T:WPA;P:12345678;;');
  t.equal(encoded(t, { ssid: 'Home', auth: 'wpa', password: '12345678', transitionDisable: true, hidden: true }), 'WIFI:S:Home;T:WPA;R:1;P:12345678;H:true;;');
  t.equal(encoded(t, { ssid: 'Open', auth: 'open', transitionDisable: true }), 'WIFI:S:Open;;', 'no R on an open network');
  rejects(t, encodeWifiUri({ ssid: 'Home', auth: 'wpa', password: 'short' }), 'psk_too_short');
  rejects(t, encodeWifiUri({ ssid: '', auth: 'open' }), 'ssid_empty');
});

t.test('round trip: 400 seeded random networks encode and parse back identically', async (t) => {
  const random = seededRandom(0x5eed0002);
  const auths: WifiAuth[] = ['wpa', 'sae', 'open'];
  let roundTrips = 0;
  for (let i = 0; i < 400; i++) {
    const auth = pick(random, auths);
    const input = { ssid: randomSsid(random), auth, password: randomPassword(random, auth), hidden: random() < 0.3, transitionDisable: random() < 0.2 };
    const text = encodeWifiUri(input);
    if (!text.ok) {
      t.fail(`case ${i} ${JSON.stringify(input)}: ${text.error.code}`);
      continue;
    }
    const expected = {
      format: 'wifi',
      wifi: {
        ssid: input.ssid,
        ssidAlternates: [],
        auth,
        password: input.password,
        rawPsk: auth === 'wpa' && /^[0-9A-Fa-f]{64}$/.test(input.password ?? ''),
        hidden: input.hidden,
        transitionDisable: auth !== 'open' && input.transitionDisable,
      },
      binding: null,
      timeZone: null,
      warnings: [],
    };
    const back = parseWifiUri(text.value);
    if (!back.ok || JSON.stringify(back.value) !== JSON.stringify(expected)) {
      t.same(back, { ok: true, value: expected }, `case ${i}: ${text.value}`);
      continue;
    }
    roundTrips++;
  }
  t.equal(roundTrips, 400, 'every case round-trips');
});
