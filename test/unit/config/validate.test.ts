import t from 'tap';
import { validateLayer, showValue, maskConfig, formatFieldError } from '../../../src/config/validate.js';
import { settingAt, settings, schema, envName } from '../../../src/config/schema.js';
import { mergeLayers } from '../../../src/config/load.js';

t.test('a valid partial layer has no errors', async (t) => {
  t.same(validateLayer({ hal: { mode: 'linux' }, log: { level: 'debug' } }), []);
  t.same(validateLayer({}), []);
});

t.test('wrong type, out-of-range value and unknown key are each named', async (t) => {
  const errors = validateLayer({ log: { level: 7, ringLines: 5 }, hal: { colour: 'red' } });
  t.same(
    errors.map((e) => [e.path, e.code]),
    [
      ['log.level', 'invalid_value'],
      ['log.ringLines', 'invalid_value'],
      ['hal.colour', 'unknown_key'],
    ],
  );
  t.match(formatFieldError(errors[1]!), /^log\.ringLines: 5 must be ≥ 100$/);
  t.match(formatFieldError(errors[2]!), /^hal\.colour: "red" is not a known configuration key$/);
});

t.test('a group given as a scalar and a non-object root are refused', async (t) => {
  t.equal(validateLayer({ hal: 'linux' })[0]?.code, 'not_an_object');
  t.equal(validateLayer([1, 2])[0]?.code, 'not_an_object');
  t.equal(validateLayer(null)[0]?.code, 'not_an_object');
});

t.test('prototype keys are unknown keys, not prototype pollution', async (t) => {
  const layer = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1}') as unknown;
  const errors = validateLayer(layer);
  t.same(errors.map((e) => e.path).sort(), ['__proto__', 'constructor']);
  t.equal(({} as Record<string, unknown>).polluted, undefined);
});

t.test('runtime changes may not touch boot-only keys', async (t) => {
  const errors = validateLayer({ data: { dir: '/tmp/x' }, hal: { mode: 'linux' }, log: { level: 'debug' } }, { runtime: true });
  t.same(errors.map((e) => [e.path, e.code]), [
    ['data.dir', 'not_changeable'],
    ['hal.mode', 'not_changeable'],
  ]);
});

t.test('secret values are never shown, url credentials are masked', async (t) => {
  const input = settingAt('video.input');
  t.ok(input?.sensitive);
  const shown = showValue(input, 'rtsp://admin:S3cretPW@cam.local/stream?token=abc');
  t.notMatch(shown, /S3cretPW|admin|abc/);
  t.match(shown, /rtsp:\/\/\*\*\*@cam\.local\/stream/);
  const err = validateLayer({ video: { input: 'ftp://admin:S3cretPW@host/x' } });
  t.equal(err.length, 1);
  t.notMatch(formatFieldError(err[0]!), /S3cretPW/);
  const masked = maskConfig(mergeLayers([{ name: 'cli', source: 'x', values: { video: { input: 'rtsp://a:S3cretPW@h/s' } } }]));
  t.notMatch(JSON.stringify(masked), /S3cretPW/);
});

t.test('every setting is documented, has a rule that accepts its default, and an env name', async (t) => {
  for (const [path, s] of settings()) {
    t.ok(s.doc.length > 10, `${path} has a doc`);
    t.same(validateLayer(setAt(path, s.default)), [], `${path} default passes its own rule`);
    t.match(envName(path), /^CAMERA_AGENT_[A-Z0-9_]+$/);
  }
  t.equal(envName('hal.button.evdevKeyCode'), 'CAMERA_AGENT_HAL_BUTTON_EVDEV_KEY_CODE');
  t.ok(schema.configVersion);
});

function setAt(path: string, value: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  const parts = path.split('.');
  for (const p of parts.slice(0, -1)) node = (node[p] = {}) as Record<string, unknown>;
  node[parts[parts.length - 1]!] = value;
  return root;
}
