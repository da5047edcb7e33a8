import t from 'tap';
import { encodeLabelPayload } from '../../../src/factory/label-payload.js';
import { classifyQrText, encodePrv1 } from '../../../src/provisioning/payload/index.js';
import { integer, seededRandom } from './random-text.js';

const TOKEN = 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA';
const PRV1 = 'PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:EU;X:13728406;;';
const LABEL = encodeLabelPayload({ model: 'CAM100', serial: 'AC1234567890', code: '7KQ2M9XWV', passphrase: 'K7Q2M9XW4T8Z', fingerprint: 'ZK3Q9T2MX0AP4D7R' });

t.test('PRV1 and WIFI: codes become provisioning payloads', async (t) => {
  t.match(classifyQrText(PRV1), { kind: 'provisioning', payload: { format: 'prv1', wifi: { ssid: 'MyHomeNetwork' }, binding: { token: TOKEN, region: 'EU' } } });
  t.match(classifyQrText('WIFI:S:Home;T:WPA;P:12345678;;'), { kind: 'provisioning', payload: { format: 'wifi', wifi: { ssid: 'Home', auth: 'wpa' }, binding: null } });
  t.match(classifyQrText('wifi:S:Home;T:WPA;P:12345678;;'), { kind: 'provisioning', payload: { format: 'wifi' } }, 'Q6: lower-case prefix');
  t.match(classifyQrText('\uFEFFWIFI:S:Home;;'), { kind: 'provisioning' }, 'a byte-order mark a decoder kept is dropped');
});

t.test('refused provisioning codes carry the parser code', async (t) => {
  t.same(classifyQrText('WIFI:T:WPA;S:trunc;P:abc'), { kind: 'rejected', code: 'truncated', message: 'the P: value runs to the end of the code' });
  t.match(classifyQrText('WIFI:T:WPA2-EAP;S:Corp;P:x;;'), { kind: 'rejected', code: 'eap_unsupported' });
  t.match(classifyQrText(PRV1.replace('X:13728406', 'X:00000000')), { kind: 'rejected', code: 'crc_mismatch' });
});

