/**
 * Alarm snapshots waiting for delivery, on flash under `DataLayout.spoolDir`.
 *
 * One entry = three files: `<id>.img`, `<id>.thumb` and `<id>.meta`
 * (metadata), each sealed with AES-256-GCM (spool-seal.ts) under a key the
 * personal-data store derives from its DEK. Snapshots show people, and the
 * privacy policy promises personal data encrypted at rest; flash keeps old
 * blocks after unlink, so only ciphertext may ever reach it. Unbind and
 * factory reset destroy the DEK, which turns every spool byte still on the
 * chip into noise (crypto-erase, erase-personal-data.ts). Each file is
 * written with writeFileAtomic (temp, fsync, rename,
 * fsync dir) and the metadata LAST, so an entry exists exactly when its
 * metadata does: images without metadata are a half-written entry and are
 * deleted at start; a delivered entry loses its metadata FIRST for the same
 * reason. add() resolves only after all three are durable, so an
 * acknowledged entry survives SIGKILL and power loss.
 *
 * Bounds (checked before writing, so the directory never exceeds them):
 * `maxCount` entries and `maxBytes` (all three files). To make room the
 * oldest entries are dropped, counted in stats().dropped.full.
 *
 * Retention (a privacy promise, security.md §1.4 "shortest retention"):
 * entries whose event is older than `retentionMs` are deleted whether
 * delivered or not — at start, every `purgeIntervalMs`, and before each take.
 *
 * All mutations run one at a time through an internal queue; the in-memory
 * index mirrors the directory, so take/stats never list files.
 */
import { SerialQueue } from '../core/serial-queue.js';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { fsyncDir, removeStaleTempFiles, writeFileAtomic } from '../storage/atomic-file.js';
import { fail, ok, type Result } from './snapshot-error.js';
import { DEFAULT_SPOOL_BACKOFF, retryIsDue } from './spool-backoff.js';
import { openSpoolFile, sealSpoolFile, SPOOL_SEAL_OVERHEAD } from './spool-seal.js';
import type { Size } from './snapshot-geometry.js';
import type { SnapshotSource } from './snapshot-types.js';

export interface SpoolLimits {
  maxBytes: number;
  maxCount: number;
  retentionMs: number;
  purgeIntervalMs: number;
}

export const DEFAULT_SPOOL_LIMITS: SpoolLimits = {
  maxBytes: 8 * 1024 * 1024,
  maxCount: 50,
  retentionMs: 24 * 3_600_000,
  purgeIntervalMs: 5 * 60_000,
};

export interface SpoolFileMeta {
  bytes: number;
  sha256: string;
  width: number;
  height: number;
}

/** The metadata, version 2 (sealed; version 1 was a clear `.json`, carried over at start by #sealLegacy). */
export interface SpoolEntryMeta {
  v: 2;
  id: string;
  /** Wall-clock ms of the event (retention counts from here). */
  createdAt: number;
  spooledAt: number;
  source: SnapshotSource;
  lowRes: boolean;
  image: SpoolFileMeta;
  thumbnail: SpoolFileMeta;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
}

export interface NewSpoolEntry {
  id: string;
  createdAt: number;
  source: SnapshotSource;
  lowRes: boolean;
  jpeg: Uint8Array;
  thumbnail: Uint8Array;
  size: Size;
  thumbnailSize: Size;
}

export interface SpoolItem {
  meta: SpoolEntryMeta;
  jpeg: Buffer;
  thumbnail: Buffer;
}

export interface SpoolStats {
  count: number;
  bytes: number;
  inFlight: number;
  dropped: {
    /** Oldest entries removed to make room. */
    full: number;
    /** Entries past retention. */
    expired: number;
    /** Entries whose files failed the size or hash check. */
    corrupt: number;
  };
  /** Half-written entries removed at start. */
  partialCleaned: number;
}

/**
 * The 32-byte sealing key, or null when there is none. `create` is true only
 * when adding: reading never makes a key (no key = nothing readable was ever written).
 */
export type SpoolKeySource = (opts: { create: boolean }) => Promise<Uint8Array | null>;

