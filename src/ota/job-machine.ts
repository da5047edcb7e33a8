import { checkJson, type JsonSchema } from '../cloud/json-check.js';
import { jobProblem } from './ota-job.js';
import { type OtaJob, type OtaRecord, type OtaState } from './types.js';
import { compareVersions } from './version.js';

/**
 * The OTA job's state machine as data plus pure functions: which
 * transitions exist, how a record advances, and what to do with a record
 * found at start-up. The service persists the record (atomically) before
 * each step, so every step must be safe to run again.
 *
 *   queued → downloading → verifying → installing → rebooting → confirming → succeeded
 *   every non-final state → failed
 *   rebooting | confirming → rolled-back   (came up in the old version: the bootloader fell back)
 */

export const OTA_STATES: readonly OtaState[] = ['queued', 'downloading', 'verifying', 'installing', 'rebooting', 'confirming', 'succeeded', 'failed', 'rolled-back'];

export const TRANSITIONS: Readonly<Record<OtaState, readonly OtaState[]>> = {
  queued: ['downloading', 'failed'],
  downloading: ['verifying', 'failed'],
  verifying: ['installing', 'failed'],
  installing: ['rebooting', 'failed'],
  rebooting: ['confirming', 'rolled-back', 'failed'],
  confirming: ['succeeded', 'rolled-back', 'failed'],
  succeeded: [],
  failed: [],
  'rolled-back': [],
};

export function canTransition(from: OtaState, to: OtaState): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/**
 * The record after entering `to` at `at`, with `patch` applied (error,
 * bytes, bootId…). state, updatedAt and history are always set here, and
 * confirmingSince when entering confirming, whatever the patch says.
 * Throws RangeError on an illegal transition: that is a bug in the
 * caller, not a runtime condition.
 */
export function advance(record: OtaRecord, to: OtaState, at: number, patch: Partial<OtaRecord> = {}): OtaRecord {
  if (!canTransition(record.state, to)) throw new RangeError(`illegal OTA transition ${record.state} → ${to}`);
  const next: OtaRecord = {
    ...record,
    ...patch,
    state: to,
    updatedAt: at,
    history: [...record.history, { state: to, at }],
  };
  if (to === 'confirming') next.confirmingSince = at;
  return next;
}

/** A new record for an accepted job, before anything is downloaded. */
export function newRecord(job: OtaJob, fromVersion: string, bootId: string, now: number): OtaRecord {
  return {
    formatVersion: 1,
    job,
    state: 'queued',
    fromVersion,
    bytes: 0,
    attempts: 0,
    bootId,
    updatedAt: now,
    history: [{ state: 'queued', at: now }],
  };
}

export type ResumeFailureCode = 'unexpected_version' | 'health_check_timeout' | 'job_expired';

/** What the agent does with a record it finds at start-up. `reason` is for the log. */
export type ResumeAction =
  | { kind: 'none'; reason: string }
  | { kind: 'download'; reason: string }
  | { kind: 'verify'; reason: string }
  | { kind: 'install'; reason: string }
  | { kind: 'reboot'; reason: string }
  /** Run the health checks and mark good; `deadline` is wall-clock ms (confirmingSince + confirmDeadlineMs, or from now when not confirming yet). */
  | { kind: 'confirm'; reason: string; deadline: number }
  | { kind: 'rolled-back'; reason: string }
  | { kind: 'failed'; code: ResumeFailureCode; reason: string };

export interface ResumeFacts {
  /** This boot's id (/proc/sys/kernel/random/boot_id). */
  bootId: string;
  /** The version running now. */
  runningVersion: string;
  /** Wall-clock ms. */
  now: number;
  /** How long confirming may take before the update counts as unhealthy. */
  confirmDeadlineMs: number;
}

/**
 * What to do on start-up with a persisted record — the AWS reboot pattern
 * (lock file with the boot id; after the restart a changed boot id means
 * the reboot happened) combined with the version check of §3.2 step 8.
 *
 * Versions are compared by precedence (compareVersions), so `2.0.0` and
 * `2.0.0+b7` are the same firmware. The target version is checked before
 * the old one: if both compared equal the job could not have been accepted.
 */
