import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, Timer } from '../../core/clock.js';
import type { Service } from '../../core/service.js';
import type { Logger } from '../../log/logger.js';
import type { SecretRegistry } from '../../log/secret-registry.js';
import { fsyncDir } from '../../storage/atomic-file.js';
import {
  buildEntry,
  encodeEntry,
  isImmediate,
  parseEntry,
  type AuditAction,
  type AuditActor,
  type AuditEntry,
  type AuditInput,
} from './audit-entry.js';

/**
 * The audit log of the local API (issue 9 item 3; security.md REQ-S15, CRA
 * Annex I (2)(l)): who did what, when, from where, with what result.
 *
 * Storage. JSON lines in `path` (the active file) and `path.1` (the previous
 * one). A record is appended with one write(2) of the whole line; when the
 * active file would pass `maxBytes` it is synced and renamed over `path.1`,
 * dropping the oldest records, so flash use stays under 2 × maxBytes
 * (default 2 × 256 KiB ≈ 2 × 1000 records). A power cut can leave a torn
 * last line (or a zero-filled tail on UBIFS): start() cuts the file back to
 * its last newline and counts it (`stats().tornLines`); any other line that
 * is not a record is skipped on read and counted (`corruptLines`).
 *
 * Durability (fsync) policy, chosen for NAND wear (security.md §4.4: avoid
 * frequent small synced writes) against what a power cut may lose:
 *   - every append is written to the file before append() resolves, so a
 *     crash or SIGKILL of the agent loses nothing that was acknowledged;
 *   - security records (logins and failures, token minting, config, Wi-Fi
 *     and zone changes, resets, reboot, and every `denied` result; see
 *     IMMEDIATE_ACTIONS) are fdatasync'ed before append() resolves, at most
 *     one sync per `securitySyncMinMs` (1 s): a brute-force flood of failed
 *     logins costs ≤ 1 sync/s, and each caller waits at most that long;
 *   - routine records (snapshot views, log downloads, talkback, selftest)
 *     are synced within `syncIntervalMs` (5 s): a power cut loses at most
 *     the last 5 s of them.
 * All file work goes through one in-process queue, so appends, rotation,
 * reads and erasure never interleave. One AuditLog per file per process.
 *
 * Retention across unbind and factory reset — decision: the log is ERASED
 * (erase(), called from the agent's personal-data erasure for both unbind
 * and factory reset), and the fresh log starts with one `audit_erased`
 * record (seq continues, who asked, why, how many records went).
 * Why: the records are about the owner's device and the people they let
 * in — token ids, roles, masked LAN addresses, Wi-Fi name prefixes, times
 * of use. The privacy policy promises deletion of personal information on
 * account cancellation "unless laws and regulations provide otherwise", and
 * a consumer camera has no legal duty to keep an access log on the device.
 * The audit obligation (CRA (2)(l): record access and changes) is met while
 * the owner has the device, and beyond it by the copy uploaded with the
 * logs (`exportForUpload()` in logs.upload), kept by the cloud under its own
 * retention; the cloud can ask for an upload before it sends `unbind`. The
 * `audit_erased` record keeps the fact of erasure visible to the next owner
 * and to a technician (a thief's factory reset shows as such), and it
 * carries no personal data. Limit, as for logs/ (store/erase-personal-data.ts):
 * the file is not encrypted, so unlinking removes it from the filesystem but
 * old NAND blocks may keep the (masked, secret-free) records until reused.
 * Why that is acceptable: a record holds only pseudonymous, masked fields
 * (random token ids, roles, the last octet of a LAN address, two characters
 * and the length of an SSID, error codes, times) — never a subject name,
 * token, code, SSID or password. test/resilience/privacy/sentinel.test.ts
 * plants unique values in all of those and finds none in this file or in
 * the raw partition after unbind. A field that could identify a person must
 * not be added here unless this file is sealed like the spool.
 */

export interface AuditLogOptions {
  /** The active file, e.g. `<data.dir>/audit/audit.jsonl`; the previous one is `${path}.1`. */
  path: string;
  clock: Clock;
  /** The log's registry of secret values: scrubbed from every line. */
  secrets?: SecretRegistry;
  logger?: Logger;
  /** Bytes per file before rotation (default 256 KiB). */
  maxBytes?: number;
  /** Longest a routine record stays unsynced (default 5000 ms). */
  syncIntervalMs?: number;
  /** Least time between two syncs forced by security records (default 1000 ms). */
  securitySyncMinMs?: number;
}