export interface SnapshotSpoolDeps {
  /** `dataLayout(root).spoolDir`. */
  dir: string;
  /** Asked at every use, not cached: after an erase the old key is gone and a new one applies. */
  key: SpoolKeySource;
  clock: Clock;
  logger: Logger;
  limits: () => SpoolLimits;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const FILE = /^([A-Za-z0-9_-]{1,64})(\.img|\.thumb|\.meta)$/;
/** The unencrypted layout of agents before the spool was sealed. */
const LEGACY_FILE = /^([A-Za-z0-9_-]{1,64})(\.thumb\.jpg|\.jpg|\.json)$/;
const LEGACY_META = /^([A-Za-z0-9_-]{1,64})\.json$/;

interface Indexed {
  meta: SpoolEntryMeta;
  /** All three files. */
  bytes: number;
}

export class SnapshotSpool {
  readonly #index = new Map<string, Indexed>();
  readonly #inFlight = new Set<string>();
  #bytes = 0;
  #queue = new SerialQueue();
  #timer: Timer | null = null;
  #started = false;
  readonly #dropped = { full: 0, expired: 0, corrupt: 0 };
  #partialCleaned = 0;

  constructor(private readonly deps: SnapshotSpoolDeps) {}

  /** Loads the directory, removes half entries and temp files, purges expired ones, enforces the bounds. */
  start(): Promise<Result<SpoolStats>> {
    return this.#serial(async () => {
      if (this.#started) return ok(this.stats());
      try {
        await mkdir(this.deps.dir, { recursive: true, mode: 0o700 });
        await removeStaleTempFiles(this.deps.dir);
        await this.#load();
        await this.#purgeExpired();
        await this.#makeRoom(0);
      } catch (err) {
        return fail('spool_io', `spool start failed: ${errText(err)}`);
      }
      this.#started = true;
      const every = this.deps.limits().purgeIntervalMs;
      this.#timer = this.deps.clock.setInterval(() => void this.purgeExpired(), every);
      this.deps.logger.info({ count: this.#index.size, bytes: this.#bytes, partialCleaned: this.#partialCleaned }, 'snapshot spool ready');
      return ok(this.stats());
    });
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#started = false;
  }

  stats(): SpoolStats {
    return {
      count: this.#index.size,
      bytes: this.#bytes,
      inFlight: this.#inFlight.size,
      dropped: { ...this.#dropped },
      partialCleaned: this.#partialCleaned,
    };
  }

  /** Ids, oldest first (for diagnostics and tests). */
  ids(): string[] {
    return this.#ordered().map((e) => e.meta.id);
  }

  /** Stores an entry durably; resolves after all three files are on flash. */
  add(entry: NewSpoolEntry): Promise<Result<SpoolEntryMeta>> {
    return this.#serial(async () => {
      if (!ID.test(entry.id)) return fail('spool_invalid_id', 'event id must be 1–64 of A-Z a-z 0-9 _ -');
      const now = this.deps.clock.now();
      const meta: SpoolEntryMeta = {
        v: 2,
        id: entry.id,
        createdAt: entry.createdAt,
        spooledAt: now,
        source: entry.source,
        lowRes: entry.lowRes,
        image: fileMeta(entry.jpeg, entry.size),
        thumbnail: fileMeta(entry.thumbnail, entry.thumbnailSize),
        attempts: 0,
        nextAttemptAt: now,
      };
      const metaText = JSON.stringify(meta);
      const total = entry.jpeg.byteLength + entry.thumbnail.byteLength + Buffer.byteLength(metaText) + 3 * SPOOL_SEAL_OVERHEAD;
      if (total > this.deps.limits().maxBytes) {
        return fail('spool_entry_too_large', `entry of ${total} bytes exceeds the spool bound of ${this.deps.limits().maxBytes}`);
      }
      const key = await this.#key(true);
      if (!key) return fail('spool_key_unavailable', 'no spool key (personal-data store unavailable): a snapshot is never stored unencrypted');
      try {
        if (this.#index.has(entry.id)) await this.#remove(entry.id); // a re-add replaces
        await this.#makeRoom(total);
        const p = this.#paths(entry.id);
        await writeFileAtomic(p.image, sealSpoolFile(key, entry.id, 'image', entry.jpeg));
        await writeFileAtomic(p.thumbnail, sealSpoolFile(key, entry.id, 'thumbnail', entry.thumbnail));
        // Metadata last: its presence is what makes the entry exist.
        await writeFileAtomic(p.meta, sealSpoolFile(key, entry.id, 'meta', Buffer.from(metaText, 'utf8')));
      } catch (err) {
        await this.#unlinkEntry(entry.id).catch(() => undefined);
        return fail('spool_io', `spool write failed: ${errText(err)}`);
      }
      this.#index.set(entry.id, { meta, bytes: total });
      this.#bytes += total;
      return ok(meta);
    });
  }

  /**
   * Wall-clock ms when the next entry falls due (not in flight), or null when
   * none waits. `maxRetryDelayMs` is the largest retry backoff: a due time
   * further ahead was stored before the wall clock stepped back and counts as
   * due now (spool-backoff.ts retryIsDue).
   */
  nextDueAt(maxRetryDelayMs = DEFAULT_SPOOL_BACKOFF.maxMs): number | null {
    const now = this.deps.clock.now();
    let next: number | null = null;
    for (const e of this.#index.values()) {
      if (this.#inFlight.has(e.meta.id)) continue;
      const due = retryIsDue(e.meta.nextAttemptAt, now, maxRetryDelayMs) ? Math.min(now, e.meta.nextAttemptAt) : e.meta.nextAttemptAt;
      if (next === null || due < next) next = due;
    }
    return next;
  }

  /**
   * The oldest due entry with its bytes, now "in flight" until markDelivered
   * or markFailed; null when nothing is due. Files that fail their size/hash
   * check are deleted and counted as corrupt, and the next entry is tried.
   * `maxRetryDelayMs` as for nextDueAt.
   */
  takeNextDue(maxRetryDelayMs = DEFAULT_SPOOL_BACKOFF.maxMs): Promise<Result<SpoolItem | null>> {
    return this.#serial(async () => {
      await this.#purgeExpired();
      const now = this.deps.clock.now();
      const key = this.#index.size > 0 ? await this.#key(false) : null;
      for (const e of this.#ordered()) {
        if (this.#inFlight.has(e.meta.id) || !retryIsDue(e.meta.nextAttemptAt, now, maxRetryDelayMs)) continue;
        const p = this.#paths(e.meta.id);
        try {
          // No key any more (erased meanwhile): the entry can never be read again.
          if (!key) throw new Error('no spool key');
          const [imageFile, thumbFile] = await Promise.all([readFile(p.image), readFile(p.thumbnail)]);
          const jpeg = openSpoolFile(key, e.meta.id, 'image', imageFile);
          const thumbnail = openSpoolFile(key, e.meta.id, 'thumbnail', thumbFile);
          if (!jpeg || !thumbnail) throw new Error('authentication failed');
          if (!matches(jpeg, e.meta.image) || !matches(thumbnail, e.meta.thumbnail)) throw new Error('hash mismatch');
          this.#inFlight.add(e.meta.id);
          return ok({ meta: { ...e.meta }, jpeg, thumbnail });
        } catch (err) {
          this.deps.logger.warn({ id: e.meta.id, reason: errText(err) }, 'spool entry corrupt; deleted');
          this.#dropped.corrupt++;
          await this.#remove(e.meta.id).catch(() => undefined);
        }
      }
      return ok(null);
    });
  }

  /** Delivered: the entry and its files are deleted. */
  markDelivered(id: string): Promise<Result<void>> {
    return this.#serial(async () => {
      this.#inFlight.delete(id);
      if (!this.#index.has(id)) return fail('spool_unknown_id', `no spool entry ${id}`);
      try {
        await this.#remove(id);
      } catch (err) {
        return fail('spool_io', `spool delete failed: ${errText(err)}`);
      }
      return ok(undefined);
    });
  }

