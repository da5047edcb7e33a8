import t from 'tap';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeConfigStore } from '../../../src/config/runtime-store.js';
import { tempDir } from '../../helpers/tmp.js';

t.test('no file: an empty runtime layer, nothing recovered', async (t) => {
  const store = new RuntimeConfigStore(await tempDir(t));
  t.same(await store.load(), { values: {} });
});

t.test('save writes the main file and its last-good copy', async (t) => {
  const dir = await tempDir(t);
  const store = new RuntimeConfigStore(dir);
  await store.save({ log: { level: 'debug' } });
  t.same(JSON.parse(await readFile(store.path, 'utf8')), { log: { level: 'debug' } });
  t.equal(await readFile(store.lastGoodPath, 'utf8'), await readFile(store.path, 'utf8'));
  t.same((await store.load()).values, { log: { level: 'debug' } });
  t.same((await readdir(dir)).sort(), ['config.json', 'config.last-good.json'], 'no temp files left');
});

for (const [name, content] of [
  ['truncated', '{"log": {"level": "deb'],
  ['empty', ''],
  ['invalid value', '{"log": {"level": "loud"}}'],
  ['not an object', '[1,2]'],
  ['from a newer agent', '{"configVersion": 99}'],
  ['boot-only key', '{"data": {"dir": "/elsewhere"}}'],
] as const) {
  t.test(`a ${name} runtime file is replaced by the last good copy and kept aside`, async (t) => {
    const dir = await tempDir(t);
    const store = new RuntimeConfigStore(dir);
    await store.save({ log: { level: 'warn' } });
    await writeFile(store.path, content);
    const loaded = await store.load();
    t.same(loaded.values, { log: { level: 'warn' } });
    t.equal(loaded.recovered?.from, 'last-good');
    t.ok(loaded.recovered?.reason.length);
    t.equal(await readFile(`${store.path}.corrupt`, 'utf8'), content, 'the bad file is quarantined for diagnosis');
    t.same(JSON.parse(await readFile(store.path, 'utf8')), { log: { level: 'warn' } }, 'main file restored');
  });
}

t.test('both copies bad: defaults, with the reason', async (t) => {
  const dir = await tempDir(t);
  const store = new RuntimeConfigStore(dir);
  await writeFile(store.path, '{');
  await writeFile(store.lastGoodPath, '{');
  const loaded = await store.load();
  t.same(loaded.values, {});
  t.equal(loaded.recovered?.from, 'defaults');
});

t.test('a lost main file comes back from the last good copy', async (t) => {
  const dir = await tempDir(t);
  const store = new RuntimeConfigStore(dir);
  await writeFile(store.lastGoodPath, '{"log":{"level":"error"}}');
  const loaded = await store.load();
  t.same(loaded.values, { log: { level: 'error' } });
  t.equal(loaded.recovered?.from, 'last-good');
});

t.test('temp files of a killed writer are removed at load', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, '.config.json.123.abcd.tmp'), '{"half');
  await new RuntimeConfigStore(dir).load();
  t.same(await readdir(dir), []);
});
