import { checkJson, type JsonSchema } from '../cloud/json-check.js';
import type { OtaJob } from './types.js';
import { parseVersion } from './version.js';

/**
 * The cloud's `ota.start` request: validation of the job document and the
 * canonical manifest its signature covers. Pure.
 *
 * Strict validation first, like the AWS IoT Device Client (an invalid job
 * document is REJECTED with a reason before anything runs) and SWUpdate /
 * RAUC (the image hash and the compatible string live in the signed
 * manifest, so the URL is the only thing an attacker on the cloud side can
 * change — and a changed URL only yields an image whose SHA-256 does not
 * match).
 */

export const OTA_JOB_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';
export const OTA_VERSION_PATTERN = '^[0-9A-Za-z.+_-]+$';
export const SHA256_HEX_PATTERN = '^[0-9a-f]{64}$';
export const KEY_ID_PATTERN = '^[0-9a-f]{16}$';
/** Same rule as the factory identity's model (1–64 printable ASCII, no outer spaces), so a job can name any model a device can have. */
export const MODEL_PATTERN = '^[\\x21-\\x7e](?:[\\x20-\\x7e]{0,62}[\\x21-\\x7e])?$';
/** Standard base64 with padding (RFC 4648 §4); base64url is not accepted, so one signature has one spelling. */
export const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
/** Domain separation: a signature made by the same key over any other document never verifies as a firmware manifest. */
export const MANIFEST_TYPE = 'camera-agent-firmware';

const safeInt = (minimum: number, description: string): JsonSchema => ({ type: 'integer', minimum, maximum: Number.MAX_SAFE_INTEGER, description });

/** For OP_ARG_SCHEMAS (src/cloud/payload-schemas.ts), so the published request-args schema matches. */
export const OTA_JOB_ARGS_SCHEMA = {
  type: 'object',
  required: ['jobId', 'version', 'size', 'sha256', 'compatible', 'url', 'signature', 'deadline'],
  additionalProperties: false,
  description:
    'start a firmware update: download the image, check its size and SHA-256, verify the signature over the canonical manifest ' +
    '(version, size, sha256, compatible, downgrade; see docs/ota.md), install it through the system updater, reboot and confirm. ' +
    'Progress and the result are reported on cam/{deviceId}/event/ota',
  properties: {
    jobId: { type: 'string', pattern: OTA_JOB_ID_PATTERN, description: "the cloud's job id; a redelivered job with the same id resumes instead of running twice" },
    version: { type: 'string', minLength: 1, maxLength: 64, pattern: OTA_VERSION_PATTERN, description: 'target firmware version, e.g. 1.10.0 or 2.0.0-rc.1 (dot-separated numbers, optional -pre-release and +build)' },
    size: safeInt(1, 'image size in bytes; the download stops beyond it'),
    sha256: { type: 'string', pattern: SHA256_HEX_PATTERN, description: 'SHA-256 of the image, lower-case hex' },
    compatible: {
      type: 'array',
      minItems: 1,
      maxItems: 16,
      items: { type: 'string', pattern: MODEL_PATTERN, description: 'a camera model (as in the factory identity)' },
      description: "the models the image is for; the device's model must be one of them; no duplicates",
    },
    downgrade: { type: 'boolean', description: 'the signer allows installing a version older than the running one; default false (the same version is never reinstalled)' },
    url: { type: 'string', pattern: '^https://', maxLength: 4096, description: 'presigned HTTPS GET URL of the image; no user:password@ part' },
    signature: { type: 'string', minLength: 1, maxLength: 512, pattern: BASE64_PATTERN, description: 'signature over the canonical manifest, base64 (Ed25519, or ECDSA P-256/SHA-256 DER)' },
    keyId: { type: 'string', pattern: KEY_ID_PATTERN, description: 'the signing key: hex SHA-256 of its SPKI DER, first 16 characters; absent = every trusted key is tried' },
    deadline: safeInt(0, 'wall-clock ms after which the job is not started (failed with job_expired)'),
    minFreeBytes: safeInt(0, 'free bytes that must remain after the image (the larger of this and ota.minFreeBytes applies)'),
    minBatteryPercent: { type: 'integer', minimum: 0, maximum: 100, description: 'battery-powered models wait for this charge before installing; mains-powered models ignore it' },
  },
} as const satisfies JsonSchema;

export type OtaJobErrorCode = 'invalid_job' | 'job_expired' | 'image_too_large' | 'url_not_https' | 'url_has_credentials';

export type OtaJobResult = { ok: true; job: OtaJob } | { ok: false; code: OtaJobErrorCode; message: string };

export interface OtaJobContext {
  /** Wall-clock ms. */
  now: number;
  /** The largest image the spool (and the inactive slot) can take. */
  maxImageBytes: number;
}

/**
 * Validates `ota.start` args. Never throws. Order: shape (invalid_job), URL
 * (url_not_https, url_has_credentials), then the checks that depend on the
 * device and the clock (job_expired, image_too_large), so a malformed job is
 * reported as malformed even when it is also stale.
 */