  /** Delivery failed: count the attempt and schedule the next at `nextAttemptAt` (see spool-backoff.ts). */
  markFailed(id: string, nextAttemptAt: number, reason?: string): Promise<Result<SpoolEntryMeta>> {
    return this.#serial(async () => {
      this.#inFlight.delete(id);
      const e = this.#index.get(id);
      if (!e) return fail('spool_unknown_id', `no spool entry ${id}`);
      const meta: SpoolEntryMeta = {
        ...e.meta,
        attempts: e.meta.attempts + 1,
        nextAttemptAt,
        ...(reason !== undefined ? { lastError: reason.slice(0, 200) } : {}),
      };
      const key = await this.#key(false);
      if (!key) return fail('spool_key_unavailable', 'no spool key: the entry cannot be updated');
      const sealed = sealSpoolFile(key, id, 'meta', Buffer.from(JSON.stringify(meta), 'utf8'));
      try {
        await writeFileAtomic(this.#paths(id).meta, sealed);
      } catch (err) {
        return fail('spool_io', `spool update failed: ${errText(err)}`);
      }
      const bytes = e.bytes - metaBytesOf(e) + sealed.byteLength;
      this.#bytes += bytes - e.bytes;
      this.#index.set(id, { meta, bytes });
      return ok(meta);
    });
  }

