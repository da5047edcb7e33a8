import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { fsyncDir } from '../storage/atomic-file.js';
import { fail, ok, type Result } from './cloud-error.js';
import type { EventPayload, EventPriority } from './payloads.js';
import { decodeRecords, encodeRecord, type JournalRecord } from './record-framing.js';
import { isLevelName, LIMITS } from './topics.js';

/**
 * The durable queue of QoS 1 events on flash. An event is on disk (fsynced)
 * before add() resolves, so before anyone can send it, and leaves only when
 * the broker acknowledged it (ack) or the drop policy removed it (drop).
 *
 * On disk: append-only segment files `seg-<n>.log` of framed records
 * (record-framing.ts): E = event, A = acknowledged id, D = dropped id. Replay
 * at open() reads the segments in order; an id with an A or D record is gone.
 * A torn tail (crash or power cut mid-write) fails its CRC and is truncated.
 *
 * Flash wear (security.md §4.4): no file is ever rewritten in place. Events
 * are written in groups with one fdatasync per group; acknowledgements are
 * written without fsync, batched for `ackFlushMs` — a process crash keeps
 * them (page cache), a power cut may lose the last few, and then those events
 * are sent again: delivery is at least once and the cloud de-duplicates by
 * event id. Segments are deleted only from the head (oldest first) once
 * every event in them is resolved, which keeps the replay rule simple: an A/D
 * record never outlives the E record it cancels. A head segment holding a few
 * long-pending events is compacted: they are re-appended to the tail and the
 * head deleted.
 *
 * Drop policy when a bound is reached: the oldest low-priority event goes
 * first; high-priority (alarm) events are dropped only when no low-priority
 * one is left, and a new low-priority event is refused rather than evict a
 * high-priority one. Events older than maxAgeMs are dropped whatever their
 * priority. Every drop is counted (stats().dropped).
 */
export interface OutboxLimits {
  maxCount: number;
  maxBytes: number;
  maxAgeMs: number;
  /** Roll over to a new segment file after this many bytes. */
  segmentBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxCount: 1000,
  maxBytes: 4 * 1024 * 1024,
  maxAgeMs: 24 * 3_600_000,
  segmentBytes: 256 * 1024,
};

export interface OutboxEvent extends EventPayload {
  /** Bytes of the JSON payload as published. */
  size: number;
}

export interface NewEvent {
  type: string;
  priority: EventPriority;
  data: Record<string, unknown>;
  /** Wall-clock ms when it happened; default now. */
  ts?: number;
}

export type DropReason = 'full' | 'expired' | 'refused';

export interface OutboxStats {
  count: number;
  bytes: number;
  segments: number;
  dropped: { lowFull: number; highFull: number; expired: number; refused: number; total: number };
  /** Records lost to a corrupt middle segment (never expected; a torn tail is normal). */
  corruptBytes: number;
  fsyncs: number;
}

export interface OutboxOptions {
  dir: string;
  clock: Clock;
  logger: Logger;
  limits?: Partial<OutboxLimits>;
  /** How long acknowledgements are batched before being written. */
  ackFlushMs?: number;
  /** 16 random bytes as hex; injectable for tests. */
  newId?: () => string;
}

interface Entry {
  event: OutboxEvent;
  seg: number;
}

interface Segment {
  n: number;
  live: number;
  bytes: number;
}

const SEG = /^seg-(\d{10})\.log$/;
const segName = (n: number) => `seg-${String(n).padStart(10, '0')}.log`;

export class Outbox {
  readonly #limits: OutboxLimits;
  readonly #entries = new Map<string, Entry>();
  readonly #segments: Segment[] = [];
  readonly #listeners = new Set<() => void>();
  #bytes = 0;
  #fh: FileHandle | null = null;
  #pending: Buffer[] = [];
  #pendingSync = false;
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #writing: Promise<void> = Promise.resolve();
  #ackTimer: Timer | null = null;
  #closed = true;
  #dropped = { lowFull: 0, highFull: 0, expired: 0, refused: 0, total: 0 };
  #corruptBytes = 0;
  #fsyncs = 0;

  constructor(private readonly opts: OutboxOptions) {
    this.#limits = { ...DEFAULT_OUTBOX_LIMITS, ...opts.limits };
  }

