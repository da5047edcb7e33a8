import t, { type Test } from 'tap';
import { readFile, readdir, stat, writeFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { PersonalDataStore } from '../../../src/store/personal-data-store.js';
import { isStoreError } from '../../../src/store/store-error.js';
import type { WifiCredentials } from '../../../src/store/personal-data.js';
import { dataLayout, type DataLayout } from '../../../src/storage/data-layout.js';
import type { DeviceKeySource } from '../../../src/hal/types.js';
import { DeviceKeyError } from '../../../src/crypto/device-key-error.js';
import { tempDir } from '../../helpers/tmp.js';
import type { Logger } from '../../../src/log/logger.js';

const DEVICE = 'cam-0123456789abcdef';

function fixedKeys(material = randomBytes(32)): DeviceKeySource {
  return { keyMaterial: async () => new Uint8Array(material) };
}

function quietLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) }), lines };
}

async function setup(t: Test, keys = fixedKeys()) {
  const layout = dataLayout(await tempDir(t, 'store-'));
  const log = quietLogger();
  const make = (k: DeviceKeySource = keys, deviceId = DEVICE) => new PersonalDataStore({ layout, keys: k, deviceId, logger: log.logger });
  return { layout, keys, make, log };
}

const wifi: WifiCredentials = { ssid: Buffer.from('Home \u2603').toString('base64'), password: 'correct horse', hidden: false, security: 'WPA' };
const binding = { token: 'tok-abcdefghijklmnop', region: 'EU', boundAt: '2025-05-01T12:00:00.000Z' };

async function opened(store: PersonalDataStore) {
  const r = await store.open();
  if (!r.ok) throw r.error;
  return r;
}

t.test('values round-trip through a reopen, encrypted on disk with 0600 files', async (t) => {
  const { layout, make, log } = await setup(t);
  const a = make();
  t.same((await opened(a)).issues, []);
  t.same(a.snapshot(), {});
  await a.set('wifi', wifi);
  await a.set('binding', binding);
  await a.set('deviceName', 'Front door');

  const b = make();
  t.same((await opened(b)).issues, []);
  t.same(b.get('wifi'), wifi);
  t.same(b.get('binding'), binding);
  t.equal(b.get('deviceName'), 'Front door');

  const raw = Buffer.concat([await readFile(layout.secureStore), await readFile(layout.secureStoreKey)]);
  for (const secret of ['correct horse', 'tok-abcdefghijklmnop', 'Front door', wifi.ssid]) {
    t.notOk(raw.includes(secret), `"${secret}" not in clear on disk`);
  }
  t.equal((await stat(layout.secureStore)).mode & 0o777, 0o600);
  t.equal((await stat(layout.secureStoreKey)).mode & 0o777, 0o600);
  t.equal((await stat(layout.secureDir)).mode & 0o777, 0o700);
  t.notOk(log.lines.join('').includes('correct horse'), 'no secret in the logs');

  await b.remove('binding');
  const c = make();
  await opened(c);
  t.equal(c.get('binding'), undefined);
  t.same(c.get('wifi'), wifi);
});

t.test('get returns copies: mutating them does not change the store', async (t) => {
  const { make } = await setup(t);
  const s = make();
  await opened(s);
  await s.set('wifi', wifi);
  const got = s.get('wifi')!;
  got.password = 'changed!!';
  t.equal(s.get('wifi')?.password, 'correct horse');
});

t.test('unknown keys and invalid values are rejected with a code and change nothing', async (t) => {
  const { make } = await setup(t);
  const s = make();
  await opened(s);
  await t.rejects(s.set('email' as never, 'x' as never), { code: 'store_unknown_key' });
  t.throws(() => s.get('email' as never), { code: 'store_unknown_key' });
  await t.rejects(s.set('wifi', { ...wifi, password: 'short' }), { code: 'store_invalid_value' });
  await t.rejects(s.set('wifi', { ...wifi, security: 'nopass' }), { code: 'store_invalid_value' }, 'open network with a password');
  await t.rejects(s.set('wifi', { ...wifi, ssid: Buffer.alloc(33, 65).toString('base64') }), { code: 'store_invalid_value' });
  await t.rejects(s.set('wifi', { ...wifi, extra: 1 } as WifiCredentials), { code: 'store_invalid_value' });
  await t.rejects(s.set('binding', { ...binding, region: 'eu' }), { code: 'store_invalid_value' });
  await t.rejects(s.set('deviceName', 'tab\there'), { code: 'store_invalid_value' });
  await t.rejects(s.set('deviceName', 'x'.repeat(65)), { code: 'store_invalid_value' });
  try {
    await s.set('wifi', { ...wifi, password: 'short' });
  } catch (err) {
    t.notOk(String((err as Error).message).includes('short'), 'message names the field, not the value');
  }
  t.same(s.snapshot(), {});
  await s.set('wifi', { ssid: wifi.ssid, password: '', hidden: true, security: 'nopass' });
  t.equal(s.get('wifi')?.hidden, true);
});

