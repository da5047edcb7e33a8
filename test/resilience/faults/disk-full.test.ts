import t, { type Test } from 'tap';
import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { alarmRig, waitReady, type AlarmRig } from '../../helpers/alarm-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { canMount, smallFs, type SmallFs } from '../lib/env-small-fs.js';
import { count, dumpOnFailure, imageArrived, logs, oneAlarm, persistentObserver } from '../lib/env-clock-rig.js';

/**
 * The data partition fills up (a real tmpfs of a few MB, filled with a
 * filler file until the kernel says ENOSPC) while alarms flow and the cloud
 * writes configuration. The agent must not crash, must say what failed with
 * an error code, must not tear or truncate a file it had (runtime config,
 * device state, outbox, spool), and once space is back it must deliver what
 * it had accepted and accept new work. It must also boot on a full disk.
 */
const full = process.env.CAMERA_AGENT_FULL_RUN === '1';
const FS_BYTES = 24 * 1024 * 1024;
const skip = canMount() ? false : 'needs root to mount a tmpfs';

async function rigOnSmallFs(t: Test, healthIntervalS?: number): Promise<{ r: AlarmRig; fs: SmallFs }> {
  const r = await alarmRig(t);
  const fs = smallFs(t, FS_BYTES);
  const cfg = JSON.parse(await readFile(r.config, 'utf8')) as { data: { dir: string }; cloud: Record<string, unknown> };
  cfg.data.dir = fs.dir;
  if (healthIntervalS) cfg.cloud.healthIntervalS = healthIntervalS;
  await writeFile(r.config, JSON.stringify(cfg));
  return { r, fs };
}

/** Every JSON file the agent keeps in the data root parses (a torn write would not). */
async function jsonFilesIntact(dir: string): Promise<{ ok: string[]; torn: string[] }> {
  const ok: string[] = [];
  const torn: string[] = [];
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.json')) continue;
    try {
      JSON.parse(await readFile(join(dir, name), 'utf8'));
      ok.push(name);
    } catch {
      torn.push(name);
    }
  }
  return { ok, torn };
}

function errorCodes(d: Daemon): string[] {
  return logs(d)
    .filter((l) => l.level === 'warn' || l.level === 'error' || (typeof l.level === 'number' && l.level >= 40))
    .map((l) => `${String(l.code ?? '')} ${JSON.stringify(l.err ?? l.reason ?? '')} ${String(l.msg)}`);
}

t.test('the data partition fills up while alarms flow and config is written: no crash, ENOSPC reported, no torn file, all accepted alarms delivered after space is freed', { skip }, async (t) => {
  const { r, fs } = await rigOnSmallFs(t);
  const observer = await persistentObserver(t, r);
  const d = r.start();
  dumpOnFailure(t, d);
  await waitReady(r, d);
  const set1 = await r.request('config.set', { patch: { device: { language: 'de' } } });
  t.equal(set1.status, 'ok', 'a config change with space applies');
  const configBefore = await readFile(join(fs.dir, 'config.json'), 'utf8');
  const stateBefore = await readFile(join(fs.dir, 'device-state.json'), 'utf8').catch(() => null);

  // Accepted while there was space, not yet delivered (broker down): must survive the full disk.
  await r.broker.stop();
  const accepted = [await oneAlarm(r, d)];
  if (full) accepted.push(await oneAlarm(r, d));

  const filled = fs.fill();
  t.equal(fs.freeBytes(), 0, `the data partition is full (${filled} filler bytes)`);
  const whileFull: string[] = [];
  for (let i = 0; i < (full ? 4 : 1); i++) {
    const raised = count(d, 'alarm raised');
    r.video.enter();
    await d.waitForLogCount('alarm raised', raised + 1, 30_000);
    r.video.leave();
    whileFull.push(logs(d).filter((l) => l.msg === 'alarm raised').at(-1)!.alarmId as string);
    await d.waitForLog('alarm snapshot not spooled', 30_000);
    await new Promise((res) => setTimeout(res, 1_000));
  }
  const codes = errorCodes(d).join('\n');
  t.match(codes, /ENOSPC|spool_io/, 'the failed snapshot write is reported with its code (spool_io / ENOSPC)');

  await r.broker.start();
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online', 60_000, 'online while full');
  const set2 = await r.request('config.set', { patch: { device: { language: 'fr' } } });
  t.equal(set2.status, 'error', 'a config change that cannot be stored is refused');
  t.equal(set2.error?.code, 'config_not_saved', 'with the code config_not_saved (not internal_error)');
  t.match(String(set2.error?.message), /ENOSPC/, 'naming the errno');
  t.equal(await readFile(join(fs.dir, 'config.json'), 'utf8'), configBefore, 'the runtime config file is unchanged, not truncated');
  if (stateBefore !== null) t.equal(await readFile(join(fs.dir, 'device-state.json'), 'utf8'), stateBefore, 'device state unchanged');
  t.equal(d.child.exitCode, null, 'the agent is still running on a full disk');

  // Space back: everything accepted goes out, new work is accepted.
  fs.free();
  for (const id of accepted) {
    await observer.waitFor((m) => m.topic === `cam/${r.deviceId}/event/alarm` && m.json().data.alarmId === id, 60_000, `alarm ${id}`);
  }
  t.pass('every alarm accepted before the disk filled is published');
  let images = 0;
  for (const id of accepted) if (await imageArrived(r, id, 60_000)) images++;
  t.equal(images, accepted.length, 'and its image uploaded');
  const after = await oneAlarm(r, d);
  t.ok(await imageArrived(r, after, 60_000), 'a new alarm after space is freed goes out with its image');
  const set3 = await r.request('config.set', { patch: { device: { language: 'fr' } } });
  t.equal(set3.status, 'ok', 'and a config change applies again');
  const files = await jsonFilesIntact(fs.dir);
  t.same(files.torn, [], `no torn JSON file in the data root (${files.ok.join(', ')})`);
  const leftovers = (await readdir(fs.dir, { recursive: true })).filter((n) => String(n).endsWith('.tmp'));
  t.same(leftovers, [], 'no temp file left behind');
  const eventsWhileFull = observer.messages.filter((m) => m.topic.endsWith('/event/alarm') && whileFull.includes(m.json().data.alarmId as string)).length;
  t.comment(
    `disk full: alarms accepted before ${accepted.length} (published ${accepted.length}, images ${images}), raised while full ${whileFull.length} (events published ${eventsWhileFull}, images 0 by design), ` +
      `error lines ${errorCodes(d).filter((l) => /ENOSPC|spool_io|_io/.test(l)).length}, torn files ${files.torn.length}`,
  );
});

