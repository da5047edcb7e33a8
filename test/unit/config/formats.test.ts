import t from 'tap';
import { ruleNamed, checkEnum } from '../../../src/config/formats.js';

const rule = (name: string) => {
  const r = ruleNamed(name);
  if (!r) throw new Error(`no rule ${name}`);
  return r;
};

t.test('ca-int enforces integer and range', async (t) => {
  const r = rule('ca-int');
  t.equal(r.check(5, { min: 1, max: 10 }), null);
  t.equal(r.check(1, { min: 1, max: 10 }), null, 'lower bound inclusive');
  t.equal(r.check(10, { min: 1, max: 10 }), null, 'upper bound inclusive');
  t.match(r.check(0, { min: 1, max: 10 }), /≥ 1/);
  t.match(r.check(11, { min: 1, max: 10 }), /≤ 10/);
  t.match(r.check(1.5, {}), /integer/);
  t.match(r.check('5', {}), /integer/, 'strings are not numbers in a JSON file');
  t.equal(r.coerce('42'), 42, 'environment strings become numbers');
  t.equal(r.coerce('4x'), '4x', 'garbage stays a string so the check names it');
});

t.test('ca-bool accepts only booleans, coerces env words', async (t) => {
  const r = rule('ca-bool');
  t.equal(r.check(true, {}), null);
  t.match(r.check('true', {}), /true or false/);
  t.equal(r.coerce('TRUE'), true);
  t.equal(r.coerce('0'), false);
  t.equal(r.coerce('yes'), 'yes');
});

t.test('ca-string: empty, length, control characters, pattern', async (t) => {
  const r = rule('ca-string');
  t.match(r.check('', {}), /empty/);
  t.equal(r.check('', { allowEmpty: true }), null);
  t.match(r.check('abcdef', { maxLength: 5 }), /at most 5/);
  t.match(r.check('a\nb', {}), /control/);
  t.match(r.check('a b', { pattern: /^\S+$/, patternDoc: 'no spaces' }), /no spaces/);
  t.match(r.check(3, {}), /string/);
});

t.test('ca-path wants absolute paths', async (t) => {
  const r = rule('ca-path');
  t.equal(r.check('/var/lib/x', {}), null);
  t.match(r.check('relative/x', {}), /absolute/);
  t.equal(r.check('', { allowEmpty: true }), null);
  t.match(r.check('', {}), /absolute/);
});

t.test('ca-timezone accepts IANA names only', async (t) => {
  const r = rule('ca-timezone');
  t.equal(r.check('Europe/Berlin', {}), null);
  t.equal(r.check('UTC', {}), null);
  t.match(r.check('Mars/Olympus', {}), /IANA/);
});

t.test('ca-media-input: urls by scheme, files, lavfi', async (t) => {
  const r = rule('ca-media-input');
  const p = { schemes: ['rtsp', 'https'], allowEmpty: true };
  t.equal(r.check('rtsp://u:p@cam/stream', p), null);
  t.equal(r.check('/data/video.mp4', p), null);
  t.equal(r.check('lavfi:testsrc2', p), null);
  t.equal(r.check('', p), null);
  t.match(r.check('file:///etc/passwd', p), /rtsp\/https URL/);
  t.match(r.check('concat:a|b', p), /URL/, 'ffmpeg protocols outside the list are refused');
});

t.test('enum lists the allowed values', async (t) => {
  t.equal(checkEnum('sim', ['sim', 'linux']), null);
  t.match(checkEnum('x', ['sim', 'linux']), /"sim", "linux"/);
});
