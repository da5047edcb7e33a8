import t from 'tap';
import {
  INSTANCE_NAME_MAX_BYTES,
  baseInstanceName,
  cleanText,
  hostLabel,
  instanceName,
  parseServiceType,
  serialSuffix,
} from '../../../src/network/mdns-names.js';

const bytes = (s: string) => Buffer.byteLength(s);

t.test('service types follow RFC 6335: 1-15 letters, digits and inner single hyphens, at least one letter', async (t) => {
  for (const ok of ['camera-agent', 'acmecam', 'a', 'cam2', 'x-1-y', 'abcdefghijklmno']) t.same(parseServiceType(ok), { ok: true, type: ok }, ok);
  t.same(parseServiceType('ACMECam'), { ok: true, type: 'acmecam' }, 'case-insensitive, normalised to lower case');
  for (const bad of ['', 'abcdefghijklmnop', '-cam', 'cam-', 'ca--m', '1234', 'cam_agent', 'cam.agent', '_cam', 'cam agent', 'kämera']) {
    t.match(parseServiceType(bad), { ok: false, code: 'bad_service_type' }, JSON.stringify(bad));
  }
});

t.test('the instance name is brand, model and the serial\'s last four', async (t) => {
  t.equal(baseInstanceName({ brand: 'ACME', model: 'CAM100', serial: 'AC1002234567890' }), 'ACME CAM100 7890');
  t.equal(baseInstanceName({ brand: '', model: 'CAM100', serial: 'AC1002234567890' }), 'CAM100 7890', 'no brand');
  t.equal(baseInstanceName({ brand: 'ACME', model: 'CAM100', serial: '7890' }), 'ACME CAM100', 'a 4-character serial is not advertised at all');
  t.equal(baseInstanceName({ brand: '', model: '', serial: '' }), 'Camera', 'never empty');
  t.equal(baseInstanceName({ brand: ' ACME\t', model: 'CAM\n100', serial: 'AB\u00001234567' }), 'ACME CAM 100 4567', 'control characters and runs of white space become one space');
});

t.test('dots become "-" before bonjour-service does it, so the logged name is the advertised one', async (t) => {
  t.equal(baseInstanceName({ brand: 'ACME Inc.', model: 'CAM.100', serial: 'SN0001.2345' }), 'ACME Inc- CAM-100 2345');
  t.equal(cleanText('a.b..c'), 'a-b--c');
  t.notOk(instanceName('x.y', 2).includes('.'));
});

t.test('names never exceed one DNS label (63 bytes), cut between code points', async (t) => {
  const long = baseInstanceName({ brand: 'Ä'.repeat(40), model: 'CAM100', serial: 'AC1002234567890' });
  t.ok(bytes(long) <= INSTANCE_NAME_MAX_BYTES, `${bytes(long)} bytes`);
  t.notOk(long.includes('\ufffd'), 'no broken UTF-8');
  t.equal(long, 'Ä'.repeat(31), '31 two-byte characters fill 62 of 63 bytes; half a character is not kept');
  t.equal(instanceName('a'.repeat(80), 1), 'a'.repeat(63));
});

t.test('conflict renames: "Name", "Name (2)", "Name (3)"…, the base shortened so the suffix still fits', async (t) => {
  t.same([1, 2, 3, 10].map((n) => instanceName('ACME CAM100 7890', n)), ['ACME CAM100 7890', 'ACME CAM100 7890 (2)', 'ACME CAM100 7890 (3)', 'ACME CAM100 7890 (10)']);
  const base = 'x'.repeat(63);
  for (const n of [2, 9, 10, 100]) {
    const name = instanceName(base, n);
    t.ok(bytes(name) <= INSTANCE_NAME_MAX_BYTES && name.endsWith(` (${n})`), name);
  }
  t.equal(instanceName(`${'y'.repeat(58)} abc`, 2), `${'y'.repeat(58)} (2)`, 'no double space where the base was cut');
  t.throws(() => instanceName('x', 0), RangeError);
  t.throws(() => instanceName('x', 1.5), RangeError);
});

t.test('serialSuffix is the last four characters, and nothing when that would be the whole serial', async (t) => {
  t.equal(serialSuffix('AC1002234567890'), '7890');
  t.equal(serialSuffix('12345'), '2345');
  t.equal(serialSuffix('1234'), null);
  t.equal(serialSuffix(''), null);
});

t.test('the host label is lower-case letters, digits and hyphens, unique by the key tag', async (t) => {
  t.equal(hostLabel({ model: 'CAM100', serial: 'AC1002234567890', keyTag: '7WZKYFSZ' }), 'cam100-7wzkyfsz');
  t.equal(hostLabel({ model: 'CAM100', serial: 'AC1002234567890', keyTag: null }), 'cam100-7890', 'no key: the serial\'s last four');
  t.equal(hostLabel({ model: 'Cam 100 Pro.', serial: 'x', keyTag: null }), 'cam-100-pro-unit');
  t.equal(hostLabel({ model: 'Ü', serial: 'AC1002234567890', keyTag: null }), 'camera-7890');
  const long = hostLabel({ model: 'M'.repeat(100), serial: '', keyTag: 'ABCDEFGH' });
  t.ok(long.length <= 63 && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(long), long);
});
