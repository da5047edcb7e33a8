import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { SerialQueue } from '../core/serial-queue.js';
import type { Service } from '../core/service.js';
import type { LiveConfig } from '../config/live-config.js';
import type { OpHandlers, OpOutcome } from '../cloud/ops.js';
import type { Logger } from '../log/logger.js';
import { removeStaleTempFiles, writeFileAtomic } from '../storage/atomic-file.js';
import { downloadImage } from './image-download.js';
import { verifyImage } from './image-verify.js';
import { runInstaller, runMarkGood } from './installer.js';
import { advance, newRecord, recordProblem, resumeAction } from './job-machine.js';
import { canonicalManifest, parseOtaJob } from './ota-job.js';
import { ProgressMeter } from './progress.js';
import { verifyManifest, type trustedKeys } from './signature.js';
import type { UpdateLock } from './update-lock.js';
import { updateDirection } from './version.js';
import { FINAL_STATES, type OtaError, type OtaJob, type OtaProgress, type OtaRecord, type OtaState } from './types.js';

/**
 * Firmware updates as a feature: takes jobs from the cloud (request op
 * `ota.start`), runs each through
 *
 *   queued → downloading → verifying → installing → rebooting → confirming → succeeded
 *                                                        (any step) → failed;  → rolled-back
 *
 * persisting the job record atomically before every step, so a crash, a
 * power cut or the reboot the update itself causes resumes where it left
 * off (job-machine.ts decides how). Verified images are handed to the
 * configured installer (RAUC, SWUpdate, an A/B script; never a shell
 * string); the install and the reboot wait for the update lock (talkback,
 * a technician at the console). After the reboot the new version must be
 * running and healthy (cloud link up, video frames arriving) within
 * ota.confirmTimeoutS before the slot is marked good; otherwise the job
 * fails and the bootloader's counter rolls the camera back.
 *
 * Every state and the download's progress go out as `ota` events; `info`
 * carries the current job (infoFields()).
 */
type TrustedKeys = ReturnType<typeof trustedKeys>;

export interface OtaServiceDeps {
  config: LiveConfig;
  clock: Clock;
  logger: Logger;
  /** job.json (atomic) and the default spool folder (data-layout.ts). */
  jobFile: string;
  defaultSpoolDir: string;
  /** The running firmware version and the device's model. */
  device: () => Promise<{ firmwareVersion: string; model: string }>;
  /** Changes exactly when the board reboots (boot-id.ts). */
  bootId: () => Promise<string>;
  keys: () => Promise<TrustedKeys>;
  lock: UpdateLock;
  reboot: (reason: string) => Promise<void>;
  /** The confirm step's health check, asked repeatedly until it passes or the deadline. */
  health: () => { ok: boolean; failing: string[] };
  publishEvent: (type: string, data: Record<string, unknown>, priority: 'high' | 'low') => Promise<unknown>;
  /** Called when the job's state changes, so `info` can be republished. */
  onChange?: () => void;
}

/** Health is polled this often while confirming. */
const HEALTH_POLL_MS = 2_000;

export class OtaService implements Service {
  readonly name = 'ota';
  readonly #deps: OtaServiceDeps;
  #record: OtaRecord | null = null;
  #running: Promise<void> | null = null;
  readonly #accepting = new SerialQueue();
  #abort = new AbortController();
  #stopped = false;
  #lastProgress: OtaProgress | null = null;

