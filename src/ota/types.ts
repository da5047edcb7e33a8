/**
 * Firmware update (OTA) shared types: the job the cloud sends, the states a
 * job goes through and the record persisted before each step. Pure.
 */

/** States of a job, in order; the last three are final. */
export type OtaState = 'queued' | 'downloading' | 'verifying' | 'installing' | 'rebooting' | 'confirming' | 'succeeded' | 'failed' | 'rolled-back';

export const FINAL_STATES: ReadonlySet<OtaState> = new Set(['succeeded', 'failed', 'rolled-back']);

/**
 * A job as the cloud sends it (request op `ota.start`, validated by
 * ota-job.ts). The signature covers the canonical manifest built from
 * version, size, sha256, compatible and downgrade: whoever can change the
 * URL cannot change what gets installed.
 */
export interface OtaJob {
  /** The cloud's job id: a redelivered job with the same id is not run twice. */
  jobId: string;
  /** Target firmware version. */
  version: string;
  /** Image size in bytes. */
  size: number;
  /** SHA-256 of the image, lower-case hex. */
  sha256: string;
  /** The models this image is for; the device's model must be one of them. */
  compatible: string[];
  /** The signer explicitly allows installing an older version. */
  downgrade: boolean;
  /** Presigned HTTPS URL of the image. */
  url: string;
  /** Signature over the canonical manifest, base64. */
  signature: string;
  /** Which trusted key signed (hex SHA-256 of its SPKI DER, first 16 chars); absent = try every trusted key. */
  keyId?: string;
  /** Wall-clock ms after which the job is not started (a stale job is failed with job_expired). */
  deadline: number;
  /** Free bytes that must remain after the image (overrides ota.minFreeBytes when larger). */
  minFreeBytes?: number;
  /** Battery-powered models: below this the install waits (mains-powered cameras ignore it). */
  minBatteryPercent?: number;
}

export interface OtaError {
  code: string;
  message: string;
}

/** What is persisted (atomically) before every step, so a reboot or crash resumes where it left off. */
export interface OtaRecord {
  formatVersion: 1;
  job: OtaJob;
  state: OtaState;
  fromVersion: string;
  /** Bytes of the image on the spool. */
  bytes: number;
  /** Download attempts so far (resumes count). */
  attempts: number;
  /** The boot the state was written in (/proc/sys/kernel/random/boot_id; a per-start id on simulated hardware). */
  bootId: string;
  /** Wall-clock ms of the last change. */
  updatedAt: number;
  /** Wall-clock ms when the confirming state began (its deadline counts from there). */
  confirmingSince?: number;
  error?: OtaError;
  /** Every state entered, with its time: the job's story for the cloud and the technician. */
  history: Array<{ state: OtaState; at: number }>;
}

/** Progress of the current state, as reported on …/event/ota. */
export interface OtaProgress {
  percent: number;
  bytes: number;
  totalBytes: number;
  /** Seconds left at the current rate; null while unknown. */
  etaS: number | null;
}
