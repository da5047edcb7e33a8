import t, { type Test } from 'tap';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, originOf, envLayer, ConfigError } from '../../../src/config/load.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { EventBus } from '../../../src/core/bus.js';
import { tempDir } from '../../helpers/tmp.js';

async function fixture(t: Test) {
  const root = await tempDir(t);
  const factory = join(root, 'factory');
  const data = join(root, 'data');
  await mkdir(factory);
  const system = join(root, 'system.json');
  await writeFile(system, JSON.stringify({ identity: { dir: factory }, data: { dir: data }, log: { level: 'warn', ringLines: 500 }, device: { timezone: 'Europe/Berlin' } }));
  await writeFile(join(factory, 'config.json'), JSON.stringify({ hal: { led: { red: 'red:power' } }, log: { level: 'error' } }));
  return { root, factory, data, system };
}

t.test('layers apply in order: defaults < system < factory < runtime < env < --config', async (t) => {
  const f = await fixture(t);
  await mkdir(f.data);
  await writeFile(join(f.data, 'config.json'), JSON.stringify({ log: { level: 'info' }, device: { language: 'de' } }));
  const cli = join(f.root, 'cli.json');
  await writeFile(cli, JSON.stringify({ device: { language: 'fr' } }));
  const loaded = await loadConfig({ systemFile: f.system, cliFile: cli, env: { CAMERA_AGENT_LOG_LEVEL: 'debug', CAMERA_AGENT_WATCHDOG_MAX_EVENT_LOOP_LAG_MS: '900' } });
  const c = loaded.config;
  t.equal(c.hal.mode, 'sim', 'default');
  t.equal(c.device.timezone, 'Europe/Berlin', 'system');
  t.equal(c.hal.led.red, 'red:power', 'factory');
  t.equal(c.log.level, 'debug', 'env beats runtime, factory and system');
  t.equal(c.watchdog.maxEventLoopLagMs, 900, 'env strings are coerced by the rule');
  t.equal(c.device.language, 'fr', '--config beats runtime');
  t.equal(originOf(loaded.layers, 'device.language'), 'cli');
  t.equal(originOf(loaded.layers, 'hal.led.red'), 'factory');
  t.equal(originOf(loaded.layers, 'hal.mode'), 'defaults');
});

t.test('a bad system file names file and field', async (t) => {
  const f = await fixture(t);
  await writeFile(f.system, JSON.stringify({ log: { level: 'loud' } }));
  const err = await loadConfig({ systemFile: f.system, env: {} }).catch((e: unknown) => e);
  t.ok(err instanceof ConfigError);
  t.equal((err as ConfigError).fieldErrors[0]?.path, 'log.level');
  t.match((err as ConfigError).message, f.system);
});

t.test('a missing --config file is an error, a missing system file is not', async (t) => {
  const root = await tempDir(t);
  const env = { CAMERA_AGENT_DATA_DIR: join(root, 'd'), CAMERA_AGENT_IDENTITY_DIR: join(root, 'f') };
  const ok = await loadConfig({ systemFile: join(root, 'none.json'), env });
  t.equal(ok.config.data.dir, join(root, 'd'));
  await t.rejects(loadConfig({ systemFile: join(root, 'none.json'), cliFile: join(root, 'nope.json'), env }), { code: 'config_unreadable' });
});

t.test('env: bad values are field errors, unknown names are reported', async (t) => {
  const { layer, unknown } = envLayer({ CAMERA_AGENT_HAL_MODE: 'linux', CAMERA_AGENT_HAL_MOOD: 'x', CAMERA_AGENT_SYSTEM_CONFIG: '/x', PATH: '/bin' });
  t.same(layer.values, { hal: { mode: 'linux' } });
  t.same(unknown, ['CAMERA_AGENT_HAL_MOOD']);
  const root = await tempDir(t);
  await t.rejects(loadConfig({ systemFile: join(root, 'none.json'), env: { CAMERA_AGENT_LOG_RING_LINES: 'many', CAMERA_AGENT_DATA_DIR: root } }), {
    code: 'config_invalid',
    fieldErrors: [{ path: 'log.ringLines' }],
  });
});

t.test('a runtime change is validated, persisted, applied and announced', async (t) => {
  const f = await fixture(t);
  const loaded = await loadConfig({ systemFile: f.system, env: {} });
  const bus = new EventBus();
  const changes: unknown[] = [];
  bus.on('config.changed', (c) => changes.push(c));
  const live = new LiveConfig(loaded, loaded.runtimeStore, bus);
  const r = await live.change({ device: { language: 'de' }, log: { ringLines: 800 } }, 'api');
  t.same(r, { applied: ['device.language'], restartRequired: ['log.ringLines'], pinned: [], rejected: [] });
  t.equal(live.current.device.language, 'de');
  t.equal(live.current.log.ringLines, 500, 'restart-only keys keep their running value');
  t.same(JSON.parse(await readFile(join(f.data, 'config.json'), 'utf8')), { device: { language: 'de' }, log: { ringLines: 800 } });
  t.same(changes, [{ changed: ['device.language'], restartRequired: ['log.ringLines'] }]);
  const again = await loadConfig({ systemFile: f.system, env: {} });
  t.equal(again.config.log.ringLines, 800, 'in force after restart');
});

t.test('a change with one invalid field changes nothing', async (t) => {
  const f = await fixture(t);
  const loaded = await loadConfig({ systemFile: f.system, env: {} });
  const live = new LiveConfig(loaded, loaded.runtimeStore, new EventBus());
  const r = await live.change({ device: { language: 'de', timezone: 'Nowhere/Land' } }, 'cloud');
  t.same(r.applied, []);
  t.same(r.rejected.map((e) => e.path), ['device.timezone']);
  t.equal(live.current.device.language, 'en');
  await t.rejects(readFile(join(f.data, 'config.json'), 'utf8'), { code: 'ENOENT' }, 'nothing written');
});

t.test('a change to a key pinned by env is stored but reported as pinned', async (t) => {
  const f = await fixture(t);
  const loaded = await loadConfig({ systemFile: f.system, env: { CAMERA_AGENT_DEVICE_LANGUAGE: 'it' } });
  const live = new LiveConfig(loaded, loaded.runtimeStore, new EventBus());
  const r = await live.change({ device: { language: 'de' } }, 'api');
  t.same(r.pinned, ['device.language']);
  t.equal(live.current.device.language, 'it');
});

t.test('concurrent changes are serialised, none lost', async (t) => {
  const f = await fixture(t);
  const loaded = await loadConfig({ systemFile: f.system, env: {} });
  const live = new LiveConfig(loaded, loaded.runtimeStore, new EventBus());
  await Promise.all([live.change({ device: { language: 'de' } }, 'api'), live.change({ watchdog: { maxEventLoopLagMs: 700 } }, 'cloud')]);
  const stored = JSON.parse(await readFile(join(f.data, 'config.json'), 'utf8')) as Record<string, unknown>;
  t.same(stored, { device: { language: 'de' }, watchdog: { maxEventLoopLagMs: 700 } });
});
