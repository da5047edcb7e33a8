/**
 * `camera-agent ota …`: the vendor's side of firmware updates, run on the
 * signing host or a developer's machine, never on the camera.
 *
 *   keygen   an Ed25519 key pair (the public half goes into the firmware
 *            image's ota.publicKeys folder; the private half stays here)
 *   sign     the `ota.start` job for an image: size and SHA-256 streamed,
 *            the canonical manifest (ota-job.ts) signed, keyId included
 *   verify   checks a job (and its image) as the agent would, with the
 *            agent's own code: exit 0, or 1 with the error code
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { verifyImage, hashFile } from '../ota/image-verify.js';
import { loadTrustedKeys } from '../ota/key-ring.js';
import { canonicalManifest, parseOtaJob } from '../ota/ota-job.js';
import { keyIdOf, signManifest, trustedKeys, verifyManifest } from '../ota/signature.js';
import { updateDirection } from '../ota/version.js';

export interface OtaIo {
  out(line: string): void;
  err(line: string): void;
}

export const OTA_USAGE = `Usage: camera-agent ota keygen --out DIR
       camera-agent ota sign --key PRIVATE.pem --image FILE --version V
                             --compatible MODEL[,MODEL…] --url URL [--downgrade]
                             [--job-id ID] [--deadline-hours N]
       camera-agent ota verify --keys DIR --job JOB.json [--image FILE]
                               [--model MODEL] [--running VERSION]
                               [--max-image-bytes N]

Firmware-update signing for the vendor (docs/ota.md). Run it on the signing
host, never on a camera: the private key must not leave that host.

keygen  writes DIR/vendor-private.pem (Ed25519, PKCS#8, mode 0600) and
        DIR/vendor-public.pem, and prints the keyId. Existing files are never
        overwritten. The public key goes into the firmware image's
        /etc/camera-agent/ota-keys/ (ota.publicKeys).
sign    prints the ota.start job JSON for FILE: size and SHA-256 of the image,
        the signature (Ed25519 or ECDSA P-256 key) over the canonical manifest
        (version, size, sha256, compatible, downgrade) and the keyId. The URL,
        job id and deadline are not signed: re-issue the job for a new URL.
          --downgrade         allow installing over a newer version
          --job-id ID         default: ota-<random>
          --deadline-hours N  the job is not started after this (default 72)
verify  checks JOB.json as the agent would: job format, deadline, signature
        against the keys in DIR; with --image the image's size and SHA-256,
        with --model that the model is compatible, with --running that the
        version may be installed over VERSION, with --max-image-bytes the
        device's ota.maxImageBytes. Prints one JSON line:
          {"ok":true,"keyId":"…",…}  or  {"ok":false,"code":"signature_invalid","message":"…"}

Exit codes: 0 ok, 1 the job (or image) fails a check (its error code is
printed) or a file cannot be read/written, 2 invalid usage (including sign
values the agent would reject, e.g. a --version that is not a version).`;

const DEFAULT_DEADLINE_HOURS = 72;
/** No size limit off the device: verify takes --max-image-bytes for a device's ota.maxImageBytes. */
const NO_SIZE_LIMIT = Number.MAX_SAFE_INTEGER;

export async function otaCommand(argv: string[], io: OtaIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(OTA_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'keygen') return keygen(rest, io);
  if (sub === 'sign') return signJob(rest, io);
  if (sub === 'verify') return verifyJob(rest, io);
  io.err(`unknown ota command: ${sub}\n\n${OTA_USAGE}`);
  return 2;
}