export function parseOtaJob(args: unknown, ctx: OtaJobContext): OtaJobResult {
  const problem = jobProblem(args);
  if (problem) return { ok: false, ...problem };
  const job = toJob(args as Record<string, unknown>);
  if (job.deadline <= ctx.now) return { ok: false, code: 'job_expired', message: `the job's deadline passed ${ctx.now - job.deadline} ms ago` };
  if (job.size > ctx.maxImageBytes) return { ok: false, code: 'image_too_large', message: `size: ${job.size} bytes is more than the ${ctx.maxImageBytes} bytes this device can take` };
  return { ok: true, job };
}

/**
 * Everything parseOtaJob checks that does not depend on the clock or the
 * device: also used to check a job read back from disk (job-machine.ts),
 * where `downgrade` is always present. Null when fine.
 */
export function jobProblem(args: unknown): { code: 'invalid_job' | 'url_not_https' | 'url_has_credentials'; message: string } | null {
  const problems = checkJson(OTA_JOB_ARGS_SCHEMA, args);
  // The URL pattern gets its own code (a cloud misconfiguration worth telling apart); every other problem is invalid_job.
  const urlScheme = problems.find((p) => p.path === 'url' && p.rule.startsWith('must match'));
  const other = problems.filter((p) => p !== urlScheme);
  const first = other[0];
  if (first) return { code: 'invalid_job', message: `${first.path}: ${first.rule}` };
  if (urlScheme) return { code: 'url_not_https', message: 'url: must be an https:// URL' };
  const o = args as Record<string, unknown>;
  let url: URL;
  try {
    url = new URL(o.url as string);
  } catch {
    return { code: 'invalid_job', message: 'url: is not a valid URL' };
  }
  // WHATWG URL lower-cases the scheme, so re-check after parsing: `https://` is what the pattern saw.
  if (url.protocol !== 'https:') return { code: 'url_not_https', message: 'url: must be an https:// URL' };
  // Credentials in the URL would end up in logs and in the HTTP client's Authorization header; presigned URLs carry their signature in the query.
  if (url.username !== '' || url.password !== '') return { code: 'url_has_credentials', message: 'url: must not contain user:password@' };
  if (parseVersion(o.version as string) === null) return { code: 'invalid_job', message: 'version: is not a firmware version (e.g. 1.2.3, 2.0.0-rc.1)' };
  const compatible = o.compatible as string[];
  if (new Set(compatible).size !== compatible.length) return { code: 'invalid_job', message: 'compatible: has duplicates' };
  return null;
}

function toJob(o: Record<string, unknown>): OtaJob {
  const job: OtaJob = {
    jobId: o.jobId as string,
    version: o.version as string,
    size: o.size as number,
    sha256: o.sha256 as string,
    compatible: [...(o.compatible as string[])],
    downgrade: (o.downgrade as boolean | undefined) ?? false,
    url: o.url as string,
    signature: o.signature as string,
    deadline: o.deadline as number,
  };
  if (o.keyId !== undefined) job.keyId = o.keyId as string;
  if (o.minFreeBytes !== undefined) job.minFreeBytes = o.minFreeBytes as number;
  if (o.minBatteryPercent !== undefined) job.minBatteryPercent = o.minBatteryPercent as number;
  return job;
}

export type ManifestFields = Pick<OtaJob, 'version' | 'size' | 'sha256' | 'compatible' | 'downgrade'>;

/**
 * The exact bytes that are signed. The vendor's signing tool must produce
 * the same bytes:
 *
 *   UTF-8 JSON, no whitespace, keys in this order (which is also sorted order):
 *   {"compatible":[…],"downgrade":false,"sha256":"…","size":123,"type":"camera-agent-firmware","version":"…"}
 *
 * - `compatible` sorted by code point (all values are ASCII, so this is byte order);
 * - `size` a plain integer, `downgrade` true/false;
 * - strings escaped as JSON.stringify does (only `"` and `\` can occur in valid values).
 *
 * For every valid job this is the RFC 8785 (JCS) serialisation of that
 * object, so any JCS library produces the same bytes. `type` separates
 * this document from anything else the key might sign. The job id, URL and
 * deadline are deliberately not covered: they change per rollout while the
 * image and its signature stay the same.
 *
 * Throws RangeError on values parseOtaJob would reject (a bug in the
 * caller: nothing invalid is ever signed or verified).
 */
export function canonicalManifest(job: ManifestFields): Uint8Array {
  const printable = /^[\x20-\x7e]+$/;
  for (const s of [job.version, job.sha256, ...job.compatible]) {
    if (typeof s !== 'string' || !printable.test(s)) throw new RangeError('manifest strings must be printable ASCII');
  }
  if (!Number.isSafeInteger(job.size) || job.size < 1) throw new RangeError(`manifest size must be a positive integer, got ${job.size}`);
  if (typeof job.downgrade !== 'boolean') throw new RangeError('manifest downgrade must be a boolean');
  const compatible = [...job.compatible].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = `{"compatible":${JSON.stringify(compatible)},"downgrade":${job.downgrade},"sha256":${JSON.stringify(job.sha256)},"size":${job.size},"type":${JSON.stringify(MANIFEST_TYPE)},"version":${JSON.stringify(job.version)}}`;
  return new TextEncoder().encode(text);
}
