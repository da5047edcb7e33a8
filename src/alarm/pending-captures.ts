/**
 * Durable "capture pending" markers, one per alarm whose image is being
 * made, under `DataLayout.alarmCaptureDir`: `<alarmId>.pending` holding
 * `{v: 1, alarmId, at}`.
 *
 * Why: the alarm event (snapshot `pending`) goes to the durable outbox at
 * once and the image is captured afterwards (up to the capture budget,
 * ~1–4 s). A power cut in between used to leave the cloud with an alarm
 * that promises an image and never any `event/snapshot` for it, so it could
 * not tell a late image from a lost one (found by the SIGKILL suite: 62 of
 * 295 alarms). Now a marker is on flash BEFORE the event and is removed once
 * the image is spooled (the delivery worker reports it from there) or a
 * `failed` status is queued. At start every marker without a spool entry
 * becomes `event/snapshot {state: failed, code: capture_interrupted}`.
 *
 * Why a marker of its own rather than the existing durable writes:
 *   - the outbox record of the alarm event cannot serve: the outbox forgets
 *     an event as soon as the broker acknowledges it, usually before the
 *     capture ends, and it has no "hold until cancelled" event;
 *   - capturing first and sending the event afterwards would delay every
 *     phone notification by the capture time, which the design forbids;
 *   - the spool only knows images that exist.
 * Why marker first, then the event: killed between the two, the cloud gets a
 * `capture_interrupted` for an alarm id it never saw, which it ignores
 * (docs/protocol.md); the other order would reopen the very gap this closes.
 * The cost is one small atomic write (temp, fsync, rename, fsync dir) ahead
 * of the event.
 * The marker goes as soon as the spool holds the image, before the delivery
 * worker is kicked; delivering that entry takes at least a network round
 * trip, so a kill between a `delivered` status and the marker's removal is
 * not a practical case — should it happen, the cloud keeps the first final
 * status (docs/protocol.md).
 *
 * Not personal data: an alarm id and a wall-clock time, like the outbox's
 * event envelope; no image, zone or name. Unbind erasure therefore leaves
 * the folder alone; a marker that outlives an unbind only makes a `failed`
 * status without image fields for an alarm of the old binding.
 *
 * Bounded: at most `limit` markers (default 64). Normally a marker lives
 * for one capture (the processor works one image at a time), and every
 * start resolves all markers left by the previous life, so a crash-looping
 * camera does not accumulate them; a marker stays only while the outbox
 * refuses its status (full of alarm events), and beyond the bound a new
 * alarm is raised without a marker (logged) instead of the folder growing.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { fsyncDir, removeStaleTempFiles, writeFileAtomic } from '../storage/atomic-file.js';

export interface PendingCapture {
  alarmId: string;
  /** Wall-clock ms of the alarm; 0 when the marker's content could not be read. */
  at: number;
}

export interface PendingCapturesDeps {
  /** `dataLayout(root).alarmCaptureDir`. */
  dir: string;
  logger: Logger;
  /** Most markers on flash at once. */
  limit?: number;
}

export const DEFAULT_PENDING_CAPTURE_LIMIT = 64;

/** The alarm ids the service makes (32 hex): anything else in the folder is not ours. */
const MARKER = /^([0-9a-f]{32})\.pending$/;

export class PendingCaptures {
  readonly #live = new Set<string>();
  #skipped = 0;

  constructor(private readonly deps: PendingCapturesDeps) {}

  /**
   * Opens the folder (creates it, removes temp files of a killed write) and
   * returns the markers a previous life left, oldest first. They stay on
   * flash until `clear()`: the caller resolves each one first.
   */
  async open(): Promise<PendingCapture[]> {
    const { dir } = this.deps;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await removeStaleTempFiles(dir);
    const found: PendingCapture[] = [];
    for (const name of await readdir(dir)) {
      const m = MARKER.exec(name);
      if (!m) continue;
      const alarmId = m[1]!;
      this.#live.add(alarmId);
      found.push({ alarmId, at: await readAt(join(dir, name), alarmId) });
    }
    return found.sort((a, b) => a.at - b.at || (a.alarmId < b.alarmId ? -1 : 1));
  }

  /**
   * Puts the marker on flash; resolves true once it is durable. False when
   * the bound is reached or the write failed: the alarm goes on without
   * the guarantee (an alarm matters more than its bookkeeping).
   */
  async mark(alarmId: string, at: number): Promise<boolean> {
    if (!MARKER.test(`${alarmId}.pending`)) return false;
    if (this.#live.size >= (this.deps.limit ?? DEFAULT_PENDING_CAPTURE_LIMIT)) {
      this.#skipped++;
      this.deps.logger.warn({ alarmId, pending: this.#live.size, skipped: this.#skipped }, 'too many captures pending: alarm raised without a capture marker');
      return false;
    }
    this.#live.add(alarmId);
    try {
      await writeFileAtomic(this.#path(alarmId), JSON.stringify({ v: 1, alarmId, at } satisfies PendingCapture & { v: 1 }));
      return true;
    } catch (err) {
      this.#live.delete(alarmId);
      this.deps.logger.warn({ alarmId, code: (err as NodeJS.ErrnoException).code ?? 'EIO' }, 'capture marker not stored; alarm raised without it');
      return false;
    }
  }

  /**
   * The image is spooled or its status is queued: the marker goes. The
   * directory is synced so a power cut cannot bring the marker back and
   * turn a delivered image into a `capture_interrupted` as well.
   */
  async clear(alarmId: string): Promise<void> {
    if (!this.#live.delete(alarmId)) return;
    try {
      await unlink(this.#path(alarmId));
      await fsyncDir(this.deps.dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.deps.logger.warn({ alarmId, code }, 'capture marker not removed');
    }
  }

  /** Markers on flash now. */
  count(): number {
    return this.#live.size;
  }

  /** Alarms raised without a marker because the bound was reached. */
  skipped(): number {
    return this.#skipped;
  }

  #path(alarmId: string): string {
    return join(this.deps.dir, `${alarmId}.pending`);
  }
}

async function readAt(path: string, alarmId: string): Promise<number> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as Partial<PendingCapture>;
    return v.alarmId === alarmId && typeof v.at === 'number' && Number.isFinite(v.at) ? v.at : 0;
  } catch {
    // writeFileAtomic never leaves a torn marker; a damaged one still names its alarm.
    return 0;
  }
}
