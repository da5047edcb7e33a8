import fc from 'fast-check';
import t from 'tap';
import { decodeLabelPayload, encodeLabelPayload, type LabelPayload } from '../../../src/factory/label-payload.js';
import { buildCredentials } from '../../../src/provisioning/payload/credentials.js';
import { classifyQrText, encodePrv1, encodeWifiUri, parsePrv1, parseWifiUri, type PayloadResult, type ProvisioningPayload } from '../../../src/provisioning/payload/index.js';
import { crc32Hex } from '../../../src/provisioning/payload/crc32.js';
import { percentEncode } from '../../../src/provisioning/payload/percent-encoding.js';
import { isWellFormedUnicode } from '../../../src/provisioning/payload/utf8.js';
import { isTimeZone } from '../../../src/provisioning/payload/time-zone.js';
import { ACCEPTED, expect, fuzzTarget, rejected, type Outcome } from '../lib/fuzz-harness.js';
import { corpusString, hostileString, mutatedString, NAME_TRAPS, PSK_TRAPS, spliced, TEXT_TRAPS } from '../lib/fuzz-corpus.js';
import { LABEL_CODES, QR_CODES } from '../lib/fuzz-codes.js';
import { validCredentials, validLabel, validRegion, validTimeZone, validToken, type ValidCredentials } from '../lib/fuzz-valid.js';

/**
 * Fuzzing the QR payload parsers a camera runs on every decoded frame
 * (src/provisioning/payload/: PRV1, foreign WIFI: codes, the classifier in
 * front of them, and the factory label they must tell apart) and the field
 * rules shared with AP mode (SSID, password, binding token, region, time
 * zone). Pure functions: each returns a result, never throws, and every
 * refusal names a code of QrPayloadErrorCode / LabelPayloadErrorCode.
 */
const SHORT = 500;

type Tagged<V> = { text: string; valid?: V };

function outcomeOf(r: PayloadResult<unknown>): Outcome {
  return r.ok ? ACCEPTED : rejected(r.error.code);
}

/** The credentials the parser returned are the ones encoded: byte-exact SSID and password, same auth and hidden flag. */
function sameCredentials(payload: ProvisioningPayload, input: ValidCredentials): void {
  expect(payload.wifi.ssid === input.ssid, `SSID changed: ${JSON.stringify(input.ssid)} → ${JSON.stringify(payload.wifi.ssid)}`);
  expect(payload.wifi.auth === input.auth, `auth changed: ${input.auth} → ${payload.wifi.auth}`);
  expect(payload.wifi.password === input.password, 'password changed');
  expect(payload.wifi.hidden === input.hidden, 'hidden flag changed');
}

interface Prv1Valid extends ValidCredentials {
  token: string | null;
  region: string | null;
  timeZone: string | null;
}

const validPrv1 = (): fc.Arbitrary<{ text: string; valid: Prv1Valid }> =>
  fc
    .tuple(validCredentials(), fc.option(fc.tuple(validToken(), validRegion())), fc.option(validTimeZone()))
    .map(([c, binding, timeZone]) => {
      const valid: Prv1Valid = { ...c, token: binding?.[0] ?? null, region: binding?.[1] ?? null, timeZone };
      const r = encodePrv1(valid);
      return r.ok ? { text: r.value, valid } : null;
    })
    // The one refusal of a valid input: the whole payload over 512 bytes (long SAE password, all escaped).
    .filter((x): x is { text: string; valid: Prv1Valid } => x !== null);

const validWifi = (): fc.Arbitrary<{ text: string; valid: ValidCredentials }> =>
  validCredentials().map((valid) => {
    const r = encodeWifiUri(valid);
    if (!r.ok) throw new Error(`encodeWifiUri refused a valid input: ${r.error.code}`);
    return { text: r.value, valid };
  });

/** (1) valid, (1') valid with one edit or a corpus fragment spliced in, (2) corpus after the prefix, (3) anything. */
function qrTexts<V>(valid: fc.Arbitrary<{ text: string; valid: V }>, prefix: string): fc.Arbitrary<Tagged<V>> {
  const text = valid.map((v) => v.text);
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 3, arbitrary: mutatedString(text).map((s) => ({ text: s })) },
    { weight: 2, arbitrary: spliced(text).map((s) => ({ text: s })) },
    { weight: 2, arbitrary: fc.tuple(hostileString(), fc.constantFrom(';', ';;', '')).map(([s, end]) => ({ text: `${prefix}${s}${end}` })) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom('T', 'S', 'P', 'H', 'B', 'C', 'Z', 'X', 'R', 'K', 'I', 't', 's', 'XS', ''), fc.oneof(corpusString(), fc.string({ maxLength: 12 }))), { maxLength: 6 })
        .map((fields) => ({ text: `${prefix}${fields.map(([k, v]) => `${k}:${v};`).join('')};` })),
    },
    { weight: 1, arbitrary: hostileString(200).map((s) => ({ text: s })) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 400, maxLength: 1400 }).map((s) => ({ text: prefix + s })) },
  );
}

