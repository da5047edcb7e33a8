/**
 * What node-wifi 2.0.16 does on Linux, reproduced against the fake nmcli:
 * the reasons wifi-manager-nmcli.ts uses it only to delete the agent's own
 * profiles (provisioning.md §3.2, N1–N9). If a node-wifi upgrade fixes one
 * of these, its test fails and the table in wifi-manager-nmcli.ts can be
 * revisited.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { loadNodeWifi, withNmcliEnv } from '../../../src/network/node-wifi.js';
import { fakeNmcli, type FakeAccessPoint } from '../../helpers/fake-nmcli.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const REPO = new URL('../../../', import.meta.url).pathname;

/** The rest of node-wifi's API, used here only to show what is wrong with it. */
interface NodeWifiFull {
  scan(): Promise<{ ssid: string; mode: string; channel: number | null; quality: number }[]>;
  connect(ap: { ssid: string; password?: string }): Promise<void>;
  getCurrentConnections(): Promise<{ ssid: string }[]>;
  deleteConnection(ap: { ssid: string }): Promise<void>;
}

const nodeWifi = loadNodeWifi() as unknown as NodeWifiFull;

const AP = (ssid: string, n: number, extra: Partial<FakeAccessPoint> = {}): FakeAccessPoint => ({
  ssid,
  bssid: `AA:BB:CC:DD:EE:0${n}`,
  signal: 70 - n,
  chan: 6,
  freq: 2437,
  security: 'WPA2',
  password: 'password1',
  ...extra,
});

t.test('env: require("node-wifi") rewrites the locale of the whole process; loadNodeWifi() puts it back', async (t) => {
  const script = "console.log(JSON.stringify([process.env.LANG ?? null, process.env.LC_ALL ?? null])); require('node-wifi'); console.log(JSON.stringify([process.env.LANG, process.env.LC_ALL, process.env.LC_MESSAGES]));";
  const { NODE_OPTIONS: _n, LC_ALL: _l, LC_MESSAGES: _m, ...base } = process.env;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: REPO, env: { ...base, LANG: 'C.UTF-8' } });
  t.same(stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    ['C.UTF-8', null],
    ['en_US.UTF-8', 'en_US.UTF-8', 'en_US.UTF-8'],
  ]);
  // In this process node-wifi was loaded through the guard at the top of the file.
  t.not(process.env.LC_MESSAGES, 'en_US.UTF-8');
  t.not(process.env.LANG, 'en_US.UTF-8');
});

t.test('N1/N2: connect() sends the literal password "undefined", or an empty one, for open networks', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [AP('Open Net', 1, { security: '', password: undefined })] });
  await withNmcliEnv(fake.env, () => nodeWifi.connect({ ssid: 'Open Net' }));
  await withNmcliEnv(fake.env, () => nodeWifi.connect({ ssid: 'Open Net', password: '' }));
  t.same(fake.calls().map((c) => c.argv), [
    ['-w', '10', 'device', 'wifi', 'connect', 'Open Net', 'password', 'undefined'],
    ['-w', '10', 'device', 'wifi', 'connect', 'Open Net', 'password', ''],
  ]);
});

t.test('N3/N4: scan() shifts every field of an SSID with ":" and leaves "\\" escaped', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [AP('My:Cafe', 1), AP('back\\slash', 2)] });
  const aps = await withNmcliEnv(fake.env, () => nodeWifi.scan());
  t.match(aps[0], { ssid: 'My\\', mode: 'undefined' }, 'N3: the SSID is cut at the colon');
  t.equal(aps[0]?.quality, 2437, 'N3: the frequency lands in "quality" (the signal was 69)');
  t.match(aps[1], { ssid: 'back\\\\slash' }, 'N4');
  t.notOk(fake.calls()[0]?.argv.includes('--rescan'), 'and it never asks for a fresh scan');
});

t.test('N5: getCurrentConnections() crashes the process on an active SSID ending in "\\"', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [AP('abc\\', 1, { active: true })] });
  const script = "const w = require('node-wifi'); w.init({}); w.getCurrentConnections().then(() => console.log('survived'));";
  const err = (await run(process.execPath, ['-e', script], { cwd: REPO, env: fake.env }).then(
    () => null,
    (e: unknown) => e,
  )) as { code?: number; stderr?: string } | null;
  t.ok(err, 'the child died');
  t.match(err?.stderr, /TypeError: Cannot read properties of undefined \(reading 'replace'\)/);
});

t.test('N6: getCurrentConnections() turns "&&" into ":"', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [AP('a&&b', 1, { active: true })] });
  t.match(await withNmcliEnv(fake.env, () => nodeWifi.getCurrentConnections()), [{ ssid: 'a:b' }]);
});

t.test('N7: a failed connect() carries the password in argv and in its error message', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [AP('Home', 1, { password: 'the-right-one' })] });
  const err = (await withNmcliEnv(fake.env, () => nodeWifi.connect({ ssid: 'Home', password: 'wrongpass1' })).then(
    () => null,
    (e: unknown) => e,
  )) as Error | null;
  t.match(err?.message, /^Command failed: nmcli -w 10 device wifi connect Home password wrongpass1\n/);
  t.ok(fake.rawLog().includes('wrongpass1'));
});

t.test('N8: SSIDs and passwords are separate argv items (no shell); N9: a NUL throws before spawning', async (t) => {
  const fake = fakeNmcli(await tempDir(t), { aps: [AP('-rf', 1, { password: 'pa ss;$(id)' })] });
  await withNmcliEnv(fake.env, () => nodeWifi.connect({ ssid: '-rf', password: 'pa ss;$(id)' }));
  t.same(fake.calls()[0]?.argv.slice(5), ['-rf', 'password', 'pa ss;$(id)']);
  const err = (await withNmcliEnv(fake.env, () => nodeWifi.connect({ ssid: 'x\u0000y', password: 'password1' })).then(
    () => null,
    (e: unknown) => e,
  )) as NodeJS.ErrnoException | null;
  t.equal(err?.code, 'ERR_INVALID_ARG_VALUE');
  t.equal(fake.calls().length, 1, 'nmcli did not run for the NUL');
});

t.test('deleteConnection() passes process.env as execFile options: a variable named "shell" would run a shell; the guard removes it', async (t) => {
  const dir = await tempDir(t);
  const fake = fakeNmcli(dir, {});
  const marker = join(dir, 'ran');
  const name = `x; touch ${marker}`;
  // Unguarded, as node-wifi is meant to be used: the environment is the options object.
  const saved = { ...process.env };
  Object.assign(process.env, { PATH: fake.env.PATH, FAKE_NMCLI_STATE: fake.env.FAKE_NMCLI_STATE, FAKE_NMCLI_LOG: fake.env.FAKE_NMCLI_LOG, shell: '/bin/sh' });
  try {
    await nodeWifi.deleteConnection({ ssid: name }).catch(() => undefined);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  t.ok(existsSync(marker), 'without the guard the "name" ran as a shell command');
  const marker2 = join(dir, 'ran2');
  await withNmcliEnv({ ...fake.env, shell: '/bin/sh' }, () => nodeWifi.deleteConnection({ ssid: `x; touch ${marker2}` })).catch(() => undefined);
  t.notOk(existsSync(marker2), 'with withNmcliEnv it is one argv item');
  t.same(fake.calls().at(-1)?.argv, ['connection', 'delete', 'id', `x; touch ${marker2}`]);
  t.equal(process.env.shell, undefined);
});
