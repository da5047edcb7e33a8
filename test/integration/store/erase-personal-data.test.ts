import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pino } from 'pino';
import { PersonalDataStore } from '../../../src/store/personal-data-store.js';
import { erasePersonalData } from '../../../src/store/erase-personal-data.js';
import { deriveStoreKek, unwrapDataKey } from '../../../src/store/store-format.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { SimKeySource } from '../../../src/hal/sim/sim-key-source.js';
import { FACTORY_FILES } from '../../../src/identity/factory-layout.js';
import type { Logger } from '../../../src/log/logger.js';
import { tempDir } from '../../helpers/tmp.js';

const DEVICE = 'cam-0123456789abcdef';
const logger: Logger = pino({ level: 'silent' });

/** Every regular file under `dir`, recursively, with its bytes. */
async function allFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.set(relative(dir, p), await readFile(p));
    }
  }
  await walk(dir);
  return out;
}

async function fingerprint(dir: string): Promise<Record<string, string>> {
  const files = await allFiles(dir);
  const out: Record<string, string> = {};
  for (const [name, bytes] of files) {
    const mode = (await stat(join(dir, name))).mode & 0o7777;
    out[name] = `${mode.toString(8)}:${createHash('sha256').update(bytes).digest('hex')}`;
  }
  return out;
}

/** Unique markers, searched for as UTF-8 and in the encodings the store uses. */
function sentinel(tag: string): string {
  return `SENTINEL-${tag}-${randomBytes(6).toString('hex')}`;
}

function findings(files: Map<string, Buffer>, needles: string[]): string[] {
  const hits: string[] = [];
  for (const [name, bytes] of files) {
    for (const n of needles) {
      for (const form of [Buffer.from(n, 'utf8'), Buffer.from(Buffer.from(n).toString('base64')), Buffer.from(n, 'utf16le')]) {
        if (bytes.includes(form)) hits.push(`${n} in ${name}`);
      }
    }
  }
  return hits;
}