t.test('Q13: other versions, garbage, binary, URLs and vCards are refused or set aside quickly', async (t) => {
  t.match(classifyQrText('PRV3:T:WPA;S:x;P:12345678;X:00000000;;'), { kind: 'rejected', code: 'unsupported_version' });
  t.match(classifyQrText('PRV2:E:abc;N:def;D:7890;Q:ghi;X:00000000;;'), { kind: 'rejected', code: 'unsupported_version' });
  t.match(classifyQrText(`PRV1:${'A'.repeat(4096)}`), { kind: 'rejected', code: 'too_long' });
  t.match(classifyQrText(`WIFI:S:${'A'.repeat(4096)};;`), { kind: 'rejected', code: 'too_long' });
  const cases: [string, string][] = [
    ['', 'empty'],
    ['https://example.com/setup?ssid=Home&pw=x', 'url'],
    ['HTTP://EXAMPLE.COM', 'url'],
    ['BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nTEL:+49301234567\nEND:VCARD', 'vcard'],
    ['MECARD:N:Doe,Jane;TEL:+49301234567;;', 'mecard'],
    ['DPP:C:81/1;I:SN=4774LH2b4044;M:5254005828e5;K:MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgADURzxmttZoIRIPWGoQMV00XHWCAQIhXruVWOz0NjlkIA=;;', 'dpp'],
    ['mailto:someone@example.com', 'uri'],
    ['{"ssid":"Home","pw":"x"}', 'json'],
    ['Hello, world', 'text'],
    ['PRV1', 'text'],
    ['\u0000\u0001\u0002binary\u00ff', 'binary'],
    ['caf\uFFFD', 'binary'],
  ];
  for (const [text, what] of cases) t.same(classifyQrText(text), { kind: 'unrelated', what }, JSON.stringify(text.slice(0, 20)));

  const random = seededRandom(0x5eed0003);
  const started = process.hrtime.bigint();
  for (let i = 0; i < 200; i++) {
    // 4 KB of random code units: printable noise, control bytes, lone surrogates; sometimes behind a real prefix.
    let text = '';
    for (let j = 0; j < 4096; j++) text += String.fromCharCode(integer(random, 0, i % 2 ? 0x7f : 0xffff));
    if (i % 5 === 0) text = `WIFI:${text}`;
    if (i % 5 === 1) text = `PRV1:${text}`;
    const r = classifyQrText(text);
    if (r.kind === 'provisioning' || r.kind === 'own-label') t.fail(`garbage ${i} classified as ${r.kind}`);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.ok(ms < 1000, `200 × 4 KB of garbage classified in ${ms.toFixed(1)} ms`);
});

t.test('Q16: a Reolink-style Latin-1 XML payload is not our format', async (t) => {
  t.same(classifyQrText('<QR><S>Café</S><P>12345678</P><A>WPA2</A></QR>'), { kind: 'unrelated', what: 'xml' });
});

t.test('Q19: the camera label in the frame is recognised and never provisions', async (t) => {
  t.same(classifyQrText(LABEL), { kind: 'own-label' });
  t.same(classifyQrText(LABEL.replace('HTTPS://Q.EXAMPLE.COM', 'https://q.example.com')), { kind: 'own-label' }, 'scheme and host case');
  const otherHost = encodeLabelPayload({ model: 'CAM100', serial: 'AC1234567890', code: '7KQ2M9XWV', passphrase: 'K7Q2M9XW4T8Z', fingerprint: 'ZK3Q9T2MX0AP4D7R' }, { host: 'L.ACME.EU' });
  t.same(classifyQrText(otherHost), { kind: 'own-label' }, 'the station label host is not known on the device; the fragment decides');
  t.same(classifyQrText('HTTPS://Q.EXAMPLE.COM/D/CAM100'), { kind: 'unrelated', what: 'url' }, 'the landing URL alone is just a URL');
  // provisioning.md §6.3 prints C:7KQ2M9XWF, whose check character is wrong (docs/label.md): not a valid label.
  t.same(classifyQrText('HTTPS://Q.EXAMPLE.COM/D/CAM100#1*S:AC1234567890*C:7KQ2M9XWF*W:K7Q2M9XW4T8Z*F:ZK3Q9T2ML0AP4D7R'), { kind: 'unrelated', what: 'url' });
  // Two codes in one frame: whatever order the decoder returns them in, only the PRV1 provisions.
  const results = [LABEL, PRV1].map(classifyQrText);
  t.same(results.map((r) => r.kind), ['own-label', 'provisioning']);
});

t.test('rejections never carry the password or the token', async (t) => {
  const password = 'Hunter2-secret-pw';
  const texts = [
    `WIFI:T:WPA;S:n;P:${password}${'x'.repeat(60)};;`,
    `WIFI:T:WPA2-EAP;S:n;P:${password};;`,
    `WIFI:T:WPA;S:n;P:${password}`,
    `WIFI:T:WPA;S:n;P:${password}\u0000;;`,
    `WIFI:T:WPA;S:n;P:${password};;trailing`,
    PRV1.replace('X:13728406', 'X:00000000'),
    `PRV1:T:WPA;S:n;P:${password};B:${TOKEN};C:EU;X:bad;;`,
  ];
  const bound = encodePrv1({ ssid: 'n', auth: 'wpa', password, token: TOKEN, region: 'EU' });
  if (bound.ok) texts.push(bound.value.replace('C:EU', 'C:XX'));
  for (const text of texts) {
    const r = classifyQrText(text);
    t.equal(r.kind, 'rejected', text.slice(0, 30));
    t.notMatch(JSON.stringify(r), password);
    t.notMatch(JSON.stringify(r), TOKEN);
  }
});

t.test('classification never throws, even on text a parser would choke on', async (t) => {
  for (const text of ['WIFI:\\', 'WIFI:S:\uD800;;', 'PRV1:\uD800', 'WIFI:S:\\\uD83D;;', 'https://\u0000', 'PRV9999999999999999999:']) {
    t.doesNotThrow(() => classifyQrText(text), JSON.stringify(text));
  }
  t.match(classifyQrText('WIFI:S:\uD800;;'), { kind: 'rejected', code: 'ssid_not_utf8' });
});
