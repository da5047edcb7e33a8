import t from 'tap';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SimKeySource } from '../../../src/hal/sim/sim-key-source.js';
import { FactoryKeySource } from '../../../src/hal/linux/factory-key-source.js';
import { UNCONFIGURED_KEY_SOURCE } from '../../../src/crypto/device-key-error.js';
import { factoryPath } from '../../../src/identity/factory-layout.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { tempDir } from '../../helpers/tmp.js';

t.test('the sim key source creates a 32-byte 0600 secret once and returns it on every call', async (t) => {
  const dataDir = await tempDir(t, 'keys-');
  const path = dataLayout(dataDir).simHardwareSecret;
  const a = new SimKeySource({ dataDir });
  const [m1, m2] = await Promise.all([a.keyMaterial(), a.keyMaterial()]);
  t.equal(m1.length, 32);
  t.same(Buffer.from(m1), Buffer.from(m2));
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.same(await readFile(path), Buffer.from(m1));
  const b = new SimKeySource({ dataDir });
  t.same(Buffer.from(await b.keyMaterial()), Buffer.from(m1), 'a second instance (restart) reads the same secret');
});

t.test('two sim key sources racing on first use agree on one secret', async (t) => {
  const dataDir = await tempDir(t, 'keys-race-');
  const sources = Array.from({ length: 8 }, () => new SimKeySource({ dataDir }));
  const all = await Promise.all(sources.map((s) => s.keyMaterial()));
  for (const m of all) t.same(Buffer.from(m), Buffer.from(all[0]!));
});

t.test('a short sim secret is device_secret_invalid, not silently replaced', async (t) => {
  const dataDir = await tempDir(t, 'keys-short-');
  const path = dataLayout(dataDir).simHardwareSecret;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, Buffer.alloc(8));
  await t.rejects(new SimKeySource({ dataDir }).keyMaterial(), { code: 'device_secret_invalid' });
  t.equal((await readFile(path)).length, 8);
});

t.test('the factory key source reads device-secret; missing or short is a coded error', async (t) => {
  const identityDir = await tempDir(t, 'keys-factory-');
  const src = new FactoryKeySource({ identityDir });
  await t.rejects(src.keyMaterial(), { code: 'device_secret_missing' });
  await writeFile(factoryPath(identityDir, 'deviceSecret'), Buffer.alloc(16, 1), { mode: 0o600 });
  await t.rejects(src.keyMaterial(), { code: 'device_secret_invalid' });
  const secret = Buffer.alloc(32, 7);
  await writeFile(factoryPath(identityDir, 'deviceSecret'), secret, { mode: 0o600 });
  t.same(Buffer.from(await src.keyMaterial()), secret);
});

t.test('a HAL built without paths has a key source that fails loudly', async (t) => {
  await t.rejects(UNCONFIGURED_KEY_SOURCE.keyMaterial(), { code: 'key_source_unconfigured' });
});

t.test('createHal wires the sim key source from paths.dataDir', async (t) => {
  const { createHal, defaultHalConfig } = await import('../../../src/hal/index.js');
  const { ManualClock } = await import('../../../src/core/clock.js');
  const { pino } = await import('pino');
  const dataDir = await tempDir(t, 'keys-hal-');
  const hal = createHal(defaultHalConfig, { logger: pino({ level: 'silent' }), clock: new ManualClock(), paths: { dataDir, identityDir: '/nonexistent' } });
  const m = await hal.keys.keyMaterial();
  t.same(await readFile(dataLayout(dataDir).simHardwareSecret), Buffer.from(m));
  const linux = createHal({ ...defaultHalConfig, mode: 'linux' }, { logger: pino({ level: 'silent' }), clock: new ManualClock(), paths: { dataDir, identityDir: dataDir } });
  await t.rejects(linux.keys.keyMaterial(), { code: 'device_secret_missing' }, 'linux mode reads the factory device-secret');
});