  /** Replay the journal; events still pending are in order of their time afterwards. */
  async open(): Promise<void> {
    const { dir, logger } = this.opts;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const names = (await readdir(dir)).filter((n) => SEG.test(n)).sort();
    const replayed: Array<{ event: OutboxEvent; seg: number }> = [];
    const gone = new Set<string>();
    for (const [i, name] of names.entries()) {
      const n = Number(SEG.exec(name)![1]);
      const path = join(dir, name);
      const buf = await readFile(path);
      const { records, goodBytes, badBytes } = decodeRecords(buf);
      if (badBytes > 0) {
        if (i === names.length - 1) {
          // A torn tail: the last write of a killed process. Cut it so appends start clean.
          await truncate(path, goodBytes);
          logger.warn({ segment: name, bytes: badBytes }, 'outbox: dropped a torn record at the end of the journal');
        } else {
          this.#corruptBytes += badBytes;
          logger.error({ segment: name, bytes: badBytes }, 'outbox: corrupt records in the middle of the journal');
        }
      }
      this.#segments.push({ n, live: 0, bytes: goodBytes });
      for (const r of records) this.#replay(r, n, replayed, gone);
    }
    const byId = new Map<string, { event: OutboxEvent; seg: number }>();
    for (const r of replayed) if (!gone.has(r.event.id)) byId.set(r.event.id, r);
    for (const r of [...byId.values()].sort((a, b) => a.event.ts - b.event.ts)) this.#insert(r.event, r.seg);
    const last = this.#segments.at(-1);
    const current = last ?? { n: 1, live: 0, bytes: 0 };
    if (!last) this.#segments.push(current);
    this.#fh = await open(join(dir, segName(current.n)), 'a', 0o600);
    if (!last) await fsyncDir(dir);
    this.#closed = false;
    this.#expire();
    await this.#removeResolvedHead();
    logger.info({ pending: this.#entries.size, bytes: this.#bytes, segments: this.#segments.length }, 'outbox: opened');
  }

  #replay(r: JournalRecord, seg: number, replayed: Array<{ event: OutboxEvent; seg: number }>, gone: Set<string>): void {
    if (r.kind === 'E') {
      let e: unknown;
      try {
        e = JSON.parse(r.body.toString('utf8'));
      } catch {
        e = undefined;
      }
      // A right CRC over a wrong body (a writer bug, a collision) must not replay as an event without an id or type.
      if (isStoredEvent(e)) replayed.push({ event: { ...e, size: payloadBytes(e) }, seg });
      else this.#corruptBytes += r.body.length;
    } else gone.add(r.body.toString('latin1'));
  }

  /** Persist a new event; resolves once it is on flash. */
  async add(input: NewEvent): Promise<Result<OutboxEvent>> {
    if (this.#closed) return fail('outbox_closed', 'outbox is not open');
    if (!isLevelName(input.type)) return fail('invalid_args', 'event type must be a topic level name');
    const base: EventPayload = {
      id: this.opts.newId?.() ?? randomBytes(16).toString('hex'),
      type: input.type,
      ts: input.ts ?? this.opts.clock.now(),
      priority: input.priority,
      data: input.data,
    };
    const event: OutboxEvent = { ...base, size: payloadBytes(base) };
    if (event.size > LIMITS.maxPayloadBytes) return fail('payload_too_large', `event is larger than ${LIMITS.maxPayloadBytes} bytes`);
    if (!this.#makeRoom(event)) {
      this.#count('refused', input.priority);
      return fail('outbox_full', 'outbox is full of high-priority events; low-priority event refused');
    }
    const seg = this.#currentSegment();
    this.#insert(event, seg.n);
    try {
      await this.#append(encodeRecord('E', Buffer.from(JSON.stringify(base))), true);
    } catch (err) {
      // Not on flash (ENOSPC: data partition full, EIO). Throwing here reached the alarm path as an
      // unhandled rejection, which is fatal to the agent. The event stays in memory and is still sent
      // while the agent runs — an alarm matters more than its durability — and the caller is told.
      for (const l of this.#listeners) l();
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      this.opts.logger.warn({ code, eventId: event.id, type: event.type }, 'outbox: event not stored on flash; kept in memory only');
      return fail('outbox_io', `event not stored on flash (${code}); sent from memory unless the agent restarts first`);
    }
    for (const l of this.#listeners) l();
    return ok(event);
  }

  /** Pending events, oldest first, skipping the ids in `skip` (already in flight). */
  peek(limit: number, skip: ReadonlySet<string> = new Set()): OutboxEvent[] {
    const out: OutboxEvent[] = [];
    if (limit <= 0) return out;
    for (const { event } of this.#entries.values()) {
      if (skip.has(event.id)) continue;
      out.push(event);
      if (out.length >= limit) break;
    }
    return out;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /** The broker acknowledged it: remove (written lazily, see the class comment). */
  ack(id: string): void {
    if (this.#remove(id)) this.#resolveLater('A', id);
  }

  /** Remove by policy: expired, or refused by the broker. */
  drop(id: string, reason: DropReason): void {
    const e = this.#entries.get(id);
    if (!e) return;
    this.#count(reason, e.event.priority);
    this.#remove(id);
    this.#resolveLater('D', id);
  }

  /** Drop events older than maxAgeMs; returns how many. */
  expireOld(): number {
    return this.#expire();
  }

  /** Called whenever an event is added (the drain waits on it). */
  onAdded(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): OutboxStats {
    return {
      count: this.#entries.size,
      bytes: this.#bytes,
      segments: this.#segments.length,
      dropped: { ...this.#dropped },
      corruptBytes: this.#corruptBytes,
      fsyncs: this.#fsyncs,
    };
  }

  /** Write what is pending (with fsync) and close the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#ackTimer?.cancel();
    this.#ackTimer = null;
    if (this.#pending.length) await this.#flush(true).catch(() => undefined);
    await this.#writing.catch(() => undefined);
    this.#closed = true;
    await this.#fh?.close();
    this.#fh = null;
  }

  // ---- bookkeeping ----

  #insert(event: OutboxEvent, seg: number): void {
    this.#entries.set(event.id, { event, seg });
    this.#bytes += event.size;
    const s = this.#segments.find((x) => x.n === seg);
    if (s) s.live++;
  }

  #remove(id: string): boolean {
    const e = this.#entries.get(id);
    if (!e) return false;
    this.#entries.delete(id);
    this.#bytes -= e.event.size;
    const s = this.#segments.find((x) => x.n === e.seg);
    if (s) s.live--;
    return true;
  }

  #count(reason: DropReason, priority: EventPriority): void {
    if (reason === 'full') this.#dropped[priority === 'high' ? 'highFull' : 'lowFull']++;
    else this.#dropped[reason === 'expired' ? 'expired' : 'refused']++;
    this.#dropped.total++;
  }

  #makeRoom(incoming: OutboxEvent): boolean {
    const { maxCount, maxBytes } = this.#limits;
    while (this.#entries.size + 1 > maxCount || this.#bytes + incoming.size > maxBytes) {
      let victim: OutboxEvent | undefined;
      for (const { event } of this.#entries.values()) {
        if (event.priority === 'low') {
          victim = event;
          break;
        }
      }
      if (!victim) {
        if (incoming.priority === 'low') return false;
        victim = this.#entries.values().next().value?.event;
      }
      if (!victim) return incoming.size <= maxBytes;
      this.drop(victim.id, 'full');
    }
    return true;
  }

  #expire(): number {
    const cutoff = this.opts.clock.now() - this.#limits.maxAgeMs;
    const old = [...this.#entries.values()].filter((e) => e.event.ts < cutoff).map((e) => e.event.id);
    for (const id of old) this.drop(id, 'expired');
    return old.length;
  }

  #currentSegment(): Segment {
    return this.#segments.at(-1)!;
  }

  // ---- writing ----

  #resolveLater(kind: 'A' | 'D', id: string): void {
    this.#pending.push(encodeRecord(kind, Buffer.from(id, 'latin1')));
    if (this.#ackTimer || this.#closed) return;
    this.#ackTimer = this.opts.clock.setTimeout(() => {
      this.#ackTimer = null;
      void this.#flush(false).catch((err) => this.opts.logger.error({ err }, 'outbox: writing acknowledgements failed'));
    }, this.opts.ackFlushMs ?? 200);
  }

  #append(record: Buffer, sync: boolean): Promise<void> {
    this.#pending.push(record);
    return this.#flush(sync);
  }

  /** Group commit: everything pending goes out in one write and (if asked) one fdatasync. */
  #flush(sync: boolean): Promise<void> {
    if (sync) this.#pendingSync = true;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#writing = this.#writing.then(() => this.#writeOut()).catch(() => undefined);
    return done;
  }

  async #writeOut(): Promise<void> {
    const waiters = this.#waiters;
    const chunks = this.#pending;
    const sync = this.#pendingSync;
    this.#waiters = [];
    this.#pending = [];
    this.#pendingSync = false;
    if (!chunks.length) {
      waiters.forEach((w) => w.resolve());
      return;
    }
    try {
      const buf = Buffer.concat(chunks);
      const { bytesWritten } = await this.#fh!.write(buf);
      if (bytesWritten < buf.length) {
        // A short write (the partition filled mid-record): cut the torn bytes off again, or the
        // next record would follow garbage and replay would stop there, losing everything after it.
        await this.#fh!.truncate(this.#currentSegment().bytes).catch(() => undefined);
        throw Object.assign(new Error('ENOSPC: short write to the outbox journal'), { code: 'ENOSPC' });
      }
      if (sync) {
        await this.#fh!.datasync();
        this.#fsyncs++;
      }
      const seg = this.#currentSegment();
      seg.bytes += buf.length;
      if (seg.bytes >= this.#limits.segmentBytes) await this.#rollOver();
    } catch (err) {
      waiters.forEach((w) => w.reject(err));
      return;
    }
    // The records are durable; housekeeping failing must not fail the add() that waited for them.
    await this.#removeResolvedHead().catch((err) => this.opts.logger.warn({ err }, 'outbox: removing old segments failed'));
    waiters.forEach((w) => w.resolve());
  }

  async #rollOver(): Promise<void> {
    const n = this.#currentSegment().n + 1;
    // Sync the old segment's unsynced acks before leaving it: cheap once per segment.
    await this.#fh!.datasync();
    this.#fsyncs++;
    await this.#fh!.close();
    this.#fh = await open(join(this.opts.dir, segName(n)), 'a', 0o600);
    await fsyncDir(this.opts.dir);
    this.#fsyncs++;
    this.#segments.push({ n, live: 0, bytes: 0 });
  }

  /** Delete fully resolved segments from the head; compact a head that holds only a few stragglers. */
  async #removeResolvedHead(): Promise<void> {
    while (this.#segments.length > 1) {
      const head = this.#segments[0]!;
      if (head.live > 0) {
        const liveBytes = [...this.#entries.values()].filter((e) => e.seg === head.n).reduce((s, e) => s + e.event.size, 0);
        // Compacting costs a copy of the live bytes; worth it only when they are a small part of the file.
        if (this.#segments.length < 3 || liveBytes * 4 > head.bytes) return;
        await this.#compact(head);
      }
      await unlink(join(this.opts.dir, segName(head.n))).catch(() => undefined);
      this.#segments.shift();
    }
  }

  async #compact(head: Segment): Promise<void> {
    const tail = this.#currentSegment();
    const moved = [...this.#entries.values()].filter((e) => e.seg === head.n);
    const buf = Buffer.concat(moved.map((e) => encodeRecord('E', Buffer.from(JSON.stringify(wire(e.event))))));
    await this.#fh!.write(buf);
    await this.#fh!.datasync();
    this.#fsyncs++;
    tail.bytes += buf.length;
    for (const e of moved) e.seg = tail.n;
    tail.live += moved.length;
    head.live = 0;
  }
}

/** The event as published (without bookkeeping fields). */
export function wire(e: OutboxEvent): EventPayload {
  return { id: e.id, type: e.type, ts: e.ts, priority: e.priority, data: e.data };
}

/** The fields replay and the drain rely on, as add() writes them. */
function isStoredEvent(v: unknown): v is EventPayload {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.id === 'string' &&
    e.id !== '' &&
    typeof e.type === 'string' &&
    isLevelName(e.type) &&
    typeof e.ts === 'number' &&
    Number.isFinite(e.ts) &&
    (e.priority === 'high' || e.priority === 'low') &&
    typeof e.data === 'object' &&
    e.data !== null &&
    !Array.isArray(e.data)
  );
}

function payloadBytes(e: EventPayload): number {
  return Buffer.byteLength(JSON.stringify({ id: e.id, type: e.type, ts: e.ts, priority: e.priority, data: e.data }));
}
