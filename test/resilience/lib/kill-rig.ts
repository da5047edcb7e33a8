/**
 * Shared parts of the SIGKILL fault-injection tests (test/resilience/faults/kill-*.test.ts):
 * the seeded randomness that places each kill, and the read-only inspection of a dead
 * agent's data partition that says whether any persistent file was torn.
 *
 * The inspection runs while the agent is dead (after the SIGKILL, before the restart), so
 * it sees exactly what a power cut would leave. It never repairs anything: the restarted
 * agent must do that itself, and `afterRestart` checks it did.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Test } from 'tap';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { parseRuntimeText } from '../../../src/config/runtime-store.js';
import { decodeRecords } from '../../../src/cloud/record-framing.js';
import { recordProblem } from '../../../src/ota/job-machine.js';
import type { Daemon } from '../../helpers/daemon.js';
import type { CloudClient, Recorded } from '../../helpers/mosquitto.js';

export const FULL = process.env.CAMERA_AGENT_FULL_RUN === '1';

export interface Rng {
  seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number;
}

/**
 * A seeded generator for kill timing. The seed is printed so a failing run can be
 * replayed with CAMERA_AGENT_KILL_SEED=<seed> (one seed per file: each file adds its salt).
 */
export function killRng(t: Test, salt: number): Rng {
  const given = process.env.CAMERA_AGENT_KILL_SEED;
  const seed = given !== undefined ? Number(given) >>> 0 : (Date.now() ^ (salt * 0x9e3779b1)) >>> 0;
  t.comment(`kill seed ${seed} (replay: CAMERA_AGENT_KILL_SEED=${seed})`);
  const rand = mulberry32(seed);
  return { seed, next: rand, int: (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)) };
}