  constructor(deps: OtaServiceDeps) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#abort = new AbortController();
    // A SIGKILL or power cut inside writeFileAtomic(job.json) leaves its temp file behind, and no
    // other start-up step looks in this folder: without this each one would stay on flash for good.
    await removeStaleTempFiles(dirname(this.#deps.jobFile));
    const record = await this.#load();
    if (!record) return;
    this.#record = record;
    if (FINAL_STATES.has(record.state)) return;
    const [bootId, device] = await Promise.all([this.#deps.bootId(), this.#deps.device()]);
    const action = resumeAction(record, {
      bootId,
      runningVersion: device.firmwareVersion,
      now: this.#deps.clock.now(),
      confirmDeadlineMs: this.#deps.config.current.ota.confirmTimeoutS * 1000,
    });
    this.#deps.logger.info({ jobId: record.job.jobId, state: record.state, action: action.kind }, 'ota: resuming the persisted job');
    this.#launch(() => this.#resume(action, bootId));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
  }

  /** Whether a job is between queued and confirming (the agent must not be restarted for config meanwhile, for instance). */
  busy(): boolean {
    return this.#record !== null && !FINAL_STATES.has(this.#record.state);
  }

  /** The job as `info` shows it: where it is, and how the last one ended. */
  infoFields(): Record<string, unknown> | null {
    const r = this.#record;
    if (!r) return null;
    return {
      jobId: r.job.jobId,
      state: r.state,
      fromVersion: r.fromVersion,
      toVersion: r.job.version,
      updatedAt: r.updatedAt,
      ...(this.#lastProgress && (r.state === 'downloading' || r.state === 'installing') ? { progress: this.#lastProgress } : {}),
      ...(r.error ? { error: r.error } : {}),
    };
  }

  ops(): OpHandlers {
    // One acceptance at a time: #accept awaits (device facts, keys, boot id) before it saves the
    // record, so two copies of one job arriving together — the broker's queued copy for a camera
    // that was down plus the cloud's retry — would both pass the duplicate check and launch the
    // pipeline twice; the second run then fails the job with an illegal transition. Found by
    // test/resilience/faults/kill-ota.test.ts.
    return { 'ota.start': (args) => this.#accepting.run(() => this.#accept(args)) };
  }

  /** Validate a job and queue it; the op answers before the download starts. */
  async #accept(args: Record<string, unknown>): Promise<OpOutcome> {
    const cfg = this.#deps.config.current.ota;
    if (!cfg.enabled) return refuse('ota_disabled', 'firmware updates are switched off (ota.enabled)');
    const parsed = parseOtaJob(args, { now: this.#deps.clock.now(), maxImageBytes: cfg.maxImageBytes });
    if (!parsed.ok) return refuse(parsed.code, parsed.message);
    const job = parsed.job;
    const current = this.#record;
    // A redelivered job (same id) is never run twice: answer with where it is.
    if (current && current.job.jobId === job.jobId) return { ok: true, data: { jobId: job.jobId, state: current.state, duplicate: true } };
    if (current && !FINAL_STATES.has(current.state)) return refuse('busy', `job ${current.job.jobId} is ${current.state}`);
    const device = await this.#deps.device();
    // Everything that can be decided without the image is decided now: nothing is downloaded for a job that cannot be installed.
    const problem = await this.#manifestProblem(job, device);
    if (problem) return refuse(problem.code, problem.message);
    const record = newRecord(job, device.firmwareVersion, await this.#deps.bootId(), this.#deps.clock.now());
    await this.#save(record);
    await this.#report(record);
    this.#launch(() => this.#fromDownload());
    return { ok: true, data: { jobId: job.jobId, state: record.state, fromVersion: record.fromVersion, toVersion: job.version } };
  }

  /** Signature, model and version: the same checks before the download and again before the install. */
  async #manifestProblem(job: OtaJob, device: { firmwareVersion: string; model: string }): Promise<OtaError | null> {
    const keys = await this.#deps.keys();
    const signed = verifyManifest(canonicalManifest(job), job.signature, keys.keys, job.keyId);
    if (!signed.ok) return { code: signed.code, message: signed.message };
    if (!job.compatible.includes(device.model)) return { code: 'incompatible_model', message: `the image is for ${job.compatible.join(', ')}, this camera is a ${device.model}` };
    const direction = updateDirection(device.firmwareVersion, job.version, job.downgrade);
    if (direction === 'same') return { code: 'same_version', message: `${job.version} is already running` };
    if (direction === 'downgrade-refused') return { code: 'downgrade_refused', message: `${job.version} is older than the running ${device.firmwareVersion} and the job does not allow a downgrade` };
    return null;
  }

  #launch(work: () => Promise<void>): void {
    const run = (this.#running ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.#deps.logger.error({ err }, 'ota: job runner failed');
      return this.#fail({ code: 'internal_error', message: err instanceof Error ? err.message : String(err) }).catch(() => undefined);
    });
    this.#running = run;
  }

  async #resume(action: ReturnType<typeof resumeAction>, bootId: string): Promise<void> {
    switch (action.kind) {
      case 'none':
        return;
      case 'download':
        return this.#fromDownload();
      case 'verify':
        return this.#fromVerify();
      case 'install':
        return this.#fromInstall();
      case 'reboot':
        return this.#reboot();
      case 'confirm':
        return this.#confirm(bootId);
      case 'rolled-back':
        await this.#to('rolled-back', { error: { code: 'rolled_back', message: action.reason } });
        return;
      case 'failed':
        return this.#fail({ code: action.code, message: action.reason });
    }
  }

  #spool(): { dir: string; file: string } {
    const dir = this.#deps.config.current.ota.spoolDir || this.#deps.defaultSpoolDir;
    return { dir, file: join(dir, 'image.bin') };
  }

  async #fromDownload(): Promise<void> {
    const record = this.#mustRecord();
    const cfg = this.#deps.config.current.ota;
    if (record.state !== 'downloading') await this.#to('downloading', { attempts: record.attempts + 1 });
    const { dir, file } = this.#spool();
    await mkdir(dir, { recursive: true });
    const meter = new ProgressMeter({ totalBytes: record.job.size });
    let ca: Buffer | undefined;
    if (cfg.caFile) ca = await readFile(cfg.caFile);
    const result = await downloadImage({
      url: record.job.url,
      file,
      expectedSize: record.job.size,
      maxBytes: cfg.maxImageBytes,
      minFreeBytes: Math.max(cfg.minFreeBytes, record.job.minFreeBytes ?? 0),
      ...(ca ? { ca } : {}),
      clock: this.#deps.clock,
      logger: this.#deps.logger,
      signal: this.#abort.signal,
      onProgress: (bytes) => {
        const p = meter.update(bytes, this.#deps.clock.monotonic());
        if (p) void this.#progress(p);
      },
    });
    if (this.#stopped) return;
    if (!result.ok) {
      // A presigned URL that expired answers 403: the cloud must send the job again with a fresh one.
      const code = result.code === 'http_403' ? 'url_expired' : result.code;
      return this.#fail({ code, message: result.message });
    }
    await this.#progress(meter.current(this.#deps.clock.monotonic()));
    await this.#to('verifying', { bytes: result.bytes });
    return this.#fromVerify();
  }

  async #fromVerify(): Promise<void> {
    const record = this.#mustRecord();
    if (record.state !== 'verifying') await this.#to('verifying');
    const problem = await this.#manifestProblem(record.job, { ...(await this.#deps.device()), firmwareVersion: record.fromVersion });
    if (problem) return this.#fail(problem);
    const { file } = this.#spool();
    const checked = await verifyImage(file, { size: record.job.size, sha256: record.job.sha256 });
    if (this.#stopped) return;
    if (!checked.ok) {
      // A bad image is never resumed into: the next attempt downloads from scratch.
      await rm(file, { force: true });
      return this.#fail({ code: checked.code, message: checked.message });
    }
    await this.#to('installing');
    return this.#fromInstall();
  }

  async #fromInstall(): Promise<void> {
    const record = this.#mustRecord();
    if (record.state !== 'installing') await this.#to('installing');
    const cfg = this.#deps.config.current.ota;
    if (!(await this.#awaitLock('install'))) return;
    const { file } = this.#spool();
    const meter = new ProgressMeter({ totalBytes: 100 });
    const installed = await runInstaller({
      argvTemplate: cfg.installer.command,
      image: file,
      timeoutMs: cfg.installer.timeoutS * 1000,
      logger: this.#deps.logger,
      clock: this.#deps.clock,
      // Stopping the agent stops the installer; the persisted "installing" re-runs it at the next start.
      signal: this.#abort.signal,
      onPercent: (percent: number) => {
        const p = meter.update(percent, this.#deps.clock.monotonic());
        if (p) void this.#progress(p);
      },
    });
    if (this.#stopped) return;
    if (!installed.ok) return this.#fail({ code: installed.code, message: installed.message });
    await rm(file, { force: true });
    await this.#to('rebooting');
    return this.#reboot();
  }

  /** Reboot at a safe moment: not while the update lock is held. The persisted state says "rebooting" first. */
  async #reboot(): Promise<void> {
    if (!(await this.#awaitLock('reboot'))) return;
    this.#deps.logger.warn({ jobId: this.#mustRecord().job.jobId }, 'ota: rebooting into the new firmware');
    await this.#deps.reboot(`firmware update ${this.#mustRecord().job.version}`);
  }

  /** After the reboot: the new version runs; healthy within the deadline → mark good → succeeded. */
  async #confirm(bootId: string): Promise<void> {
    let record = this.#mustRecord();
    const now = this.#deps.clock.now();
    if (record.state !== 'confirming') {
      await this.#to('confirming', { bootId, confirmingSince: now });
      record = this.#mustRecord();
    }
    const cfg = this.#deps.config.current.ota;
    const deadline = (record.confirmingSince ?? now) + cfg.confirmTimeoutS * 1000;
    let failing: string[] = [];
    for (;;) {
      if (this.#stopped) return;
      const health = this.#deps.health();
      if (health.ok) break;
      failing = health.failing;
      if (this.#deps.clock.now() >= deadline) {
        // Not marked good: the bootloader's counter falls back to the old slot.
        return this.#fail({ code: 'health_check_failed', message: `not healthy within ${cfg.confirmTimeoutS} s: ${failing.join(', ')}` });
      }
      await sleep(this.#deps.clock, HEALTH_POLL_MS, this.#abort.signal);
    }
    const marked = await runMarkGood({ argvTemplate: cfg.installer.markGoodCommand, timeoutMs: 60_000, logger: this.#deps.logger, clock: this.#deps.clock, signal: this.#abort.signal });
    if (this.#stopped) return;
    if (!marked.ok) return this.#fail({ code: marked.code, message: marked.message });
    await this.#to('succeeded');
  }

  async #awaitLock(step: 'install' | 'reboot'): Promise<boolean> {
    const held = this.#deps.lock.held();
    if (held.length === 0) return true;
    this.#deps.logger.info({ step, holders: held }, 'ota: waiting for the update lock');
    const r = await this.#deps.lock.waitUntilFree({
      clock: this.#deps.clock,
      maxWaitMs: this.#deps.config.current.ota.lockMaxDeferS * 1000,
      signal: this.#abort.signal,
      // The cloud (and the app) see who the update waits for, each time that changes.
      onWaiting: (holders) => void this.#report(this.#mustRecord(), { waitingFor: holders }),
    });
    if (this.#stopped) return false;
    if (!r.ok) {
      await this.#fail({ code: 'update_locked', message: `still in use after ${this.#deps.config.current.ota.lockMaxDeferS} s: ${r.holders.join(', ')}` });
      return false;
    }
    return true;
  }

  async #fail(error: OtaError): Promise<void> {
    const record = this.#record;
    if (!record || FINAL_STATES.has(record.state)) return;
    this.#deps.logger.warn({ jobId: record.job.jobId, state: record.state, code: error.code, message: error.message }, 'ota: job failed');
    await this.#to('failed', { error });
  }

  /** Persist, then report: a state is never announced that a crash could lose. */
  async #to(state: OtaState, patch: Partial<OtaRecord> = {}): Promise<void> {
    const next = advance(this.#mustRecord(), state, this.#deps.clock.now(), patch);
    await this.#save(next);
    this.#lastProgress = null;
    this.#deps.logger.info({ jobId: next.job.jobId, state, toVersion: next.job.version, code: next.error?.code }, `ota: ${state}`);
    await this.#report(next);
  }

  async #progress(p: OtaProgress): Promise<void> {
    this.#lastProgress = p;
    const record = this.#record;
    if (record) await this.#report(record, { progress: p });
  }

  async #report(record: OtaRecord, extra: Record<string, unknown> = {}): Promise<void> {
    this.#deps.onChange?.();
    const final = FINAL_STATES.has(record.state);
    const data = {
      jobId: record.job.jobId,
      state: record.state,
      fromVersion: record.fromVersion,
      toVersion: record.job.version,
      ...(record.error ? { error: record.error } : {}),
      ...extra,
    };
    await this.#deps.publishEvent('ota', data, final ? 'high' : 'low').catch((err: unknown) => this.#deps.logger.warn({ err }, 'ota: event not sent'));
  }

  #mustRecord(): OtaRecord {
    if (!this.#record) throw new Error('ota: no job');
    return this.#record;
  }

  async #save(record: OtaRecord): Promise<void> {
    await mkdir(join(this.#deps.jobFile, '..'), { recursive: true });
    await writeFileAtomic(this.#deps.jobFile, `${JSON.stringify(record)}\n`);
    this.#record = record;
  }

  async #load(): Promise<OtaRecord | null> {
    let text: string;
    try {
      text = await readFile(this.#deps.jobFile, 'utf8');
    } catch {
      return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const problem = value === undefined ? 'not JSON' : recordProblem(value);
    if (problem) {
      // Atomic writes make this a bug or a disk fault, not a torn write: keep the evidence, start clean.
      this.#deps.logger.error({ file: this.#deps.jobFile, problem }, 'ota: the persisted job is unusable; set aside');
      await writeFileAtomic(`${this.#deps.jobFile}.bad`, text).catch(() => undefined);
      await rm(this.#deps.jobFile, { force: true });
      return null;
    }
    return value as OtaRecord;
  }
}

function refuse(code: string, message: string): OpOutcome {
  return { ok: false, error: { code, message } };
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      timer.cancel();
      resolve();
    }, { once: true });
  });
}
