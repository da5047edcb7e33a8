import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import QRCode from 'qrcode';
import t from 'tap';
import { readQrTexts } from '../../../src/factory/qr-reader.js';
import { classifyQrText, encodePrv1, encodeWifiUri, type Prv1Input, type WifiUriInput } from '../../../src/provisioning/payload/index.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * Payload → qrcode PNG (ECC M, as the app shows it) → zxing-wasm, the
 * camera's decoder. qrcode writes UTF-8 in byte mode without an ECI
 * (provisioning.md §7.3 Q17), so the decoder has to guess the charset:
 * these cases check that a WIFI: code with non-ASCII text comes back
 * byte-exact, and that PRV1 (ASCII by design) is unaffected.
 */
const prv1Inputs: Prv1Input[] = [
  { ssid: 'MyHomeNetwork', auth: 'wpa', password: 'correct horse battery', token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU' },
  { ssid: 'Café ☕', auth: 'wpa', password: 'pässwörd', token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'US', timeZone: 'Europe/Berlin' },
  { ssid: '📷'.repeat(8), auth: 'sae', password: 'p;a:s\\s,"w%41', hidden: true },
];
const wifiInputs: WifiUriInput[] = [
  { ssid: 'Café ☕', auth: 'wpa', password: 'pässwörd' },
  { ssid: '家'.repeat(10), auth: 'sae', password: '密码密码', hidden: true },
  { ssid: 'واي فاي', auth: 'wpa', password: 'p;a:s\\s,"w%41' },
  { ssid: 'ABCD', auth: 'open' },
];

async function throughQr(dir: string, name: string, text: string): Promise<string[]> {
  const png = await QRCode.toBuffer(text, { errorCorrectionLevel: 'M', margin: 4, scale: 6 });
  const path = join(dir, `${name}.png`);
  await writeFile(path, png);
  return readQrTexts(path);
}

t.test('PRV1 and WIFI: payloads survive qrcode → PNG → zxing-wasm byte for byte', async (t) => {
  const dir = await tempDir(t, 'qr-round-trip-');
  const cases: [string, string, { ssid: string }][] = [];
  for (const [i, input] of prv1Inputs.entries()) {
    const r = encodePrv1(input);
    if (!r.ok) throw new Error(r.error.code);
    cases.push([`prv1-${i}`, r.value, input]);
  }
  for (const [i, input] of wifiInputs.entries()) {
    const r = encodeWifiUri(input);
    if (!r.ok) throw new Error(r.error.code);
    cases.push([`wifi-${i}`, r.value, input]);
  }
  for (const [name, text, input] of cases) {
    const decoded = await throughQr(dir, name, text);
    t.equal(decoded.length, 1, `${name}: one symbol`);
    t.equal(Buffer.from(decoded[0] ?? '', 'utf8').toString('hex'), Buffer.from(text, 'utf8').toString('hex'), `${name}: same bytes`);
    const result = classifyQrText(decoded[0] ?? '');
    t.match(result, { kind: 'provisioning', payload: { wifi: { ssid: input.ssid } } }, `${name}: parses to the input SSID`);
    t.same(result, classifyQrText(text), `${name}: the same payload as the text before the QR`);
  }
});