t.test('the agent boots on a full data partition, cleans leftover temp files, reports, and works once space is freed', { skip }, async (t) => {
  const { r, fs } = await rigOnSmallFs(t, full ? 30 : undefined);
  // A first run so the data partition holds real state.
  let d = r.start();
  await waitReady(r, d);
  // SIGTERM as systemd stops it; SIGKILL after 30 s as systemd would (TimeoutStopSec) — the test is about the boot.
  d.child.kill('SIGTERM');
  const stopped = await Promise.race([d.exited.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 30_000))]);
  if (!stopped) {
    t.comment('the agent did not stop within 30 s of SIGTERM; killed');
    d.child.kill('SIGKILL');
    await d.exited;
  }
  // Leftovers of writes killed half way, then no space at all.
  await mkdir(join(fs.dir, 'spool'), { recursive: true });
  const stale = [join(fs.dir, '.config.json.999.deadbeef.tmp'), join(fs.dir, 'spool', '.x.999.deadbeef.tmp')];
  for (const f of stale) await writeFile(f, 'half');
  fs.fill();
  d = r.start();
  dumpOnFailure(t, d);
  await d.waitForLog('agent ready', 60_000);
  t.pass('the agent starts on a full disk');
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online' && m.receivedAt > 0, 60_000, 'online');
  t.equal(d.child.exitCode, null, 'and stays up');
  const names = (await readdir(fs.dir, { recursive: true })).map(String);
  t.notOk(names.includes('spool/.x.999.deadbeef.tmp'), 'the stale spool temp file is removed at start');
  t.notOk(names.includes('.config.json.999.deadbeef.tmp'), 'the stale runtime-config temp file is removed at start');
  if (full) {
    // The cloud learns of it from the periodic health telemetry (storage.freeBytes; the local API's health says storage_full).
    const h = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/health`, 60_000, 'health');
    t.ok(h.json().storage.freeBytes < 5 * 1024 * 1024, `the health telemetry reports the full partition (${h.json().storage.freeBytes} bytes free)`);
  }
  t.comment(`boot on full disk: warnings/errors logged ${errorCodes(d).length}: ${errorCodes(d).slice(0, 5).join(' | ')}`);
  fs.free();
  await waitReady(r, d).catch(() => undefined);
  const id = await oneAlarm(r, d);
  t.ok(await imageArrived(r, id, 60_000), 'after space is freed an alarm goes out with its image');
  const files = await jsonFilesIntact(fs.dir);
  t.same(files.torn, [], 'no torn JSON file');
});