/**
 * PRV1 with a correct CRC around mutated fields: gets past the grammar and
 * CRC checks to the field rules (a garbled scan stops at crc_mismatch).
 */
const prv1WithGoodCrc = (): fc.Arbitrary<Tagged<Prv1Valid>> =>
  fc
    .tuple(
      validPrv1(),
      fc.array(
        fc.tuple(fc.constantFrom('T', 'S', 'P', 'H', 'B', 'C', 'Z', 'Q', 'AB'), hostileString(40), fc.boolean()),
        { minLength: 1, maxLength: 3 },
      ),
      fc.boolean(),
    )
    .map(([{ text }, edits, keepOthers]) => {
      const fields = new Map<string, string>();
      if (keepOthers) {
        for (const part of text.slice('PRV1:'.length, text.indexOf('X:')).split(';')) if (part) fields.set(part.slice(0, part.indexOf(':')), part.slice(part.indexOf(':') + 1));
      }
      const extra: string[] = [];
      for (const [key, value, encode] of edits) {
        const raw = encode ? percentEncode(Buffer.from(value, 'utf8')) : value;
        if (fields.has(key) && encode) fields.set(key, raw);
        else extra.push(`${key}:${raw};`);
      }
      const body = `PRV1:${[...fields].map(([k, v]) => `${k}:${v};`).join('')}${extra.join('')}`;
      return { text: `${body}X:${crc32Hex(Buffer.from(body, 'utf8'))};;` };
    });

t.test('PRV1 payloads: no throw, every refusal coded, valid codes round-trip', async (t) => {
  await fuzzTarget(
    t,
    'prv1',
    fc.oneof({ weight: 3, arbitrary: qrTexts(validPrv1(), 'PRV1:') }, { weight: 2, arbitrary: prv1WithGoodCrc() }),
    ({ text, valid }) => {
      const r = parsePrv1(text);
      if (valid) {
        expect(r.ok, `a valid PRV1 payload was refused: ${r.ok ? '' : r.error.code}`);
        sameCredentials(r.value, valid);
        expect((r.value.binding?.token ?? null) === valid.token && (r.value.binding?.region ?? null) === valid.region, 'binding changed');
        expect(r.value.timeZone === valid.timeZone, 'time zone changed');
      }
      if (r.ok) expect(r.value.format === 'prv1', 'format is prv1');
      return outcomeOf(r);
    },
    { shortRuns: SHORT, codes: QR_CODES },
  );
});

t.test('WIFI: codes: no throw, every refusal coded, valid codes round-trip', async (t) => {
  await fuzzTarget(
    t,
    'wifi-uri',
    qrTexts(validWifi(), 'WIFI:'),
    ({ text, valid }) => {
      const r = parseWifiUri(text);
      if (valid) {
        expect(r.ok, `a valid WIFI: code was refused: ${r.ok ? '' : r.error.code}`);
        sameCredentials(r.value, valid);
      }
      if (r.ok) expect(r.value.binding === null, 'a WIFI: code never carries a binding');
      return outcomeOf(r);
    },
    { shortRuns: SHORT, codes: QR_CODES },
  );
});

const validLabelText = (): fc.Arbitrary<{ text: string; valid: LabelPayload }> => validLabel().map((valid) => ({ text: encodeLabelPayload(valid), valid }));

t.test('factory label payloads: no throw, every refusal coded, valid labels round-trip', async (t) => {
  await fuzzTarget(
    t,
    'label-payload',
    qrTexts(validLabelText(), 'HTTPS://Q.EXAMPLE.COM/D/CAM100#1*'),
    ({ text, valid }) => {
      const r = decodeLabelPayload(text);
      if (valid) {
        expect(r.ok, `a valid label was refused: ${r.ok ? '' : r.code}`);
        expect(JSON.stringify(r.payload) === JSON.stringify(valid), 'label fields changed');
      }
      return r.ok ? ACCEPTED : rejected(r.code);
    },
    { shortRuns: SHORT, codes: LABEL_CODES },
  );
});