/** SIGKILL the agent (as a power cut would stop it) and wait until it is gone. */
export async function killAgent(d: Daemon): Promise<void> {
  if (d.child.exitCode === null && d.child.signalCode === null) d.child.kill('SIGKILL');
  const { signal, code } = await d.exited;
  if (signal !== 'SIGKILL') throw new Error(`the agent ended by itself before the kill (code ${code}, signal ${signal}): ${d.stderr().slice(-2000)}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** What a dead agent left on its data partition. */
export interface DataScan {
  /** Files read and checked. */
  checked: number;
  /** Files (or records) that do not parse/validate and are not a designed recovery case: must stay empty. */
  torn: string[];
  /**
   * States the design allows after a crash and repairs at the next start: a torn last
   * outbox record, an audit line without its newline at the very end, spool images
   * whose metadata was never written (or was deleted first), temp files of writeFileAtomic.
   */
  recoverable: string[];
  /** writeFileAtomic temp files (`.<name>.<pid>.<hex>.tmp`), full paths. */
  temps: string[];
  /** Spool entry ids complete on disk (metadata + both images, sizes and hashes match). */
  spoolIds: string[];
  /** Spool ids with images but no metadata: the next start must delete them. */
  spoolPartial: string[];
  /** The runtime configuration file in force (null when none was ever written). */
  runtimeConfig: Record<string, unknown> | null;
  /** ota/job.json when present and valid. */
  otaJob: Record<string, any> | null;
  /** Cloud outbox segment files on flash (growth across kills would be a leak). */
  outboxSegments: number;
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readOrNull(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** "CASP", version 1, then AES-GCM nonce (12) and tag (16) at least (src/alarm/spool-seal.ts). */
function isSealed(b: Buffer): boolean {
  return b.length >= 5 + 12 + 16 && b.subarray(0, 4).toString('latin1') === 'CASP' && b[4] === 1;
}

/**
 * Spool entries the agent itself found damaged (its start-up check and its per-delivery
 * authentication delete them with this warning): a torn entry the scan could not see
 * through the encryption would show here.
 */
export function spoolCorruptLogged(d: Daemon): number {
  return d.stdout().split('\n').filter((l) => l.includes('"spool entry corrupt')).length;
}

/** Every persistent file under the data dir, checked the way its reader would check it (read-only). */
export async function scanDataDir(root: string): Promise<DataScan> {
  const L = dataLayout(root);
  const scan: DataScan = { checked: 0, torn: [], recoverable: [], temps: [], spoolIds: [], spoolPartial: [], runtimeConfig: null, otaJob: null, outboxSegments: 0 };

  // Temp files anywhere (writeFileAtomic names them `.<base>.<pid>.<hex>.tmp`).
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.startsWith('.') && e.name.endsWith('.tmp')) scan.temps.push(p);
    }
  };
  await walk(root);
  scan.recoverable.push(...scan.temps.map((p) => `temp file ${p.slice(root.length + 1)}`));

  // Runtime config and its last-good copy: both must load and validate (runtime-store.ts).
  for (const [path, isMain] of [[L.runtimeConfig, true], [L.runtimeConfigLastGood, false]] as const) {
    const b = await readOrNull(path);
    if (!b) continue;
    scan.checked++;
    const parsed = parseRuntimeText(b.toString('utf8'));
    if (!parsed.ok) scan.torn.push(`${path}: ${parsed.reason}`);
    else if (isMain) scan.runtimeConfig = parsed.values;
  }
  if ((await list(root)).some((n) => n.endsWith('.corrupt'))) scan.torn.push('a quarantined config.json.corrupt exists');

  // Small JSON state files, each written whole with writeFileAtomic.
  for (const path of [L.deviceState, L.provLockout, L.apiTokens]) {
    const b = await readOrNull(path);
    if (!b) continue;
    scan.checked++;
    try {
      const v = JSON.parse(b.toString('utf8')) as unknown;
      if (typeof v !== 'object' || v === null) scan.torn.push(`${path}: not a JSON object`);
    } catch (err) {
      scan.torn.push(`${path}: ${(err as Error).message}`);
    }
  }

  // The OTA job record: must pass the same check the agent applies at start.
  const job = await readOrNull(L.otaJob);
  if (job) {
    scan.checked++;
    try {
      const v = JSON.parse(job.toString('utf8')) as Record<string, any>;
      const problem = recordProblem(v);
      if (problem) scan.torn.push(`${L.otaJob}: ${problem}`);
      else scan.otaJob = v;
    } catch (err) {
      scan.torn.push(`${L.otaJob}: ${(err as Error).message}`);
    }
  }
  if ((await list(join(root, 'ota'))).some((n) => n.endsWith('.bad'))) scan.torn.push('an ota/job.json.bad was set aside');

  // Cloud outbox: framed, CRC-checked records. Only the newest segment may end in a torn
  // record (the crash cut the last append; replay cuts it off); every event body is JSON.
  const segs = (await list(L.cloudOutboxDir)).filter((n) => /^seg-\d+\.log$/.test(n)).sort();
  scan.outboxSegments = segs.length;
  for (const [i, name] of segs.entries()) {
    const b = (await readOrNull(join(L.cloudOutboxDir, name))) ?? Buffer.alloc(0);
    scan.checked++;
    const d = decodeRecords(b);
    if (d.badBytes > 0) {
      if (i === segs.length - 1) scan.recoverable.push(`outbox ${name}: torn last record (${d.badBytes} bytes)`);
      else scan.torn.push(`outbox ${name}: ${d.badBytes} undecodable bytes in a segment that is not the newest`);
    }
    for (const r of d.records) {
      if (r.kind !== 'E') continue;
      try {
        const e = JSON.parse(r.body.toString('utf8')) as { id?: unknown };
        if (typeof e !== 'object' || e === null) scan.torn.push(`outbox ${name}: an event that is not an object`);
      } catch {
        scan.torn.push(`outbox ${name}: an event record whose body is not JSON`);
      }
    }
  }

  // Snapshot spool: the metadata file exists exactly when the entry is complete (written
  // last, deleted first), so with metadata both images must be there and whole. Two layouts:
  // plain (`<id>.jpg`, `.thumb.jpg`, `.json`: sizes and SHA-256 from the metadata are checked)
  // and sealed (`<id>.img`, `.thumb`, `.meta`, AES-GCM under a key held by the personal-data
  // store: checked for the CASP header and a length that can hold one; the agent's own
  // authentication at start-up and delivery is counted from its log, see spoolCorruptLogged).
  const names = await list(L.spoolDir);
  const entries = new Map<string, Set<string>>();
  for (const n of names) {
    const m = /^([A-Za-z0-9_-]{1,64})(\.thumb\.jpg|\.jpg|\.json|\.img|\.thumb|\.meta)$/.exec(n);
    if (m) entries.set(m[1]!, (entries.get(m[1]!) ?? new Set()).add(m[2]!));
  }
  for (const [id, kinds] of entries) {
    const sealed = kinds.has('.meta') || kinds.has('.img') || kinds.has('.thumb');
    const [metaExt, imgExt, thumbExt] = sealed ? ['.meta', '.img', '.thumb'] : ['.json', '.jpg', '.thumb.jpg'];
    const meta = await readOrNull(join(L.spoolDir, `${id}${metaExt}`));
    if (!meta) {
      scan.spoolPartial.push(id);
      scan.recoverable.push(`spool ${id}: images without metadata`);
      continue;
    }
    scan.checked += 3;
    const [img, thumb] = await Promise.all([readOrNull(join(L.spoolDir, `${id}${imgExt}`)), readOrNull(join(L.spoolDir, `${id}${thumbExt}`))]);
    if (sealed) {
      const bad = ([['metadata', meta], ['image', img], ['thumbnail', thumb]] as const).filter(([, b]) => !b || !isSealed(b)).map(([w]) => w);
      if (bad.length) scan.torn.push(`spool ${id}: ${bad.join(', ')} missing or not a whole sealed file`);
      else scan.spoolIds.push(id);
      continue;
    }
    try {
      const m = JSON.parse(meta.toString('utf8')) as { id: string; image: { bytes: number; sha256: string }; thumbnail: { bytes: number; sha256: string } };
      if (m.id !== id) scan.torn.push(`spool ${id}: metadata names ${m.id}`);
      else if (!img || img.length !== m.image.bytes || sha256(img) !== m.image.sha256) scan.torn.push(`spool ${id}: image missing or not the one recorded`);
      else if (!thumb || thumb.length !== m.thumbnail.bytes || sha256(thumb) !== m.thumbnail.sha256) scan.torn.push(`spool ${id}: thumbnail missing or not the one recorded`);
      else scan.spoolIds.push(id);
    } catch (err) {
      scan.torn.push(`spool ${id}.json: ${(err as Error).message}`);
    }
  }

  // Audit log (JSON lines): a line cut by the crash can only be the last one, without its newline.
  for (const path of [L.auditLog, `${L.auditLog}.1`]) {
    const b = await readOrNull(path);
    if (!b) continue;
    scan.checked++;
    const text = b.toString('utf8');
    const lines = text.split('\n');
    const tail = lines.pop()!;
    for (const [i, l] of lines.entries()) {
      try {
        JSON.parse(l);
      } catch {
        scan.torn.push(`${path}: line ${i + 1} is not JSON`);
      }
    }
    // The previous file was synced before its rename (audit-log.ts): only the active one may end torn.
    if (tail !== '' && path === L.auditLog) scan.recoverable.push(`${path}: last line without its newline`);
    else if (tail !== '') scan.torn.push(`${path}: ends in a cut line though it was closed cleanly`);
  }
  return scan;
}

/**
 * After the restarted agent is up: everything the crash left to repair has been repaired
 * (the temp files and half-written spool entries seen while it was dead are gone).
 */
export async function leftoversAfterRestart(root: string, dead: DataScan): Promise<string[]> {
  const L = dataLayout(root);
  const left: string[] = [];
  for (const p of dead.temps) if ((await readOrNull(p)) !== null) left.push(`temp file ${p.slice(root.length + 1)} still there`);
  const names = new Set(await list(L.spoolDir));
  for (const id of dead.spoolPartial) {
    // The entry may have been deleted and a new one with another id written since: only this id counts.
    const images = [`${id}.jpg`, `${id}.thumb.jpg`, `${id}.img`, `${id}.thumb`].some((n) => names.has(n));
    if (images && !names.has(`${id}.json`) && !names.has(`${id}.meta`)) left.push(`spool ${id}: half-written entry still there`);
  }
  return left;
}

/** Figures a kill test prints at the end (t.comment) and asserts on. */
export interface KillTally {
  kills: number;
  filesChecked: number;
  torn: string[];
  recoverable: number;
  leftovers: string[];
  /** Most outbox segment files seen in one scan. */
  maxOutboxSegments: number;
}

export const newTally = (): KillTally => ({ kills: 0, filesChecked: 0, torn: [], recoverable: 0, leftovers: [], maxOutboxSegments: 0 });

export function addScan(tally: KillTally, scan: DataScan, label: string): void {
  tally.filesChecked += scan.checked;
  tally.torn.push(...scan.torn.map((s) => `${label}: ${s}`));
  tally.recoverable += scan.recoverable.length;
  tally.maxOutboxSegments = Math.max(tally.maxOutboxSegments, scan.outboxSegments);
}

/**
 * A cloud request (as device-rig.ts cloudRequester sends it) whose answer is polled for
 * instead of awaited with a timer: a kill usually leaves it unanswered, and nothing may stay
 * pending after the agent's death (or the test's end). Null when `gone()` turns true first.
 */
export async function requestUntil(cloud: CloudClient, deviceId: string, op: string, args: Record<string, unknown>, gone: () => boolean, timeoutMs = 20_000): Promise<{ status: string; data?: any; error?: any } | null> {
  const transaction = `${op}-${Math.random().toString(36).slice(2)}`;
  const from = cloud.messages.length;
  await cloud.client.publishAsync(`cam/${deviceId}/request/${op}`, JSON.stringify({ transaction, ts: Date.now(), args }), { qos: 1 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (let i = from; i < cloud.messages.length; i++) {
      const m = cloud.messages[i]!;
      if (m.topic === `cam/${deviceId}/response/${op}` && m.json().transaction === transaction) return m.json() as { status: string; data?: any; error?: any };
    }
    if (gone() || Date.now() > deadline) return null;
    await sleep(5);
  }
}

/** The first message from index `from` on that matches, polled until `gone()` (then null). */
export async function messageUntil(cloud: CloudClient, pred: (m: Recorded) => boolean, gone: () => boolean, from = 0, timeoutMs = 20_000): Promise<Recorded | null> {
  const deadline = Date.now() + timeoutMs;
  for (let i = from; ; ) {
    for (; i < cloud.messages.length; i++) if (pred(cloud.messages[i]!)) return cloud.messages[i]!;
    if (gone() || Date.now() > deadline) return null;
    await sleep(5);
  }
}
