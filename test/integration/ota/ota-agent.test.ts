/**
 * Firmware updates end to end on the compiled agent: jobs over real MQTT,
 * images over HTTPS from a local server, the fake installer in RAUC's
 * place, and reboots simulated by restarting the agent with the version
 * and boot id the "bootloader" left (test/helpers/ota-rig.ts).
 */
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { otaRig, type OtaRig } from '../../helpers/ota-rig.js';
import type { Daemon } from '../../helpers/daemon.js';

async function online(r: OtaRig, d: Daemon): Promise<void> {
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online' && m.receivedAt >= startedAt(d), 20_000, 'online');
}

const starts = new WeakMap<Daemon, number>();
function startedAt(d: Daemon): number {
  return starts.get(d) ?? 0;
}
function start(r: OtaRig): Daemon {
  const at = Date.now();
  const d = r.start();
  starts.set(d, at);
  return d;
}

async function restart(r: OtaRig, d: Daemon, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<Daemon> {
  d.child.kill(signal);
  await d.exited;
  const next = start(r);
  await online(r, next);
  return next;
}

t.test('a good image: every state in order, confirmed after the reboot, marked good; a redelivered job is not run twice', async (t) => {
  const r = await otaRig(t);
  let d = start(r);
  await online(r, d);
  const job = await r.job('1.1.0');
  const accepted = await r.request('ota.start', job);
  t.match(accepted, { status: 'ok', data: { jobId: job.jobId, state: 'queued', fromVersion: '1.0.0', toVersion: '1.1.0' } });
  await r.waitForState(job.jobId, 'rebooting');
  await d.waitForLog('reboot requested (simulated board: not rebooting)', 10_000);
  t.equal(await r.markedGood(), null, 'not marked good before the reboot');
  await r.reboot();
  d = await restart(r, d);
  const done = await r.waitForState(job.jobId, 'succeeded', 40_000);
  t.match(done, { fromVersion: '1.0.0', toVersion: '1.1.0' });
  t.equal(await r.runningVersion(), '1.1.0');
  t.equal(await r.markedGood(), '1.1.0', 'the new slot was marked good');
  const states = r.events().filter((e) => e.jobId === job.jobId && !e.progress).map((e) => e.state);
  t.same(states, ['queued', 'downloading', 'verifying', 'installing', 'rebooting', 'confirming', 'succeeded'], 'every state once, in order');
  t.ok(r.events().some((e) => e.jobId === job.jobId && e.progress && e.progress.percent === 100 && e.progress.totalBytes === job.size), 'download progress reported');
  const info = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/info` && m.json().ota?.state === 'succeeded', 10_000, 'info with the job');
  t.match(info.json(), { firmwareVersion: '1.1.0', ota: { jobId: job.jobId, toVersion: '1.1.0' } });
  const requests = r.images.requests.length;
  const again = await r.request('ota.start', job);
  t.match(again, { status: 'ok', data: { jobId: job.jobId, state: 'succeeded', duplicate: true } });
  t.equal(r.images.requests.length, requests, 'nothing downloaded again');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('bad jobs and images are rejected before anything is installed, each with its own code', async (t) => {
  const r = await otaRig(t);
  const d = start(r);
  await online(r, d);
  const other = generateKeyPairSync('ed25519').privateKey;
  const cases: Array<[string, Record<string, any>, string]> = [
    ['wrong key', await r.job('1.2.0', { key: other }), 'unknown_signing_key'],
    ['tampered manifest (version changed after signing)', await r.job('1.2.0', { mutate: (j) => (j.version = '9.9.9') }), 'signature_invalid'],
    ['downgrade without the signer allowing it', await r.job('0.9.0'), 'downgrade_refused'],
    ['the running version again', await r.job('1.0.0'), 'same_version'],
    ['another model', await r.job('1.2.0', { compatible: ['CAM200'] }), 'incompatible_model'],
    ['an expired job', await r.job('1.2.0', { mutate: (j) => (j.deadline = Date.now() - 1000) }), 'job_expired'],
    // The op's argument schema (docs/schemas/request-args.ota.start.json) refuses these before the agent looks at them.
    ['a plain-HTTP URL', await r.job('1.2.0', { mutate: (j) => (j.url = String(j.url).replace('https:', 'http:')) }), 'invalid_args'],
    ['not a job at all', { jobId: 'x', version: 7 }, 'invalid_args'],
  ];
  for (const [what, job, code] of cases) {
    const res = await r.request('ota.start', job);
    t.equal(res.status, 'error', what);
    t.equal(res.error?.code, code, `${what}: ${code}`);
  }
  // Image problems show after the download, in verifying: the job fails, nothing is installed.
  const tampered = await r.job('1.2.0', { image: (b) => Buffer.concat([b.subarray(0, 1000), Buffer.from([b[1000]! ^ 0xff]), b.subarray(1001)]) });
  t.equal((await r.request('ota.start', tampered)).status, 'ok');
  const failed = await r.waitForState(tampered.jobId, 'failed');
  t.equal(failed.error.code, 'sha256_mismatch', 'tampered image: sha256_mismatch');
  const truncated = await r.job('1.2.1', { image: (b) => b.subarray(0, b.length - 4096) });
  t.equal((await r.request('ota.start', truncated)).status, 'ok');
  const cut = await r.waitForState(truncated.jobId, 'failed');
  t.equal(cut.error.code, 'size_mismatch', 'truncated image: size_mismatch');
  await t.rejects(access(join(r.stateDir, 'pending-version')), 'the installer never ran');
  // A downgrade the signer allowed is installed.
  const allowed = await r.job('0.9.0', { downgrade: true });
  t.equal((await r.request('ota.start', allowed)).status, 'ok');
  await r.waitForState(allowed.jobId, 'rebooting');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('a download cut at 30 %, 60 % and 90 % resumes from where it stopped', async (t) => {
  const r = await otaRig(t);
  const d = start(r);
  await online(r, d);
  const job = await r.job('1.3.0', { sizeBytes: 4 * 1024 * 1024 });
  const size = job.size as number;
  // Each cut applies to one response: the connection drops when the image reaches 30 %, then 60 %, then 90 %.
  for (const at of [0.3, 0.6, 0.9]) r.images.cutAfter(at);
  t.equal((await r.request('ota.start', job)).status, 'ok');
  await r.waitForState(job.jobId, 'rebooting', 60_000);
  const ranges = r.images.requests.filter((q: { path: string }) => q.path.startsWith('/images/')).map((q) => q.range ?? null);
  const from = (f: number): string => `bytes=${Math.floor(f * size)}-`;
  t.same(ranges, [null, from(0.3), from(0.6), from(0.9)], 'each retry asked for the rest only');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('SIGKILL at every state boundary: the job resumes and ends confirmed', async (t) => {
  const r = await otaRig(t);
  let d = start(r);
  await online(r, d);
  const boundaries = ['queued', 'downloading', 'verifying', 'installing', 'rebooting', 'confirming'] as const;
  let minor = 0;
  for (const boundary of boundaries) {
    minor++;
    const job = await r.job(`2.${minor}.0`, { sizeBytes: 2 * 1024 * 1024 });
    t.equal((await r.request('ota.start', job)).status, 'ok', `job for ${boundary}`);
    if (boundary === 'confirming') {
      await r.waitForState(job.jobId, 'rebooting');
      await r.reboot();
      d = await restart(r, d);
    }
    await r.waitForState(job.jobId, boundary, 30_000);
    d = await restart(r, d, 'SIGKILL');
    if (boundary !== 'confirming') {
      await r.waitForState(job.jobId, 'rebooting', 60_000);
      // Killed right at "rebooting" (before the reboot call) the restarted agent reboots again.
      await r.reboot();
      d = await restart(r, d);
    }
    await r.waitForState(job.jobId, 'succeeded', 40_000);
    t.equal(await r.runningVersion(), `2.${minor}.0`, `killed at ${boundary}: ${job.version} confirmed`);
    const finals = r.events().filter((e) => e.jobId === job.jobId && ['succeeded', 'failed', 'rolled-back'].includes(e.state));
    t.same(finals.map((e) => e.state), ['succeeded'], `killed at ${boundary}: one final state`);
  }
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('no health after the reboot: failed, not marked good; a bootloader fallback is reported as rolled-back', async (t) => {
  const r = await otaRig(t);
  let d = start(r);
  await online(r, d);
  const job = await r.job('3.0.0');
  t.equal((await r.request('ota.start', job)).status, 'ok');
  await r.waitForState(job.jobId, 'rebooting');
  await r.reboot();
  // The new firmware comes up without a working camera pipeline.
  await r.writeConfig({ video: { input: 'rtsp://127.0.0.1:9/none' }, ota: { confirmTimeoutS: 10 } });
  d = await restart(r, d);
  const failed = await r.waitForState(job.jobId, 'failed', 30_000);
  t.equal(failed.error.code, 'health_check_failed');
  t.match(failed.error.message, /video_frames/);
  t.equal(await r.markedGood(), null, 'not marked good: the bootloader will fall back');
  // The bootloader fell back: the next job's reboot comes up in the old version.
  await r.writeConfig();
  await r.reboot({ rollback: true });
  d = await restart(r, d);
  const next = await r.job('3.1.0');
  t.equal((await r.request('ota.start', next)).status, 'ok');
  await r.waitForState(next.jobId, 'rebooting');
  const before = await r.runningVersion();
  await r.reboot({ rollback: true });
  d = await restart(r, d);
  const rolled = await r.waitForState(next.jobId, 'rolled-back', 30_000);
  t.equal(rolled.error.code, 'rolled_back');
  t.equal(await r.runningVersion(), before, 'still the old version');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('the update lock: the install waits while a talkback session or a technician\'s console is open', async (t) => {
  const r = await otaRig(t, { extra: { api: { enabled: true } } });
  const d = start(r);
  await online(r, d);
  // A push-to-talk session (the simulated board's speaker and microphone) holds the lock.
  const talk = await r.request('talkback.start', { sessionId: 'ota-lock-talk-01', codec: { name: 'pcmu' }, transport: 'mqtt' });
  t.equal(talk.status, 'ok', JSON.stringify(talk.error ?? null));
  const job = await r.job('1.5.0');
  t.equal((await r.request('ota.start', job)).status, 'ok');
  const waiting = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/ota` && m.json().data.jobId === job.jobId && Array.isArray(m.json().data.waitingFor), 20_000, 'waiting for the lock');
  t.same(waiting.json().data.waitingFor, ['talkback']);
  t.equal(waiting.json().data.state, 'installing');
  await t.rejects(access(join(r.stateDir, 'pending-version')), 'not installed while the session runs');
  // A technician opens the console's live view before the talk ends: the lock passes to them.
  const minted = await r.request('api.token', { role: 'technician', subject: 'tech-7', ttlS: 600 });
  const listening = await d.waitForLog('local API and console listening', 5_000);
  const { request } = await import('node:https');
  const events = request(`${String(listening.url)}/v1/events`, { headers: { authorization: `Bearer ${minted.data.token as string}` }, rejectUnauthorized: false });
  const streaming = new Promise<void>((resolve, reject) => {
    events.on('response', (res) => (res.statusCode === 200 ? resolve() : reject(new Error(`events: HTTP ${res.statusCode}`))));
    events.on('error', reject);
  });
  events.end();
  await streaming;
  await r.request('talkback.stop', { sessionId: 'ota-lock-talk-01' });
  const technician = await r.cloud.waitFor(
    (m) => m.topic === `cam/${r.deviceId}/event/ota` && m.json().data.jobId === job.jobId && JSON.stringify(m.json().data.waitingFor) === '["technician"]',
    20_000,
    'waiting for the technician alone',
  );
  t.equal(technician.json().data.state, 'installing', 'the talk ended; the console still holds the install');
  await t.rejects(access(join(r.stateDir, 'pending-version')), 'still not installed while the console is open');
  events.destroy();
  await r.waitForState(job.jobId, 'rebooting', 30_000);
  t.equal((await import('node:fs/promises').then((fs) => fs.readFile(join(r.stateDir, 'pending-version'), 'utf8'))).trim(), '1.5.0', 'installed once both were gone');
  d.child.kill('SIGTERM');
  await d.exited;
});