t.test('the QR classifier maps every decoded text to one outcome without throwing', async (t) => {
  const anyText = fc.oneof(
    qrTexts(validPrv1(), 'PRV1:'),
    qrTexts(validWifi(), 'WIFI:'),
    qrTexts(validLabelText(), 'HTTPS://Q.EXAMPLE.COM/D/CAM100#1*').map((x) => ({ ...x, label: x.valid !== undefined })),
    fc.tuple(fc.constantFrom('PRV0:', 'PRV2:', 'PRV99:', 'wifi:', 'http://', 'https://', 'BEGIN:VCARD', 'MECARD:', 'DPP:', '<QR>', '{', '[', '\ufeffPRV1:'), hostileString()).map(([p, s]) => ({ text: p + s })),
  );
  await fuzzTarget(
    t,
    'qr-classifier',
    anyText,
    (input) => {
      const r = classifyQrText(input.text);
      if ('valid' in input && input.valid !== undefined) {
        // Every valid PRV1/WIFI: code is a provisioning code, every valid label is the camera's own label.
        const want = 'label' in input && input.label ? 'own-label' : 'provisioning';
        expect(r.kind === want, `valid input classified as ${r.kind}, not ${want}`);
      }
      if (r.kind === 'rejected') {
        // The classifier's catch-all reports `malformed` with this fixed message: seeing it means a parser threw.
        expect(r.message !== 'the QR text could not be parsed', 'a parser threw behind the classifier');
        return rejected(r.code);
      }
      return ACCEPTED;
    },
    { shortRuns: SHORT, codes: QR_CODES },
  );
});

t.test('Wi-Fi credential fields (SSID, password, auth) refuse the §5.2 corpus with a code and accept valid ones', async (t) => {
  const field = fc.oneof({ weight: 3, arbitrary: hostileString() }, { weight: 1, arbitrary: fc.constantFrom(...PSK_TRAPS, ...TEXT_TRAPS) });
  const input = fc.oneof(
    validCredentials().map((c) => ({ c, valid: true })),
    fc.record({ ssid: field, auth: fc.constantFrom('wpa' as const, 'sae' as const, 'open' as const), password: fc.option(field), hidden: fc.boolean() }).map((c) => ({ c, valid: false })),
    fc.tuple(validCredentials(), field).map(([c, password]) => ({ c: { ...c, password }, valid: false })),
  );
  await fuzzTarget(
    t,
    'wifi-credentials',
    input,
    ({ c, valid }) => {
      const r = buildCredentials(c);
      if (valid) expect(r.ok, `valid credentials refused: ${r.ok ? '' : r.error.code}`);
      if (r.ok) {
        // What reaches nmcli: no control character (NUL, newline) and an exact UTF-8 form, in SSID and password.
        for (const s of [r.value.ssid, r.value.password ?? '']) {
          expect(!/\p{Cc}/u.test(s), 'an accepted field holds a control character');
          expect(isWellFormedUnicode(s), 'an accepted field holds a lone surrogate');
        }
        expect(Buffer.byteLength(r.value.ssid) <= 32 && r.value.ssid.length > 0, 'SSID outside 1–32 bytes accepted');
      }
      return outcomeOf(r);
    },
    { shortRuns: SHORT, codes: QR_CODES },
  );
});

t.test('time zones, binding tokens and regions: encoders refuse the corpus with a code, never a path or command', async (t) => {
  const input = fc.record({
    timeZone: fc.oneof(validTimeZone(), fc.constantFrom(...NAME_TRAPS), hostileString(), fc.constant(null)),
    token: fc.oneof(validToken(), mutatedString(validToken()), hostileString(), fc.constant(null)),
    region: fc.oneof(validRegion(), hostileString(8), fc.constant(null)),
  });
  await fuzzTarget(
    t,
    'prv1-binding-fields',
    input,
    (f) => {
      const tzOk = f.timeZone === null || isTimeZone(f.timeZone);
      if (f.timeZone !== null && tzOk) {
        // What an accepted zone can never be: a path out of the zoneinfo tree, an option, a command.
        expect(!/(^|\/)\.\.(\/|$)|^\/|\x00|;|\s|^-/.test(f.timeZone), `time zone ${JSON.stringify(f.timeZone)} accepted`);
      }
      const r = encodePrv1({ ssid: 'Home', auth: 'wpa', password: 'correct horse', token: f.token, region: f.region, timeZone: f.timeZone });
      if (r.ok) {
        const back = parsePrv1(r.value);
        expect(back.ok && back.value.timeZone === f.timeZone && (back.value.binding?.token ?? null) === f.token, 'an encoded payload does not parse back the same');
      }
      return outcomeOf(r);
    },
    { shortRuns: SHORT, codes: QR_CODES },
  );
});
