import t from 'tap';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { generateKeyPairSync } from 'node:crypto';
import { ManualClock } from '../../../src/core/clock.js';
import { OtaService, type OtaServiceDeps } from '../../../src/ota/ota-service.js';
import { canonicalManifest } from '../../../src/ota/ota-job.js';
import { keyIdOf, signManifest, trustedKeys } from '../../../src/ota/signature.js';
import { UpdateLock } from '../../../src/ota/update-lock.js';
import { tempDir } from '../../helpers/tmp.js';

// Found by test/resilience/faults/kill-ota.test.ts: a SIGKILL inside writeFileAtomic(job.json)
// left `.job.json.<pid>.<hex>.tmp` in data/ota/, and nothing ever removed it.
t.test('start removes the temp files a killed job.json write left, and nothing else', async (t) => {
  const dir = join(await tempDir(t), 'ota');
  await mkdir(join(dir, 'spool'), { recursive: true });
  await writeFile(join(dir, '.job.json.4242.0a1b2c3d.tmp'), '{"jobId":');
  await writeFile(join(dir, 'spool', 'fw-2.1.0.bin'), 'partial download');
  // With no job.json, start() reads nothing else from its dependencies.
  const deps = { jobFile: join(dir, 'job.json'), defaultSpoolDir: join(dir, 'spool'), logger: pino({ level: 'silent' }) } as unknown as OtaServiceDeps;
  const ota = new OtaService(deps);
  await ota.start();
  t.same(await readdir(dir), ['spool'], 'the stale temp file is gone');
  t.same(await readdir(join(dir, 'spool')), ['fw-2.1.0.bin'], 'the resumable download is kept');
  await ota.stop();
});

// Found by test/resilience/faults/kill-ota.test.ts: after a kill the broker's queued copy of a job
// and the cloud's retry reached the restarted agent together; both passed the duplicate check,
// the pipeline ran twice, and the second run failed the job ("illegal OTA transition rebooting →
// downloading").
t.test('two copies of one job arriving together: one is accepted, the other answered duplicate, the job runs once', async (t) => {
  const dir = await tempDir(t);
  const clock = new ManualClock(Date.now());
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keys = trustedKeys([{ name: 'vendor.pem', pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }]);
  const signed = { version: '2.0.0', size: 4096, sha256: 'a'.repeat(64), compatible: ['CAM100'], downgrade: false };
  const job = {
    jobId: 'job-twice',
    ...signed,
    // Nothing listens there: the download fails and waits (on the manual clock) to retry.
    url: 'https://127.0.0.1:9/fw.bin?X-Amz-Signature=abc',
    signature: signManifest(canonicalManifest(signed), privateKey),
    keyId: keyIdOf(publicKey),
    deadline: Date.now() + 3_600_000,
  };
  const events: Array<Record<string, unknown>> = [];
  const config = {
    current: {
      ota: { enabled: true, maxImageBytes: 1024 * 1024, minFreeBytes: 0, spoolDir: '', caFile: '', confirmTimeoutS: 60, lockMaxDeferS: 60, installer: { command: 'true {image}', markGoodCommand: 'true', timeoutS: 60 } },
    },
  };
  const deps = {
    config,
    clock,
    logger: pino({ level: 'silent' }),
    jobFile: join(dir, 'ota', 'job.json'),
    defaultSpoolDir: join(dir, 'ota', 'spool'),
    // Slow facts widen the window between the duplicate check and the save, as a loaded camera does.
    device: async () => {
      await new Promise((res) => setTimeout(res, 20));
      return { firmwareVersion: '1.0.0', model: 'CAM100' };
    },
    bootId: async () => 'boot-1',
    keys: async () => keys,
    lock: new UpdateLock(),
    reboot: async () => undefined,
    health: () => ({ ok: true, failing: [] }),
    publishEvent: async (_type: string, data: Record<string, unknown>) => void events.push(data),
  } as unknown as OtaServiceDeps;
  const ota = new OtaService(deps);
  await ota.start();
  const accept = ota.ops()['ota.start']!;
  const answers = await Promise.all([accept(job, {} as never), accept(job, {} as never)]);
  const data = answers.map((a) => (a as { ok: boolean; data?: Record<string, unknown> }).data);
  t.same(data.map((d) => d?.duplicate === true).sort(), [false, true], 'one accepted, one answered duplicate');
  t.equal(events.filter((e) => e.state === 'queued').length, 1, 'queued once');
  await new Promise((res) => setTimeout(res, 200));
  t.equal(events.filter((e) => e.state === 'downloading' && !e.progress).length, 1, 'the download started once');
  t.notOk(events.some((e) => e.state === 'failed'), 'the job did not fail');
  await ota.stop();
});
