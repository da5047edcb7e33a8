import t, { type Test } from 'tap';
import { mkdir, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { personalSettings, splitPersonal, type PersonalSettingsStore } from '../../../src/config/personal-settings.js';
import { EventBus } from '../../../src/core/bus.js';
import type { PersonalTextKey } from '../../../src/store/personal-data.js';
import { tempDir } from '../../helpers/tmp.js';

const NAME = 'alarm.snapshot.overlay.deviceName';

/** The store as LiveConfig sees it; the real one is covered by personal-data-store.test.ts. */
function memoryStore(initial: Partial<Record<PersonalTextKey, string>> = {}) {
  const values = new Map<PersonalTextKey, string>(Object.entries(initial) as Array<[PersonalTextKey, string]>);
  const store: PersonalSettingsStore = {
    get: (key) => values.get(key),
    set: async (key, value) => void values.set(key, value),
    remove: async (key) => void values.delete(key),
  };
  return { store, values };
}

async function fixture(t: Test, runtime?: object) {
  const root = await tempDir(t);
  const data = join(root, 'data');
  await mkdir(data);
  const system = join(root, 'system.json');
  await writeFile(system, JSON.stringify({ identity: { dir: join(root, 'factory') }, data: { dir: data } }));
  if (runtime) await writeFile(join(data, 'config.json'), JSON.stringify(runtime));
  const loaded = await loadConfig({ systemFile: system, env: {} });
  const bus = new EventBus();
  const changes: unknown[] = [];
  bus.on('config.changed', (c) => changes.push(c));
  return { data, live: new LiveConfig(loaded, loaded.runtimeStore, bus), changes };
}

const fileText = async (data: string) => (await readFile(join(data, 'config.json'), 'utf8')) + (await readFile(join(data, 'config.last-good.json'), 'utf8'));

t.test('the device name is the one personal setting and lives under the store key deviceName', async (t) => {
  t.same(personalSettings(), [{ path: NAME, key: 'deviceName' }]);
  const { file, personal } = splitPersonal({ alarm: { snapshot: { overlay: { deviceName: 'Kitchen' } } }, device: { language: 'de' } });
  t.same(file, { device: { language: 'de' } }, 'no empty husk objects left behind');
  t.same([...personal], [[NAME, 'Kitchen']]);
});

t.test('a device name set at run time goes to the encrypted store, never into the runtime files', async (t) => {
  const f = await fixture(t);
  const { store, values } = memoryStore();
  await f.live.attachPersonalStore(store);
  const r = await f.live.change({ alarm: { snapshot: { overlay: { deviceName: 'Grandma room' } } }, device: { language: 'de' } }, 'cloud');
  t.same(r.rejected, []);
  t.same(r.applied.sort(), [NAME, 'device.language'].sort());
  t.equal(f.live.current.alarm.snapshot.overlay.deviceName, 'Grandma room', 'in force now');
  t.equal(values.get('deviceName'), 'Grandma room');
  const text = await fileText(f.data);
  t.notMatch(text, /Grandma/, 'neither config.json nor its last-good copy holds it');
  t.match(text, /"language": "de"/);
  await f.live.change({ alarm: { snapshot: { overlay: { deviceName: '' } } } }, 'api');
  t.notOk(values.has('deviceName'), 'an empty name is no name: the store forgets it');
  t.equal(f.live.current.alarm.snapshot.overlay.deviceName, '');
});

t.test('the store name applies once the store opens, and a name left in the file by an older agent moves into the store', async (t) => {
  const fresh = await fixture(t);
  await fresh.live.attachPersonalStore(memoryStore({ deviceName: 'Hall' }).store);
  t.equal(fresh.live.current.alarm.snapshot.overlay.deviceName, 'Hall');
  t.same(fresh.changes, [{ changed: [NAME], restartRequired: [] }], 'announced like any change, so the snapshot overlay follows');

  const legacy = await fixture(t, { alarm: { snapshot: { overlay: { deviceName: 'Porch' } } }, device: { language: 'fr' } });
  const { store, values } = memoryStore({ deviceName: 'Old name' });
  await legacy.live.attachPersonalStore(store);
  t.equal(values.get('deviceName'), 'Porch', 'the file is newer than the store (set while the agent was stopped)');
  t.equal(legacy.live.current.alarm.snapshot.overlay.deviceName, 'Porch');
  t.same(JSON.parse(await readFile(join(legacy.data, 'config.json'), 'utf8')), { device: { language: 'fr' } }, 'rewritten without the name');
  t.notMatch(await fileText(legacy.data), /Porch/);
});

t.test('without an open store a device name change is refused whole, and nothing is written', async (t) => {
  const f = await fixture(t);
  const r = await f.live.change({ alarm: { snapshot: { overlay: { deviceName: 'Kitchen' } } }, device: { language: 'de' } }, 'cloud');
  t.same(r.rejected.map((e) => [e.path, e.code]), [[NAME, 'not_changeable']]);
  t.match(r.rejected[0]!.rule, /personal data/);
  t.equal(f.live.current.device.language, 'en', 'all or nothing');
  await t.rejects(readFile(join(f.data, 'config.json'), 'utf8'), { code: 'ENOENT' });
  const none = await f.live.change({ alarm: { snapshot: { overlay: { deviceName: '' } } } }, 'cloud');
  t.same(none.rejected, [], 'an empty name where none is stored changes nothing, so it needs no store');
});

t.test('after unbind (store erased, runtime reset) the name is gone from the running config', async (t) => {
  const f = await fixture(t);
  const { store, values } = memoryStore();
  await f.live.attachPersonalStore(store);
  await f.live.change({ alarm: { snapshot: { overlay: { deviceName: 'Kitchen' } } } }, 'cloud');
  values.clear(); // what PersonalDataStore.erase() does to it
  await f.live.resetRuntime();
  t.equal(f.live.current.alarm.snapshot.overlay.deviceName, '');
});