  /** Deletes every entry (alarm.snapshots switched off: no image may still leave); returns how many. */
  removeAll(): Promise<number> {
    return this.#serial(async () => {
      let n = 0;
      for (const e of this.#ordered()) {
        await this.#remove(e.meta.id);
        n++;
      }
      return n;
    });
  }

  /** Deletes entries past retention; returns how many. Also runs on a timer and before each take. */
  purgeExpired(): Promise<number> {
    return this.#serial(() => this.#purgeExpired());
  }

  // ---- internals (all called inside #serial) --------------------------------

  async #purgeExpired(): Promise<number> {
    const cutoff = this.deps.clock.now() - this.deps.limits().retentionMs;
    let n = 0;
    for (const e of this.#ordered()) {
      if (e.meta.createdAt > cutoff) continue;
      await this.#remove(e.meta.id).catch((err: unknown) =>
        this.deps.logger.warn({ id: e.meta.id, reason: errText(err) }, 'could not delete an expired spool entry'),
      );
      this.#dropped.expired++;
      n++;
    }
    if (n > 0) this.deps.logger.info({ expired: n }, 'expired snapshots deleted from the spool');
    return n;
  }

  /** Drops oldest entries until one of `incoming` bytes fits both bounds. */
  async #makeRoom(incoming: number): Promise<void> {
    const { maxBytes, maxCount } = this.deps.limits();
    const extra = incoming > 0 ? 1 : 0;
    for (const e of this.#ordered()) {
      if (this.#index.size + extra <= maxCount && this.#bytes + incoming <= maxBytes) return;
      await this.#remove(e.meta.id);
      this.#dropped.full++;
      this.deps.logger.warn({ id: e.meta.id }, 'spool full: oldest snapshot dropped');
    }
  }

  async #load(): Promise<void> {
    await this.#sealLegacy(await readdir(this.deps.dir));
    const names = await readdir(this.deps.dir);
    const groups = new Map<string, Set<string>>();
    for (const name of names) {
      const m = FILE.exec(name);
      if (!m) continue;
      const set = groups.get(m[1]!) ?? new Set<string>();
      set.add(m[2]!);
      groups.set(m[1]!, set);
    }
    let changed = false;
    const key = groups.size > 0 ? await this.#key(false) : null;
    for (const [id, kinds] of groups) {
      const p = this.#paths(id);
      if (!kinds.has('.meta')) {
        // Killed between the image writes and the metadata write.
        await this.#unlinkEntry(id);
        this.#partialCleaned++;
        changed = true;
        continue;
      }
      const loaded = key ? await readMeta(key, p.meta, id) : null;
      const sizes = loaded ? await Promise.all([fileSize(p.image), fileSize(p.thumbnail), fileSize(p.meta)]) : null;
      const sealedSize = (f: SpoolFileMeta): number => f.bytes + SPOOL_SEAL_OVERHEAD;
      if (!loaded || !sizes || sizes[0] !== sealedSize(loaded.image) || sizes[1] !== sealedSize(loaded.thumbnail) || sizes[2] === null) {
        await this.#unlinkEntry(id);
        this.#dropped.corrupt++;
        changed = true;
        continue;
      }
      const bytes = sizes[0]! + sizes[1]! + sizes[2]!;
      this.#index.set(id, { meta: loaded, bytes });
      this.#bytes += bytes;
    }
    if (changed) await fsyncDir(this.deps.dir);
  }

  /**
   * Entries an older agent left unencrypted (`<id>.jpg`, `<id>.thumb.jpg`,
   * `<id>.json`, metadata v1) are sealed into the current format so a
   * firmware update loses no alarm, then their clear files are deleted.
   * Whatever cannot be carried over (half entry, bad hash, no key) is deleted.
   */
  async #sealLegacy(names: string[]): Promise<void> {
    const ids = names.map((n) => LEGACY_META.exec(n)?.[1]).filter((id): id is string => id !== undefined);
    const orphans = names.filter((n) => LEGACY_FILE.test(n) && !ids.includes(LEGACY_FILE.exec(n)![1]!));
    if (ids.length === 0 && orphans.length === 0) return;
    let sealed = 0;
    // Asked once for all entries (each ask goes through the store's queue and an HKDF), and only once one parses.
    let key: Uint8Array | null | undefined;
    for (const id of ids) {
      const clear = { image: join(this.deps.dir, `${id}.jpg`), thumbnail: join(this.deps.dir, `${id}.thumb.jpg`), meta: join(this.deps.dir, `${id}.json`) };
      try {
        const old = JSON.parse(await readFile(clear.meta, 'utf8')) as Omit<SpoolEntryMeta, 'v'> & { v: number };
        const [jpeg, thumbnail] = await Promise.all([readFile(clear.image), readFile(clear.thumbnail)]);
        key ??= await this.#key(true);
        if (old.v === 1 && old.id === id && key && matches(jpeg, old.image) && matches(thumbnail, old.thumbnail)) {
          const p = this.#paths(id);
          await writeFileAtomic(p.image, sealSpoolFile(key, id, 'image', jpeg));
          await writeFileAtomic(p.thumbnail, sealSpoolFile(key, id, 'thumbnail', thumbnail));
          await writeFileAtomic(p.meta, sealSpoolFile(key, id, 'meta', Buffer.from(JSON.stringify({ ...old, v: 2 }), 'utf8')));
          sealed++;
        }
      } catch {
        // unreadable: dropped below like any corrupt entry
      }
      for (const f of [clear.meta, clear.image, clear.thumbnail]) await unlink(f).catch(() => undefined);
    }
    for (const name of orphans) await unlink(join(this.deps.dir, name)).catch(() => undefined);
    await fsyncDir(this.deps.dir);
    this.deps.logger.info({ sealed, dropped: ids.length - sealed + orphans.length }, 'unencrypted spool entries of an older agent sealed or deleted');
  }

  async #remove(id: string): Promise<void> {
    const e = this.#index.get(id);
    await this.#unlinkEntry(id);
    if (e) {
      this.#index.delete(id);
      this.#bytes -= e.bytes;
    }
    this.#inFlight.delete(id);
  }

  /** Metadata first (the entry stops existing), then the images, then the directory. */
  async #unlinkEntry(id: string): Promise<void> {
    const p = this.#paths(id);
    for (const f of [p.meta, p.image, p.thumbnail]) {
      await unlink(f).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await fsyncDir(this.deps.dir);
  }

  async #key(create: boolean): Promise<Uint8Array | null> {
    try {
      return await this.deps.key({ create });
    } catch (err) {
      this.deps.logger.warn({ reason: errText(err) }, 'spool key unavailable');
      return null;
    }
  }

  #ordered(): Indexed[] {
    return [...this.#index.values()].sort((a, b) => a.meta.createdAt - b.meta.createdAt || (a.meta.id < b.meta.id ? -1 : 1));
  }

  #paths(id: string): { image: string; thumbnail: string; meta: string } {
    return {
      image: join(this.deps.dir, `${id}.img`),
      thumbnail: join(this.deps.dir, `${id}.thumb`),
      meta: join(this.deps.dir, `${id}.meta`),
    };
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(fn);
  }
}

