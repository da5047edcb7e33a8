import t from 'tap';
import { luhn32CheckCharacter } from '../../../src/factory/check-character.js';
import { decodeLabelPayload, encodeLabelPayload, type LabelPayload } from '../../../src/factory/label-payload.js';
import { labelQr } from '../../../src/factory/label-qr.js';
import { labelLines } from '../../../src/factory/label-text.js';

const p: LabelPayload = { model: 'CAM100', serial: 'AC1234567890', code: '7KQ2M9XWV', passphrase: 'K7Q2M9XW4T8Z', fingerprint: 'ZK3Q9T2MX0AP4D7R' };
const text = 'HTTPS://Q.EXAMPLE.COM/D/CAM100#1*S:AC1234567890*C:7KQ2M9XWV*W:K7Q2M9XW4T8Z*F:ZK3Q9T2MX0AP4D7R';

t.test('check character of the provisioning.md example data (its "F" was illustrative; Luhn mod 32 gives V)', async (t) => {
  t.equal(luhn32CheckCharacter('7KQ2M9XW'), 'V');
});

t.test('encode produces the documented payload and decode round-trips it', async (t) => {
  t.equal(encodeLabelPayload(p), text);
  t.same(decodeLabelPayload(text), { ok: true, payload: p });
  t.same(decodeLabelPayload(text.replace('HTTPS://Q.EXAMPLE.COM', 'https://q.example.com')), { ok: true, payload: p });
});

t.test('the label host is an option', async (t) => {
  const other = encodeLabelPayload(p, { host: 'L.ACME.EU' });
  t.match(other, /^HTTPS:\/\/L\.ACME\.EU\/D\/CAM100#/);
  t.same(decodeLabelPayload(other, { host: 'L.ACME.EU' }), { ok: true, payload: p });
  t.match(decodeLabelPayload(other), { ok: false, code: 'wrong_host' });
});

t.test('every malformed payload has its own rejection code', async (t) => {
  const cases: [string, string][] = [
    ['HTTPS://Q.EXAMPLE.COM/D/CAM100', 'not_label_url'],
    ['WIFI:T:WPA;S:x;P:y;;#1', 'not_label_url'],
    ['HTTPS://Q.EXAMPLE.COM/X/CAM100#1*S:AC1234567890', 'not_label_url'],
    [text.replace('Q.EXAMPLE.COM', 'EVIL.EXAMPLE'), 'wrong_host'],
    [text.replace('/D/CAM100', '/D/cam100'), 'bad_model'],
    [text.replace('#1*', '#2*'), 'unsupported_version'],
    [text.replace('*W:', '*W='), 'malformed_field'],
    [`${text}*X:1`, 'unknown_field'],
    [`${text}*S:AC1234567890`, 'duplicate_field'],
    [text.replace('*F:ZK3Q9T2MX0AP4D7R', ''), 'missing_field'],
    [text.replace('S:AC1234567890', 'S:ac1234567890'), 'bad_serial'],
    [text.replace('C:7KQ2M9XWV', 'C:7KQ2M9XW'), 'bad_code'],
    [text.replace('C:7KQ2M9XWV', 'C:7KQ2M9XWG'), 'code_check_failed'],
    [text.replace('C:7KQ2M9XWV', 'C:7KQ2N9XWV'), 'code_check_failed'],
    [text.replace('W:K7Q2M9XW4T8Z', 'W:K7Q2M9XW4T8'), 'bad_passphrase'],
    [text.replace('W:K7Q2M9XW4T8Z', 'W:K7Q2M9XW4T8U'), 'bad_passphrase'],
    [text.replace('F:ZK3Q9T2MX0AP4D7R', 'F:ZK3Q9T2MX0AP4D7'), 'bad_fingerprint'],
  ];
  for (const [input, code] of cases) t.match(decodeLabelPayload(input), { ok: false, code }, code);
  const trivial = '00000000' + luhn32CheckCharacter('00000000');
  t.match(decodeLabelPayload(text.replace('C:7KQ2M9XWV', `C:${trivial}`)), { ok: false, code: 'bad_code' });
});

t.test('the example payload is a version-5 QR at ECC M', async (t) => {
  t.equal(labelQr(text).version, 5);
  t.equal(labelQr(text).size, 37);
});

t.test('human-readable lines follow provisioning.md §6.3', async (t) => {
  t.same(labelLines(p), {
    serial: 'S/N AC12-3456-7890',
    setupCode: 'Setup code 7KQ2-M9XW-V',
    wifi: 'Wi-Fi CAM100-7890 / key K7Q2-M9XW-4T8Z',
  });
});