export interface AuditQuery {
  /** Only records with ts ≥ since (wall ms). */
  since?: number;
  /** At most this many, newest first (default 100, capped at 1000). */
  limit?: number;
  action?: AuditAction | readonly AuditAction[];
}

export interface AuditStats {
  /** Records held in both files. */
  entries: number;
  /** Bytes of the active file. */
  bytes: number;
  /** Torn last lines cut off at start (power cut mid-append). */
  tornLines: number;
  /** Lines that were not records (skipped), found at start. */
  corruptLines: number;
  rotations: number;
  fsyncs: number;
  syncErrors: number;
  /** Appends that failed to write (disk full, I/O error). */
  writeErrors: number;
}

export type AuditErrorCode = 'audit_not_started' | 'audit_stopped' | 'audit_write_failed';

export class AuditError extends Error {
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AuditError';
  }
}

export const DEFAULT_MAX_BYTES = 256 * 1024;
export const DEFAULT_SYNC_INTERVAL_MS = 5000;
export const DEFAULT_SECURITY_SYNC_MIN_MS = 1000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export class AuditLog implements Service {
  readonly name = 'audit';
  #fh: FileHandle | null = null;
  #state: 'new' | 'open' | 'stopped' = 'new';
  #chain: Promise<unknown> = Promise.resolve();
  #nextSeq = 1;
  #size = 0;
  #activeCount = 0;
  #prevCount = 0;
  #dirty = false;
  #syncTimer: Timer | null = null;
  #syncDue = Infinity;
  #syncWaiters: Array<() => void> = [];
  #lastSync = -Infinity;
  #stats = { tornLines: 0, corruptLines: 0, rotations: 0, fsyncs: 0, syncErrors: 0, writeErrors: 0 };

  constructor(private readonly opts: AuditLogOptions) {}

  get #prevPath(): string {
    return `${this.opts.path}.1`;
  }

  get #maxBytes(): number {
    return this.opts.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /** Open the files, repair a torn tail, restore the sequence number. */
  async start(): Promise<void> {
    if (this.#state !== 'new') return;
    await mkdir(dirname(this.opts.path), { recursive: true, mode: 0o700 });
    const prev = scan(await readOrEmpty(this.#prevPath));
    const active = scan(await readOrEmpty(this.opts.path));
    this.#stats.corruptLines = prev.corrupt + active.corrupt;
    // The previous file was synced before its rename: a torn tail there is corruption, not a power cut.
    if (prev.tornBytes) this.#stats.corruptLines++;
    this.#prevCount = prev.entries;
    this.#activeCount = active.entries;
    this.#nextSeq = Math.max(prev.maxSeq, active.maxSeq) + 1;

    this.#fh = await open(this.opts.path, 'a+', 0o600);
    if (active.tornBytes) {
      // Cut the fragment so the next record starts on a line of its own.
      await this.#fh.truncate(active.goodBytes);
      await this.#fh.datasync();
      this.#stats.fsyncs++;
      this.#stats.tornLines++;
      this.opts.logger?.warn({ bytes: active.tornBytes }, 'audit log: dropped a torn record at the end of the file');
    }
    if (this.#stats.corruptLines) this.opts.logger?.warn({ lines: this.#stats.corruptLines }, 'audit log: skipped lines that are not records');
    this.#size = active.goodBytes;
    this.#state = 'open';
  }

  /** Sync what is pending and close. Appends after this reject with `audit_stopped`. */
  async stop(): Promise<void> {
    if (this.#state !== 'open') {
      this.#state = 'stopped';
      return;
    }
    this.#state = 'stopped';
    this.#cancelSyncTimer();
    const waiters = this.#syncWaiters.splice(0);
    await this.#run(async () => {
      await this.#syncIfDirty().catch(() => undefined);
      await this.#fh?.close();
      this.#fh = null;
    }).finally(() => waiters.forEach((w) => w()));
  }

  healthy(): boolean {
    return this.#state === 'open';
  }

  /**
   * Record one action. Resolves with the stored record once it is written
   * (security records: once it is on flash, see the module comment);
   * rejects with an AuditError when it could not be written.
   */
  async append(input: AuditInput): Promise<AuditEntry> {
    const ts = this.opts.clock.now();
    this.#assertOpen();
    const entry = await this.#run(() => this.#write(input, ts));
    if (isImmediate(input)) {
      const wait = Math.max(0, this.#lastSync + (this.opts.securitySyncMinMs ?? DEFAULT_SECURITY_SYNC_MIN_MS) - this.opts.clock.monotonic());
      await this.#requestSync(wait);
    } else {
      void this.#requestSync(this.opts.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
    }
    return entry;
  }

  /** Records newest first, for the API and the console. */
  async list(query: AuditQuery = {}): Promise<AuditEntry[]> {
    this.#assertOpen();
    const asked = query.limit !== undefined && Number.isFinite(query.limit) ? Math.floor(query.limit) : DEFAULT_LIMIT;
    const limit = Math.min(MAX_LIMIT, Math.max(1, asked));
    const actions = query.action === undefined ? null : new Set<string>(typeof query.action === 'string' ? [query.action] : query.action);
    const lines = await this.#run(() => this.#readLines());
    const out: AuditEntry[] = [];
    for (let i = lines.length - 1; i >= 0 && out.length < limit; i--) {
      const e = parseEntry(lines[i]!);
      if (!e) continue;
      if (query.since !== undefined && e.ts < query.since) continue;
      if (actions && !actions.has(e.action)) continue;
      out.push(e);
    }
    return out;
  }

  /**
   * Every stored record as a JSON line (no newline), oldest first, for
   * logs.upload. Each line starts with `{"audit":1,` so the cloud can tell
   * them from log lines in the same upload, and `seq` lets it drop the ones
   * it already has. Scrubbed again against the current secret registry.
   */
  async exportForUpload(): Promise<string[]> {
    this.#assertOpen();
    const lines = await this.#run(() => this.#readLines());
    const out: string[] = [];
    for (const line of lines) {
      if (!parseEntry(line)) continue;
      out.push(this.opts.secrets ? this.opts.secrets.scrub(line) : line);
    }
    return out;
  }

  /**
   * Delete every record (unbind, factory reset) and start a fresh log whose
   * first record says so. The sequence number continues.
   */
  async erase(request: { actor: AuditActor; reason: 'unbind' | 'factory_reset' | string }): Promise<{ erasedEntries: number }> {
    this.#assertOpen();
    const erasedEntries = await this.#run(async () => {
      const count = this.#activeCount + this.#prevCount;
      await this.#fh?.close();
      this.#fh = null;
      try {
        // Older file first: a crash in between leaves the newest records and so the sequence number.
        await unlinkIfPresent(this.#prevPath);
        await unlinkIfPresent(this.opts.path);
      } finally {
        await this.#reopen();
      }
      await fsyncDir(dirname(this.opts.path));
      this.#stats.fsyncs++;
      this.#size = 0;
      this.#activeCount = 0;
      this.#prevCount = 0;
      this.#dirty = false;
      await this.#write(
        { actor: request.actor, action: 'audit_erased', result: { status: 'ok' }, details: { reason: request.reason, erasedEntries: count } },
        this.opts.clock.now(),
      );
      await this.#syncIfDirty();
      return count;
    });
    return { erasedEntries };
  }

  /** Sync now whatever is written (e.g. before a reboot the agent starts itself). */
  async flush(): Promise<void> {
    this.#assertOpen();
    await this.#requestSync(0);
  }

  stats(): AuditStats {
    return { entries: this.#activeCount + this.#prevCount, bytes: this.#size, ...this.#stats };
  }

  #assertOpen(): void {
    if (this.#state === 'new') throw new AuditError('audit_not_started', 'audit log not started');
    if (this.#state === 'stopped') throw new AuditError('audit_stopped', 'audit log stopped');
  }

  /** Serialise file work: each op starts when the previous one settled. */
  #run<T>(op: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(op);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  /** Inside the queue: encode, rotate if needed, write the whole line. */
  async #write(input: AuditInput, ts: number): Promise<AuditEntry> {
    const entry = buildEntry(input, this.#nextSeq, ts);
    const buf = Buffer.from(encodeEntry(entry, this.opts.secrets), 'utf8');
    if (this.#size > 0 && this.#size + buf.length > this.#maxBytes) await this.#rotate();
    const fh = this.#fh;
    if (!fh) throw new AuditError('audit_stopped', 'audit log stopped');
    let off = 0;
    try {
      // O_APPEND: one write(2) per line; loop only for the short-write case.
      while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
    } catch (err) {
      this.#stats.writeErrors++;
      // A partial line would glue itself to the next record: cut it off.
      if (off > 0) await fh.truncate(this.#size).catch(() => undefined);
      throw new AuditError('audit_write_failed', `audit record not written: ${(err as NodeJS.ErrnoException).code ?? 'I/O error'}`);
    }
    this.#size += buf.length;
    this.#activeCount++;
    this.#nextSeq++;
    this.#dirty = true;
    return entry;
  }

  /** Inside the queue: sync the active file, rename it over the previous one, open a new one. */
  async #rotate(): Promise<void> {
    await this.#syncIfDirty();
    await this.#fh?.close();
    this.#fh = null;
    try {
      await rename(this.opts.path, this.#prevPath);
    } finally {
      // Whether or not the rename happened, appends go on into `path`.
      await this.#reopen();
    }
    // One directory sync makes both the rename and the new file durable.
    await fsyncDir(dirname(this.opts.path));
    this.#stats.fsyncs++;
    this.#prevCount = this.#activeCount;
    this.#activeCount = 0;
    this.#size = 0;
    this.#stats.rotations++;
  }

  /** Inside the queue: open the active file again (created if it was renamed or unlinked). */
  async #reopen(): Promise<void> {
    this.#fh = await open(this.opts.path, 'a+', 0o600);
  }

  async #syncIfDirty(): Promise<void> {
    if (!this.#dirty || !this.#fh) return;
    this.#dirty = false;
    this.#lastSync = this.opts.clock.monotonic();
    await this.#fh.datasync();
    this.#stats.fsyncs++;
  }

  /** Resolves after a sync that starts no later than `withinMs` from now. */
  #requestSync(withinMs: number): Promise<void> {
    const done = new Promise<void>((resolve) => this.#syncWaiters.push(resolve));
    const due = this.opts.clock.monotonic() + withinMs;
    if (due < this.#syncDue) {
      this.#cancelSyncTimer();
      this.#syncDue = due;
      if (withinMs <= 0) void this.#syncNow();
      else this.#syncTimer = this.opts.clock.setTimeout(() => void this.#syncNow(), withinMs);
    }
    return done;
  }

  #cancelSyncTimer(): void {
    this.#syncTimer?.cancel();
    this.#syncTimer = null;
    this.#syncDue = Infinity;
  }

  async #syncNow(): Promise<void> {
    this.#cancelSyncTimer();
    const waiters = this.#syncWaiters.splice(0);
    if (this.#state !== 'open') {
      waiters.forEach((w) => w());
      return;
    }
    try {
      await this.#run(() => this.#syncIfDirty());
    } catch (err) {
      // The record is written, only not yet on flash: keep the caller going, say so in the log.
      this.#dirty = true;
      this.#stats.syncErrors++;
      this.opts.logger?.warn({ err }, 'audit log: fdatasync failed');
    } finally {
      waiters.forEach((w) => w());
    }
  }

  /** Inside the queue: all lines of the previous then the active file. */
  async #readLines(): Promise<string[]> {
    const prev = await readOrEmpty(this.#prevPath);
    const active = await readOrEmpty(this.opts.path);
    return [...splitLines(prev), ...splitLines(active.subarray(0, this.#size))];
  }
}

interface ScanResult {
  entries: number;
  corrupt: number;
  maxSeq: number;
  /** Bytes up to and including the last newline. */
  goodBytes: number;
  /** Bytes after it: a torn last line. */
  tornBytes: number;
}

function scan(buf: Buffer): ScanResult {
  const lastNl = buf.lastIndexOf(0x0a);
  const goodBytes = lastNl + 1;
  let entries = 0;
  let corrupt = 0;
  let maxSeq = 0;
  for (const line of splitLines(buf.subarray(0, goodBytes))) {
    const e = parseEntry(line);
    if (!e) {
      corrupt++;
      continue;
    }
    entries++;
    if (e.seq > maxSeq) maxSeq = e.seq;
  }
  return { entries, corrupt, maxSeq, goodBytes, tornBytes: buf.length - goodBytes };
}

/** Whole lines only: anything after the last newline is a torn fragment and not returned. */
function splitLines(buf: Buffer): string[] {
  const end = buf.lastIndexOf(0x0a);
  if (end < 0) return [];
  return buf
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

async function readOrEmpty(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}

async function unlinkIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