t.test('use before open() is store_not_open', async (t) => {
  const { make } = await setup(t);
  const s = make();
  t.throws(() => s.snapshot(), { code: 'store_not_open' });
  await t.rejects(s.set('deviceName', 'x'), { code: 'store_not_open' });
});

t.test('a failing key source is store_key_unavailable, not a crash', async (t) => {
  const { make } = await setup(t);
  const s = make({ keyMaterial: () => Promise.reject(new DeviceKeyError('device_secret_missing', 'gone')) });
  const r = await s.open();
  t.equal(r.ok, false);
  if (!r.ok) t.equal(r.error.code, 'store_key_unavailable');
});

t.test('a different device secret is store_key_invalid: both files set aside, store starts empty and works', async (t) => {
  const { layout, make } = await setup(t);
  const a = make();
  await opened(a);
  await a.set('deviceName', 'Kitchen');
  const otherUnitKeys = fixedKeys();
  const b = make(otherUnitKeys);
  const r = await opened(b);
  t.same(r.issues.map((i) => i.code), ['store_key_invalid']);
  t.same(r.issues[0]?.setAside, [`${layout.secureStoreKey}.bad`, `${layout.secureStore}.bad`]);
  t.same(b.snapshot(), {});
  await b.set('deviceName', 'Hall');
  const c = make(otherUnitKeys);
  await opened(c);
  t.equal(c.get('deviceName'), 'Hall', 'a fresh DEK under the new key works');
});

t.test('the store is bound to the deviceId (KEK info and AAD)', async (t) => {
  const { make } = await setup(t);
  const a = make();
  await opened(a);
  await a.set('deviceName', 'Kitchen');
  const r = await opened(make(undefined, 'cam-zzzzzzzzzzzzzzzz'));
  t.same(r.issues.map((i) => i.code), ['store_key_invalid']);
});

t.test('tampered, truncated, torn or re-versioned store.bin is store_corrupt; the key survives', async (t) => {
  const mutations: [string, (b: Buffer) => Buffer][] = [
    ['one ciphertext bit flipped', (b) => { const c = Buffer.from(b); c[c.length - 20]! ^= 1; return c; }],
    ['tag flipped', (b) => { const c = Buffer.from(b); c[c.length - 1]! ^= 0x80; return c; }],
    ['truncated by one byte', (b) => b.subarray(0, b.length - 1)],
    ['torn to the header', (b) => b.subarray(0, 5)],
    ['empty file', () => Buffer.alloc(0)],
    ['version byte changed', (b) => { const c = Buffer.from(b); c[4] = 2; return c; }],
    ['wrong magic', (b) => { const c = Buffer.from(b); c[0] = 0x58; return c; }],
  ];
  for (const [name, mutate] of mutations) {
    const { layout, make } = await setup(t);
    const a = make();
    await opened(a);
    await a.set('deviceName', 'Kitchen');
    const original = await readFile(layout.secureStore);
    const mutated = mutate(original);
    await writeFile(layout.secureStore, mutated);
    const b = make();
    const r = await opened(b);
    t.same(r.issues.map((i) => i.code), ['store_corrupt'], name);
    t.same(b.snapshot(), {}, `${name}: starts empty`);
    t.same(await readFile(`${layout.secureStore}.bad`), mutated, `${name}: bad file kept aside byte for byte`);
    await b.set('deviceName', 'Hall');
    t.equal((await opened(make())).issues.length, 0, `${name}: writable again with the same DEK`);
  }
});

t.test('a store.bin encrypted under the same DEK but for another version header does not open (AAD covers it)', async (t) => {
  const { layout, make } = await setup(t);
  const a = make();
  await opened(a);
  await a.set('deviceName', 'Kitchen');
  const file = await readFile(layout.secureStore);
  // Pretend a future version 2 wrote it: header says 2, AAD was computed over 1.
  file[4] = 2;
  await writeFile(layout.secureStore, file);
  const r = await opened(make());
  t.equal(r.issues[0]?.code, 'store_corrupt');
  t.match(r.issues[0]?.message ?? '', /version 2/);
});

t.test('tampered or truncated store.key is store_key_invalid; missing store.key with a store is store_key_missing', async (t) => {
  {
    const { layout, make } = await setup(t);
    const a = make();
    await opened(a);
    await a.set('deviceName', 'Kitchen');
    const key = await readFile(layout.secureStoreKey);
    await writeFile(layout.secureStoreKey, key.subarray(0, key.length - 3));
    const r = await opened(make());
    t.same(r.issues.map((i) => i.code), ['store_key_invalid']);
  }
  {
    const { layout, make } = await setup(t);
    const a = make();
    await opened(a);
    await a.set('deviceName', 'Kitchen');
    await unlink(layout.secureStoreKey);
    const b = make();
    const r = await opened(b);
    t.same(r.issues.map((i) => i.code), ['store_key_missing']);
    t.same(await readdir(layout.secureDir), ['store.bin.bad']);
  }
});