type Values = Record<string, string | boolean | undefined>;

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>, io: OtaIo): Values | null {
  try {
    const { values } = parseArgs({ args, strict: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
    return values as Values;
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${OTA_USAGE}`);
    return null;
  }
}

function required(values: Values, names: string[], cmd: string, io: OtaIo): boolean {
  const missing = names.filter((n) => typeof values[n] !== 'string' || values[n] === '');
  if (missing.length === 0) return true;
  io.err(`ota ${cmd}: ${missing.map((n) => `--${n}`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required`);
  return false;
}

async function keygen(args: string[], io: OtaIo): Promise<number> {
  const values = parse(args, { out: { type: 'string' } }, io);
  if (!values) return 2;
  if (values.help) return help(io);
  if (!required(values, ['out'], 'keygen', io)) return 2;
  const dir = values.out as string;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const privatePath = join(dir, 'vendor-private.pem');
  const publicPath = join(dir, 'vendor-public.pem');
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key (losing the private key that devices trust means shipping a new public key first).
    await writeNew(privatePath, privatePem, 0o600);
    await writeNew(publicPath, publicPem, 0o644);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.err(`ota keygen: ${e.code === 'EEXIST' ? `${e.path ?? dir} exists; keys are never overwritten` : e.message}`);
    return 1;
  }
  io.out(JSON.stringify({ keyId: keyIdOf(publicKey), alg: 'ed25519', privateKey: privatePath, publicKey: publicPath }));
  return 0;
}

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(text);
    // open()'s mode is filtered by the umask; the private key's must be exactly 0600.
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function signJob(args: string[], io: OtaIo): Promise<number> {
  const values = parse(
    args,
    {
      key: { type: 'string' },
      image: { type: 'string' },
      version: { type: 'string' },
      compatible: { type: 'string' },
      downgrade: { type: 'boolean' },
      url: { type: 'string' },
      'job-id': { type: 'string' },
      'deadline-hours': { type: 'string' },
    },
    io,
  );
  if (!values) return 2;
  if (values.help) return help(io);
  if (!required(values, ['key', 'image', 'version', 'compatible', 'url'], 'sign', io)) return 2;
  const hoursText = (values['deadline-hours'] as string | undefined) ?? String(DEFAULT_DEADLINE_HOURS);
  const hours = Number(hoursText);
  if (!/^\d+(\.\d+)?$/.test(hoursText) || !(hours > 0) || hours > 24 * 366) {
    io.err('ota sign: --deadline-hours must be a number of hours between 0 and 8784');
    return 2;
  }
  const compatible = (values.compatible as string).split(',').map((m) => m.trim());

  let keyPem: string;
  try {
    keyPem = await readFile(values.key as string, 'utf8');
  } catch (err) {
    io.err(`ota sign: cannot read the private key ${values.key as string} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return 1;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch {
    // OpenSSL's message is not echoed: it can quote parts of the file.
    io.err(`ota sign: ${values.key as string} is not an unencrypted PEM private key`);
    return 1;
  }
  let image: { sha256: string; bytes: number };
  try {
    image = await hashFile(values.image as string);
  } catch (err) {
    io.err(`ota sign: cannot read the image: ${(err as Error).message}`);
    return 1;
  }
  const fields = {
    version: values.version as string,
    size: image.bytes,
    sha256: image.sha256,
    compatible,
    downgrade: values.downgrade === true,
  };
  // Validated (with a placeholder signature) before signing: nothing the agent would reject as malformed is ever signed.
  const draft = {
    jobId: (values['job-id'] as string | undefined) ?? `ota-${randomBytes(8).toString('hex')}`,
    ...fields,
    url: values.url as string,
    signature: 'AAAA',
    deadline: Date.now() + Math.round(hours * 3_600_000),
  };
  const checked = parseOtaJob(draft, { now: Date.now(), maxImageBytes: NO_SIZE_LIMIT });
  if (!checked.ok) {
    io.err(`ota sign: ${checked.code}: ${checked.message}`);
    return 2;
  }
  let signature: string;
  try {
    signature = signManifest(canonicalManifest(fields), privateKey);
  } catch (err) {
    io.err(`ota sign: ${(err as Error).message}`);
    return 1;
  }
  const keyId = keyIdOf(privateKey);
  const ring = trustedKeys([{ name: 'signing key', pem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }) as string }]);
  const self = verifyManifest(canonicalManifest(fields), signature, ring.keys, keyId);
  if (!self.ok) {
    io.err(`ota sign: the signature does not verify with the key's own public half (${self.code})`);
    return 1;
  }
  io.out(JSON.stringify({ ...draft, signature, keyId }, null, 2));
  return 0;
}

async function verifyJob(args: string[], io: OtaIo): Promise<number> {
  const values = parse(
    args,
    {
      keys: { type: 'string' },
      job: { type: 'string' },
      image: { type: 'string' },
      model: { type: 'string' },
      running: { type: 'string' },
      'max-image-bytes': { type: 'string' },
    },
    io,
  );
  if (!values) return 2;
  if (values.help) return help(io);
  if (!required(values, ['keys', 'job'], 'verify', io)) return 2;
  const maxText = values['max-image-bytes'] as string | undefined;
  const maxImageBytes = maxText === undefined ? NO_SIZE_LIMIT : Number(maxText);
  if (!Number.isSafeInteger(maxImageBytes) || maxImageBytes < 1) {
    io.err('ota verify: --max-image-bytes must be a positive integer');
    return 2;
  }
  const fail = (code: string, message: string): number => {
    io.out(JSON.stringify({ ok: false, code, message }));
    return 1;
  };

  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(values.job as string, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return fail('invalid_job', e.code ? `cannot read ${values.job as string}: ${e.code}` : `${values.job as string} is not JSON`);
  }
  const parsed = parseOtaJob(raw, { now: Date.now(), maxImageBytes });
  if (!parsed.ok) return fail(parsed.code, parsed.message);
  const job = parsed.job;

  // The agent's own key loading: bad files are skipped and reported, as on the device.
  const ring = await loadTrustedKeys(values.keys as string, pino({ level: 'silent' }));
  for (const r of ring.rejected) io.err(`ota verify: key file ${r.name} ignored: ${r.reason}`);
  const signed = verifyManifest(canonicalManifest(job), job.signature, ring.keys, job.keyId);
  if (!signed.ok) return fail(signed.code, signed.message);

  // The same order as the agent: signature, model, version, then (after the download) the image.
  const model = values.model as string | undefined;
  if (model !== undefined && !job.compatible.includes(model)) {
    return fail('incompatible_model', `the image is for ${job.compatible.join(', ')}, not ${model}`);
  }
  const running = values.running as string | undefined;
  if (running !== undefined) {
    const direction = updateDirection(running, job.version, job.downgrade);
    if (direction === 'same') return fail('same_version', `${job.version} is already running`);
    if (direction === 'downgrade-refused') return fail('downgrade_refused', `${job.version} is older than ${running} and the job does not allow a downgrade`);
  }
  const image = values.image as string | undefined;
  if (image !== undefined) {
    const checked = await verifyImage(image, job);
    if (!checked.ok) return fail(checked.code, checked.message);
  }
  io.out(
    JSON.stringify({
      ok: true,
      jobId: job.jobId,
      version: job.version,
      compatible: job.compatible,
      downgrade: job.downgrade,
      keyId: signed.keyId,
      signer: ring.keys.find((k) => k.id === signed.keyId)?.name ?? null,
      imageChecked: image !== undefined,
      deadline: new Date(job.deadline).toISOString(),
    }),
  );
  return 0;
}

function help(io: OtaIo): number {
  io.out(OTA_USAGE);
  return 0;
}