t.test('erase leaves no planted sentinel anywhere under the data dir and the factory partition untouched', async (t) => {
  const dataDir = await tempDir(t, 'erase-data-');
  const factoryDir = await tempDir(t, 'erase-factory-');
  const layout = dataLayout(dataDir);

  // A factory partition stand-in: every contract file with random content and factory modes.
  for (const [key, name] of Object.entries(FACTORY_FILES)) {
    const secret = ['privateKey', 'apPassphrase', 'deviceSecret'].includes(key);
    await writeFile(join(factoryDir, name), randomBytes(64), { mode: secret ? 0o600 : 0o444 });
  }
  const factoryBefore = await fingerprint(factoryDir);

  const keys = new SimKeySource({ dataDir });
  const store = new PersonalDataStore({ layout, keys, deviceId: DEVICE, logger });
  const opened = await store.open();
  t.ok(opened.ok);

  const s = {
    ssid: sentinel('SSID'),
    wifiPassword: sentinel('WIFIPASS'),
    token: sentinel('TOKEN'),
    deviceName: sentinel('NAME'),
    spool: sentinel('SPOOL'),
    spoolNested: sentinel('SPOOLNESTED'),
    log: sentinel('LOG'),
    config: sentinel('CONFIG'),
    lastGood: sentinel('LASTGOOD'),
  };
  await store.set('wifi', { ssid: Buffer.from(s.ssid).toString('base64'), password: s.wifiPassword, hidden: true, security: 'WPA' });
  await store.set('binding', { token: s.token, region: 'EU', boundAt: new Date().toISOString() });
  await store.set('deviceName', s.deviceName);

  await mkdir(join(layout.spoolDir, '2025-05-01'), { recursive: true });
  await writeFile(join(layout.spoolDir, 'alarm-1.jpg'), `JFIF...${s.spool}...`);
  await writeFile(join(layout.spoolDir, '2025-05-01', 'alarm-2.json'), JSON.stringify({ note: s.spoolNested }));
  await mkdir(layout.logsDir, { recursive: true });
  await writeFile(join(layout.logsDir, 'agent.log'), `{"msg":"joined ${s.log}"}\n`);
  await writeFile(layout.runtimeConfig, JSON.stringify({ device: { name: s.config } }));
  await writeFile(layout.runtimeConfigLastGood, JSON.stringify({ device: { name: s.lastGood } }));

  const needles = Object.values(s);
  const before = await allFiles(dataDir);
  const storeNeedles = [s.ssid, s.wifiPassword, s.token, s.deviceName];
  t.same(findings(before, storeNeedles), [], 'store fields are never on disk in clear');
  t.ok(findings(before, [s.spool, s.log, s.config]).length >= 3, 'the scanner does find plaintext sentinels');

  // Keep what an attacker would want: the DEK as it was, to prove it is gone afterwards.
  const kek = deriveStoreKek(await keys.keyMaterial(), DEVICE);
  const oldDek = unwrapDataKey(kek, await readFile(layout.secureStoreKey), DEVICE);
  t.ok(oldDek.ok);
  const oldDekBytes = oldDek.ok ? Buffer.from(oldDek.plaintext) : Buffer.alloc(0);
  const hardwareSecret = await readFile(layout.simHardwareSecret);

  const result = await store.erase();
  t.same(
    result.removed.map((p) => relative(dataDir, p)).sort(),
    ['config.json', 'config.last-good.json', 'logs/agent.log', 'secure/store.bin', 'secure/store.key', 'spool/2025-05-01', 'spool/alarm-1.jpg'],
    'key, store, spool, logs and runtime config removed',
  );

  const after = await allFiles(dataDir);
  t.same(findings(after, needles), [], 'no sentinel in any remaining file');
  for (const [name, bytes] of after) t.notOk(bytes.includes(oldDekBytes), `old DEK not in ${name}`);
  t.same([...after.keys()].sort(), ['sim/hardware-secret'], 'only the simulated hardware secret remains');
  t.same(await readFile(layout.simHardwareSecret), hardwareSecret, 'the (simulated) hardware secret is kept');
  t.same(await readdir(layout.spoolDir), [], 'spool dir kept, empty');
  t.same(await readdir(layout.logsDir), [], 'logs dir kept, empty');
  t.same(await fingerprint(factoryDir), factoryBefore, 'factory partition byte-identical, modes too');
  t.same(store.snapshot(), {}, 'the open store is empty');

  // Idempotent.
  t.same(await erasePersonalData(layout), { removed: [] });
  t.same(await fingerprint(factoryDir), factoryBefore);

  // A new store works with a fresh DEK.
  await store.set('deviceName', 'After reset');
  const fresh = new PersonalDataStore({ layout, keys: new SimKeySource({ dataDir }), deviceId: DEVICE, logger });
  const r = await fresh.open();
  t.same(r.ok && r.issues, []);
  t.equal(fresh.get('deviceName'), 'After reset');
  const newDek = unwrapDataKey(kek, await readFile(layout.secureStoreKey), DEVICE);
  t.ok(newDek.ok && !Buffer.from(newDek.plaintext).equals(oldDekBytes), 'fresh DEK, not the old one');
});

t.test('erase on a data dir that never had personal data does nothing and does not throw', async (t) => {
  const layout = dataLayout(join(await tempDir(t, 'erase-empty-'), 'never-created'));
  t.same(await erasePersonalData(layout), { removed: [] });
});

t.test('erase also removes set-aside bad copies and stray temp files of the key', async (t) => {
  const dataDir = await tempDir(t, 'erase-bad-');
  const layout = dataLayout(dataDir);
  await mkdir(layout.secureDir, { recursive: true });
  const marker = sentinel('BADCOPY');
  await writeFile(`${layout.secureStore}.bad`, marker);
  await writeFile(`${layout.secureStoreKey}.bad`, marker);
  await writeFile(join(layout.secureDir, '.store.key.123.abcd.tmp'), marker);
  await writeFile(join(dataDir, '.config.json.123.abcd.tmp'), marker);
  await writeFile(join(dataDir, 'device-state.json'), '{"bound":true}');
  await erasePersonalData(layout);
  const after = await allFiles(dataDir);
  t.same(findings(after, [marker]), []);
  t.same([...after.keys()], ['device-state.json'], 'device-state.json belongs to the lifecycle, not erased here');
});