export function resumeAction(record: OtaRecord, facts: ResumeFacts): ResumeAction {
  const { job } = record;
  const newBoot = record.bootId !== facts.bootId;
  switch (record.state) {
    case 'succeeded':
    case 'failed':
    case 'rolled-back':
      return { kind: 'none', reason: `the job ended ${record.state}` };
    case 'queued':
      // The deadline is "not started after": a queued job has not started, a downloading one has.
      if (job.deadline <= facts.now) return { kind: 'failed', code: 'job_expired', reason: 'the job was still queued when its deadline passed' };
      return { kind: 'download', reason: 'the job was queued' };
    case 'downloading':
      return { kind: 'download', reason: `resume the download at ${record.bytes} of ${job.size} bytes` };
    case 'verifying':
      return { kind: 'verify', reason: 'verification was interrupted' };
    case 'installing':
      // RAUC and SWUpdate installs into the inactive slot are restartable from scratch; an interrupted one left that slot unbootable, not the running one.
      return { kind: 'install', reason: 'the install was interrupted; installing again' };
    case 'rebooting':
      if (!newBoot) return { kind: 'reboot', reason: 'the agent stopped before the reboot happened' };
      return afterReboot(record, facts, facts.now + facts.confirmDeadlineMs);
    case 'confirming': {
      const since = record.confirmingSince ?? record.updatedAt;
      const deadline = since + facts.confirmDeadlineMs;
      const verdict = afterReboot(record, facts, deadline);
      if (verdict.kind === 'confirm' && deadline <= facts.now) {
        return { kind: 'failed', code: 'health_check_timeout', reason: `the health checks did not pass within ${facts.confirmDeadlineMs} ms` };
      }
      return verdict;
    }
  }
}

function afterReboot(record: OtaRecord, facts: ResumeFacts, deadline: number): ResumeAction {
  const target = record.job.version;
  if (compareVersions(facts.runningVersion, target) === 0) return { kind: 'confirm', reason: `running ${target}; checking health`, deadline };
  if (compareVersions(facts.runningVersion, record.fromVersion) === 0) {
    return { kind: 'rolled-back', reason: `running ${record.fromVersion} again instead of ${target}: the bootloader fell back or the install did not take` };
  }
  return { kind: 'failed', code: 'unexpected_version', reason: `running ${facts.runningVersion}, expected ${target} (or ${record.fromVersion} after a fallback)` };
}

const stateSchema: JsonSchema = { enum: OTA_STATES };
const wallMs: JsonSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

/** The persisted record's shape; the job inside is checked by jobProblem (ota-job.ts). */
export const OTA_RECORD_SCHEMA = {
  type: 'object',
  required: ['formatVersion', 'job', 'state', 'fromVersion', 'bytes', 'attempts', 'bootId', 'updatedAt', 'history'],
  additionalProperties: false,
  properties: {
    formatVersion: { const: 1 },
    job: { type: 'object' },
    state: stateSchema,
    fromVersion: { type: 'string', maxLength: 64 },
    bytes: wallMs,
    attempts: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    bootId: { type: 'string', minLength: 1, maxLength: 64 },
    updatedAt: wallMs,
    confirmingSince: wallMs,
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: { code: { type: 'string', maxLength: 64 }, message: { type: 'string', maxLength: 4096 } },
    },
    history: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: { type: 'object', required: ['state', 'at'], additionalProperties: false, properties: { state: stateSchema, at: wallMs } },
    },
  },
} as const satisfies JsonSchema;

/**
 * Null when `value` (parsed JSON from disk) is a usable record; otherwise
 * what is wrong with it, so a corrupt or foreign file is reported and set
 * aside rather than trusted. Checks the shape, the job, and that the
 * history is a legal path ending in the current state. Times are not
 * checked for order: a camera without an RTC may write a record before NTP
 * has set the clock.
 */
export function recordProblem(value: unknown): string | null {
  const problems = checkJson(OTA_RECORD_SCHEMA, value);
  const first = problems[0];
  if (first) return `${first.path}: ${first.rule}`;
  const r = value as OtaRecord;
  const job = jobProblem(r.job);
  if (job) return `job.${job.message}`;
  if (typeof r.job.downgrade !== 'boolean') return 'job.downgrade: is required in a persisted job';
  if (r.bytes > r.job.size) return `bytes: ${r.bytes} is more than the image size ${r.job.size}`;
  if (r.history[0]!.state !== 'queued') return 'history: does not start with queued';
  for (let i = 1; i < r.history.length; i++) {
    const prev = r.history[i - 1]!;
    const cur = r.history[i]!;
    if (!canTransition(prev.state, cur.state)) return `history[${i}]: ${prev.state} → ${cur.state} is not a legal transition`;
  }
  if (r.history[r.history.length - 1]!.state !== r.state) return 'history: does not end in the current state';
  return null;
}
