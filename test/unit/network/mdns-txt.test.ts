import t from 'tap';
import { labelFingerprint } from '../../../src/factory/unit-builder.js';
import { TXT_MAX_BYTES, cameraTxt, checkTxt, deviceKeyTag, txtWireBytes, type CameraFacts } from '../../../src/network/mdns-txt.js';

const FINGERPRINT = 'c0ffee'.repeat(10) + 'abcd';
const FACTS: CameraFacts = { model: 'CAM100', serial: 'AC1002234567890', firmware: '1.4.2', bound: false, publicKeyFingerprint: FINGERPRINT };

function txtOf(facts: CameraFacts): Record<string, string> {
  const r = cameraTxt(facts);
  if (!r.ok) throw new Error(r.message);
  return { ...r.txt };
}

t.test('the record: pv, md, sn4, fw, st, id, in that order', async (t) => {
  const txt = txtOf(FACTS);
  t.same(txt, { pv: '1', md: 'CAM100', sn4: '7890', fw: '1.4.2', st: 'unbound', id: deviceKeyTag(FINGERPRINT) });
  t.same(Object.keys(txt), ['pv', 'md', 'sn4', 'fw', 'st', 'id']);
  t.equal(txtOf({ ...FACTS, bound: true }).st, 'bound');
});

t.test('id is the first 8 characters of the label\'s F: fingerprint, so the app can match camera and label', async (t) => {
  const id = deviceKeyTag(FINGERPRINT)!;
  t.match(id, /^[0-9A-HJKMNP-TV-Z]{8}$/);
  t.ok(labelFingerprint(FINGERPRINT).startsWith(id), `${labelFingerprint(FINGERPRINT)} starts with ${id}`);
  t.equal(deviceKeyTag('3f'.repeat(32)), '7WZKYFSZ', 'worked by hand: 0x3f3f3f3f3f in 5-bit groups is 7 28 31 19 30 15 25 31');
  t.equal(deviceKeyTag(null), null);
  t.equal(deviceKeyTag('not hex'), null);
});

t.test('never an undefined or empty value: absent facts leave their key out', async (t) => {
  t.same(txtOf({ ...FACTS, firmware: '', publicKeyFingerprint: null }), { pv: '1', md: 'CAM100', sn4: '7890', st: 'unbound' });
  t.same(txtOf({ ...FACTS, firmware: '  \n ', model: '\t' }), { pv: '1', sn4: '7890', st: 'unbound', id: deviceKeyTag(FINGERPRINT) });
  t.notOk('sn4' in txtOf({ ...FACTS, serial: '7890' }), 'no sn4 when it would be the whole serial');
  for (const facts of [FACTS, { ...FACTS, firmware: '', model: '', serial: '', publicKeyFingerprint: null }]) {
    for (const [k, v] of Object.entries(txtOf(facts))) {
      t.ok(typeof v === 'string' && v !== '' && v !== 'undefined' && v !== 'null', `${k}=${v}`);
    }
  }
});

t.test('no secrets: only the listed keys, never the full serial, whatever else the facts carry', async (t) => {
  const loaded = {
    ...FACTS,
    token: 'tok_SECRET',
    verificationCode: 'CODE1234',
    apPassphrase: 'PASSPHRASE',
    ownerId: 'owner-42',
    deviceId: 'cam-0123456789abcdef',
  } as CameraFacts;
  const txt = txtOf(loaded);
  t.same(Object.keys(txt), ['pv', 'md', 'sn4', 'fw', 'st', 'id']);
  const wire = Object.entries(txt).map(([k, v]) => `${k}=${v}`).join(' ');
  for (const secret of ['tok_SECRET', 'CODE1234', 'PASSPHRASE', 'owner-42', 'cam-0123456789abcdef', FACTS.serial, FINGERPRINT]) {
    t.notOk(wire.includes(secret), `no ${secret}`);
  }
});

t.test('size: the worst case stays within 200 bytes, and checkTxt refuses anything larger', async (t) => {
  const worst = txtOf({
    model: 'M'.repeat(64),
    serial: 'S'.repeat(32),
    firmware: `1.2.3-${'r'.repeat(100)}`,
    bound: false,
    publicKeyFingerprint: FINGERPRINT,
  });
  t.equal(worst.md, 'M'.repeat(32), 'the model is capped at 32 bytes');
  t.equal(worst.fw?.length, 32, 'the firmware version is capped at 32 bytes');
  t.equal(txtWireBytes(worst), 109);
  t.ok(txtWireBytes(worst) <= TXT_MAX_BYTES);
  const multibyte = txtOf({ ...FACTS, model: '摄像机'.repeat(20) });
  t.ok(Buffer.byteLength(multibyte.md!) <= 32 && !multibyte.md!.includes('\ufffd'), 'capped in bytes, between code points');

  t.equal(txtWireBytes({ pv: '1' }), 5, 'one length byte plus "pv=1"');
  const big = { a: 'x'.repeat(150), b: 'y'.repeat(50) };
  t.equal(txtWireBytes(big), 1 + 152 + 1 + 52);
  t.match(checkTxt(big), { code: 'txt_too_large', message: /206 bytes, more than 200/ });
  t.equal(checkTxt({ a: 'x'.repeat(150), b: 'y'.repeat(44) }), null, 'exactly 200 is fine');
});

t.test('checkTxt: keys of 1-9 printable characters without "=", values non-empty strings without control characters', async (t) => {
  t.equal(checkTxt({ pv: '1', sn4: '7890' }), null);
  t.match(checkTxt({ x: undefined }), { code: 'txt_invalid', message: /x has no value/ });
  t.match(checkTxt({ x: '' }), { code: 'txt_invalid' });
  t.match(checkTxt({ x: 1 }), { code: 'txt_invalid' }, 'only strings: bonjour-service would print numbers and booleans as text');
  t.match(checkTxt({ x: true }), { code: 'txt_invalid' });
  t.match(checkTxt({ toolongkey: 'v' }), { code: 'txt_invalid' }, '10 characters');
  t.match(checkTxt({ 'a=b': 'v' }), { code: 'txt_invalid' });
  t.match(checkTxt({ '': 'v' }), { code: 'txt_invalid' });
  t.match(checkTxt({ x: 'a\u0000b' }), { code: 'txt_invalid' });
  t.match(checkTxt({ x: 'v'.repeat(300) }), { code: 'txt_invalid', message: /longer than 255/ });
});