function fileMeta(bytes: Uint8Array, size: Size): SpoolFileMeta {
  return { bytes: bytes.byteLength, sha256: sha256(bytes), width: size.width, height: size.height };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function matches(bytes: Buffer, meta: SpoolFileMeta): boolean {
  return bytes.length === meta.bytes && sha256(bytes) === meta.sha256;
}

function metaBytesOf(e: Indexed): number {
  return e.bytes - e.meta.image.bytes - e.meta.thumbnail.bytes - 2 * SPOOL_SEAL_OVERHEAD;
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function readMeta(key: Uint8Array, path: string, id: string): Promise<SpoolEntryMeta | null> {
  try {
    const plain = openSpoolFile(key, id, 'meta', await readFile(path));
    if (!plain) return null;
    const m = JSON.parse(Buffer.from(plain).toString('utf8')) as Partial<SpoolEntryMeta>;
    const fileOk = (f: unknown): f is SpoolFileMeta =>
      typeof f === 'object' && f !== null && Number.isInteger((f as SpoolFileMeta).bytes) && typeof (f as SpoolFileMeta).sha256 === 'string';
    if (
      m.v !== 2 ||
      m.id !== id ||
      typeof m.createdAt !== 'number' ||
      typeof m.nextAttemptAt !== 'number' ||
      typeof m.attempts !== 'number' ||
      !fileOk(m.image) ||
      !fileOk(m.thumbnail)
    ) {
      return null;
    }
    return m as SpoolEntryMeta;
  } catch {
    return null;
  }
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e?.code ?? (err instanceof Error ? err.message : String(err));
}
