import t, { type Test } from 'tap';
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { notifySocket } from '../../helpers/notify-socket.js';
import { startDaemon, childPids } from '../../helpers/daemon.js';

async function setup(t: Test, extra: Record<string, unknown> = {}) {
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      data: { dir: join(dir, 'data') },
      identity: { dir: join(dir, 'factory') },
      hal: { mode: 'sim' },
      video: { input: 'lavfi:testsrc2=size=320x180:rate=10' },
      ...extra,
    }),
  );
  return { dir, config };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`READY=1 when up, watchdog fed while healthy, ${signal} stops cleanly within 5 s`, async (t) => {
    const { dir, config } = await setup(t);
    const sock = await notifySocket(t, dir);
    const d = startDaemon(t, ['run', '--config', config], {
      CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'),
      NOTIFY_SOCKET: sock.path,
      WATCHDOG_USEC: '400000',
    });
    const ready = await sock.waitFor('READY');
    t.equal(ready.fields.MAINPID, String(d.child.pid), 'READY names node as the main process');
    t.match(ready.fields.STATUS, /running, provisioning/);
    await d.waitForLog('agent ready');
    await d.waitForLog('frame source up');
    await sock.waitFor('WATCHDOG', 5000, ready.at);
    const ffmpeg = childPids(d.child.pid!);
    t.ok(ffmpeg.length >= 1, 'ffmpeg runs as a child');

    const sent = performance.now();
    d.child.kill(signal);
    await sock.waitFor('STOPPING', 5000);
    const { code } = await d.exited;
    t.equal(code, 0, 'exit code 0');
    t.ok(performance.now() - sent < 5000, 'stopped within 5 s');
    t.match(d.stdout(), /"msg":"agent stopped"/);
    for (const pid of ffmpeg) t.notOk(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null), `ffmpeg ${pid} is gone`);
  });
}

t.test('an invalid configuration exits 2 naming the field, before READY', async (t) => {
  const { dir, config } = await setup(t, { log: { level: 'chatty' } });
  const sock = await notifySocket(t, dir);
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), NOTIFY_SOCKET: sock.path });
  const { code } = await d.exited;
  t.equal(code, 2);
  t.match(d.stderr(), /log\.level: "chatty" must be one of/);
  t.equal(sock.messages.filter((m) => 'READY' in m.fields).length, 0, 'never reported ready');
});

t.test('a torn runtime config is reported and replaced by the last good copy', async (t) => {
  const { dir, config } = await setup(t);
  const data = join(dir, 'data');
  await mkdir(data);
  await writeFile(join(data, 'config.last-good.json'), JSON.stringify({ device: { language: 'de' } }));
  await writeFile(join(data, 'config.json'), '{"device": {"lang');
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') });
  const warn = await d.waitForLog('runtime configuration was unusable and has been replaced');
  t.equal(warn.level, 'warn');
  t.equal(warn.from, 'last-good');
  t.match(String(warn.reason), /not valid JSON/);
  await d.waitForLog('agent ready');
  t.same(JSON.parse(await readFile(join(data, 'config.json'), 'utf8')), { device: { language: 'de' } });
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('the first boot of a new camera enters provisioning with LED and prompt', async (t) => {
  const { dir, config } = await setup(t);
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') });
  await d.waitForLog('agent ready');
  const lines = d.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.ok(lines.some((l) => l.msg === 'device state changed' && l.to === 'provisioning'));
  t.ok(lines.some((l) => l.led === 'provisioning'));
  t.ok(lines.some((l) => l.prompt === 'waiting-for-wifi'));
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('the daemon stays up with nothing to do until it is told to stop', async (t) => {
  const { dir, config } = await setup(t, { video: { input: '' } });
  const sock = await notifySocket(t, dir);
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '2000000' });
  const ready = await sock.waitFor('READY');
  // Two watchdog periods prove the process is alive and idle, not exited.
  const first = await sock.waitFor('WATCHDOG', 5000, ready.at);
  await sock.waitFor('WATCHDOG', 5000, first.at);
  t.equal(d.child.exitCode, null, 'still running');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('without a usable factory identity the camera still starts, says why, and keeps cloud features off', async (t) => {
  const { dir, config } = await setup(t, { video: { input: '' } });
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') });
  const err = await d.waitForLog(/^factory identity unusable/);
  t.equal(err.level, 'error');
  t.equal(err.code, 'identity_missing');
  const store = await d.waitForLog(/^personal-data store not opened/);
  t.equal(store.code, 'store_unavailable');
  await d.waitForLog('agent ready');
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('a provisioned unit loads its identity and opens its encrypted store', async (t) => {
  const { dir } = await setup(t);
  const { ensureDemoUnit } = await import('../../../src/demo/demo-factory.js');
  const unit = await ensureDemoUnit(dir);
  const config = join(dir, 'unit-config.json');
  await writeFile(config, JSON.stringify({ data: { dir: join(dir, 'data') }, identity: { dir: unit.factoryDir }, hal: { mode: 'sim' } }));
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') });
  const loaded = await d.waitForLog('factory identity loaded');
  t.match(String(loaded.deviceId), /^cam-[0-9a-z]{16}$/);
  await d.waitForLog('agent ready');
  t.notMatch(d.stdout(), /identity unusable|store not opened|store unavailable/);
  d.child.kill('SIGTERM');
  t.equal((await d.exited).code, 0);
});

t.test('a unit with only a CSR (no factory CA) is refused cloud features with its own code', async (t) => {
  const { dir } = await setup(t);
  const { factoryCommand } = await import('../../../src/factory/factory-command.js');
  const unit = join(dir, 'unit');
  t.equal(await factoryCommand(['provision', '--serial', 'TEST00000042', '--model', 'CAM100', '--out', unit], { out: () => undefined, err: () => undefined }), 0);
  const config = join(dir, 'unit-config.json');
  await writeFile(config, JSON.stringify({ data: { dir: join(dir, 'data') }, identity: { dir: join(unit, 'factory') }, hal: { mode: 'sim' } }));
  const d = startDaemon(t, ['run', '--config', config], { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') });
  const err = await d.waitForLog(/^factory identity unusable/);
  t.equal(err.code, 'certificate_missing');
  d.child.kill('SIGTERM');
  await d.exited;
});