t.test('a decrypted document with an unknown key is store_corrupt (schema enforced on read too)', async (t) => {
  const { layout, make, keys } = await setup(t);
  const a = make();
  await opened(a);
  await a.set('deviceName', 'Kitchen');
  // Re-seal a document with an unknown key using the real format, as a buggy writer would.
  const { sealDocument, unwrapDataKey, deriveStoreKek } = await import('../../../src/store/store-format.js');
  const kek = deriveStoreKek(await keys.keyMaterial(), DEVICE);
  const dek = unwrapDataKey(kek, await readFile(layout.secureStoreKey), DEVICE);
  if (!dek.ok) throw new Error('unwrap');
  await writeFile(layout.secureStore, sealDocument(dek.plaintext, JSON.stringify({ deviceName: 'x', email: 'a@b' }), DEVICE));
  const r = await opened(make());
  t.same(r.issues.map((i) => i.code), ['store_corrupt']);
  t.match(r.issues[0]?.message ?? '', /unknown key email/);
});

t.test('concurrent writes are serialised: every one lands, the file is always whole', async (t) => {
  const { make } = await setup(t);
  const s = make();
  await opened(s);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < 25; i++) {
    writes.push(s.set('deviceName', `Camera ${i}`));
    if (i % 5 === 0) writes.push(s.set('binding', { ...binding, token: `token-${i}` }));
  }
  writes.push(s.set('wifi', { ...wifi, password: 'too' }).catch(() => undefined)); // a failing write in the middle does not stall the queue
  writes.push(s.set('wifi', wifi));
  await Promise.all(writes);
  t.equal(s.get('deviceName'), 'Camera 24');
  const again = make();
  await opened(again);
  t.same(again.snapshot(), { deviceName: 'Camera 24', binding: { ...binding, token: 'token-20' }, wifi });
});

t.test('erase() crypto-erases, then the same instance works again with a fresh DEK', async (t) => {
  const { layout, make } = await setup(t);
  const s = make();
  await opened(s);
  await s.set('deviceName', 'Kitchen');
  const oldKey = await readFile(layout.secureStoreKey);
  const result = await s.erase();
  t.ok(result.removed.includes(layout.secureStoreKey));
  t.same(s.snapshot(), {});
  t.same(await readdir(layout.secureDir), []);
  await s.set('deviceName', 'Hall');
  t.notSame(await readFile(layout.secureStoreKey), oldKey, 'a new wrapped DEK');
  const again = make();
  t.same((await opened(again)).issues, []);
  t.same(again.snapshot(), { deviceName: 'Hall' });
});

t.test('cost of one store write (seal + atomic write with fsyncs)', async (t) => {
  const { make } = await setup(t);
  const s = make();
  await opened(s);
  await s.set('wifi', wifi);
  const runs = 20;
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) await s.set('deviceName', `Camera ${i}`);
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / runs;
  t.comment(`PersonalDataStore.set: ${ms.toFixed(2)} ms per write`);
  t.ok(ms < 1000);
});

t.test('isStoreError narrows by code', async (t) => {
  const { make } = await setup(t);
  const s = make();
  await opened(s);
  const err = await s.set('deviceName', '').catch((e: unknown) => e);
  t.ok(isStoreError(err, 'store_invalid_value'));
  t.notOk(isStoreError(err, 'store_corrupt'));
});

t.test('the spool key: derived from the DEK, stable across reopen, made only on request, gone with erase', async (t) => {
  const { layout, make } = await setup(t);
  const a = make();
  await opened(a);
  t.equal(await a.purposeKey('snapshot-spool', { create: false }), null, 'no DEK yet: reading makes no key');
  await t.rejects(readFile(layout.secureStoreKey), 'and no key file');
  const k1 = await a.purposeKey('snapshot-spool', { create: true });
  t.equal(k1?.length, 32);
  const wrapped = await readFile(layout.secureStoreKey);
  t.equal(wrapped.indexOf(Buffer.from(k1!)), -1, 'the derived key itself is never on disk');
  const b = make();
  await opened(b);
  t.same(await b.purposeKey('snapshot-spool', { create: false }), k1, 'the same key after a restart (spooled entries stay readable)');
  await b.set('deviceName', 'Porch');
  t.same(await b.purposeKey('snapshot-spool', { create: false }), k1, 'a store write keeps the DEK');
  await b.erase();
  t.equal(await b.purposeKey('snapshot-spool', { create: false }), null, 'after erase there is no key');
  const k2 = await b.purposeKey('snapshot-spool', { create: true });
  t.notSame(k2, k1, 'a new DEK gives a new key: old spool bytes stay noise');
});
