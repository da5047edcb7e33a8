/**
 * The downlink jitter buffer: frames from the far end arrive late, early,
 * twice, out of order or not at all; the decoder must get them in order, on
 * time, with lost ones replaced by silence of the same length.
 *
 * Pure: time comes in as numbers (monotonic ms), nothing is scheduled here.
 * The caller pushes frames as they arrive, and pulls at nextDueMs().
 *
 * Playout is timestamp-driven. The first frame of a talk spurt anchors the
 * schedule:
 *
 *   due(ts) = anchorArrival + depthMs − leadMs + (ts − anchorTs) · 1000 / clockRate
 *
 * so every later frame has `depthMs` of slack to arrive in. `leadMs` releases
 * frames that much early, for a downstream that holds frames back (a
 * decoder that emits a frame's PCM only when the next arrives), so the
 * latency added end to end stays ≈ depthMs.
 *
 * Sequence numbers are used only to tell duplicates and reordering;
 * timestamps alone say where audio goes. Both are u32 on the wire and may
 * start anywhere, so they are unwrapped with 32-bit modular differences
 * (RFC 1982 serial arithmetic): any two values less than 2^31 apart compare
 * correctly, across the wrap.
 */

export interface JitterFrame {
  /** u32 as on the wire. */
  seq: number;
  /** u32 as on the wire, in clockRate units. */
  timestamp: number;
  /** How long the payload plays, in clockRate units (> 0; codec.ts payloadDuration). */
  duration: number;
  payload: Uint8Array;
  marker?: boolean;
}

export type JitterPush =
  /** Held for playout. */
  | 'accepted'
  /** Same seq already held or recently played. */
  | 'duplicate'
  /** Its place in the timeline has already been played (or concealed). */
  | 'late'
  /** Held audio exceeded maxDepthMs, the oldest frames were dropped, and this frame was one of them. */
  | 'overflow';

export type JitterOut =
  | { kind: 'frame'; frame: JitterFrame; arrivalMs: number }
  /** Conceal this many clock units (lost or late frames) with silence before the next frame. */
  | { kind: 'gap'; duration: number };

export interface JitterStats {
  /** Every push. */
  received: number;
  /** Pushes answered 'accepted'. */
  accepted: number;
  /** Frames released by pull. */
  played: number;
  duplicates: number;
  late: number;
  /** Frames concealed: each gap counted as its duration over the next frame's, at least 1. */
  lost: number;
  /** Clock units of gap (silence) released. */
  concealed: number;
  /** Frames (not duplicates) that arrived after a higher seq. */
  reordered: number;
  /** Frames dropped unplayed to keep held audio ≤ maxDepthMs, or discarded by a timeline restart. */
  overflowDrops: number;
  /** Schedule re-anchors after the first: after an underrun, a timestamp jump or a sender restart. */
  resyncs: number;
  /** Times the schedule moved later because frames started arriving after their slot (a slow sender clock). */
  stretches: number;
  /** Frames held now. */
  depth: number;
  /** Most frames ever held at once. */
  maxDepth: number;
}

export interface JitterBufferOptions {
  /** Units of timestamps and durations (CodecSpec.clockRate). */
  clockRate: number;
  /** How long the first frame of a spurt waits before release (settings talkback.jitterMs). */
  depthMs: number;
  /** Most audio held; also the longest gap concealed (settings talkback.maxJitterMs). */
  maxDepthMs: number;
  /** Release this much earlier than depthMs alone would (decoder hold-back), default 0. */
  leadMs?: number;
}

interface Held {
  frame: JitterFrame;
  arrivalMs: number;
  /** Unwrapped seq and timestamp (may exceed 2^32 or go negative). */
  seq: number;
  ts: number;
}

const U32 = 2 ** 32;
/** Played seqs remembered for duplicate detection: far more than any reorder window (≥ 20 s at 20 ms). */
const PLAYED_MEMORY = 1024;

/** `value` (u32) as the number nearest to `ref` that is congruent to it mod 2^32. */
function unwrap(value: number, ref: number | null): number {
  const v = value >>> 0;
  if (ref === null) return v;
  const refLow = ((ref % U32) + U32) % U32;
  return ref + ((v - refLow) | 0);
}

export class JitterBuffer {
  readonly #clockRate: number;
  readonly #depthMs: number;
  readonly #leadMs: number;
  /** maxDepthMs in clock units: the cap on held audio and on a single concealed gap. */
  readonly #maxUnits: number;

  /** Held frames in timestamp order. */
  #held: Held[] = [];
  #heldUnits = 0;
  #maxHeldUnits = 0;
  /** The schedule; null until a frame (re)starts it. Never null while frames are held. */
  #anchor: { arrivalMs: number; ts: number } | null = null;
  /** Unwrapped timestamp where played audio ends; frames before it are late. Null before anything is played. */
  #cursor: number | null = null;
  /** The next release starts a spurt: it plays without a gap before it. */
  #fresh = true;
  #everAnchored = false;
  #highestSeq: number | null = null;
  #highestTs: number | null = null;
  #played = new Set<number>();
  #playedOrder: number[] = [];
  /** Clock units of consecutive frames refused as late/duplicate-of-played: a sender restart when it exceeds maxDepth. */
  #rejectedRun = 0;
  #stats = JitterBuffer.#zeroStats();

  constructor(opts: JitterBufferOptions) {
    const { clockRate, depthMs, maxDepthMs, leadMs = 0 } = opts;
    for (const [name, value] of Object.entries({ clockRate, depthMs, maxDepthMs, leadMs })) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`jitter buffer ${name} must be a finite number ≥ 0, got ${value}`);
    }
    if (clockRate === 0) throw new RangeError('jitter buffer clockRate must be > 0');
    this.#clockRate = clockRate;
    this.#depthMs = depthMs;
    this.#leadMs = leadMs;
    // Holding less than the depth would drop frames that are on time.
    this.#maxUnits = (Math.max(maxDepthMs, depthMs) * clockRate) / 1000;
  }

  static #zeroStats(): Omit<JitterStats, 'depth' | 'maxDepth'> & { maxDepth: number } {
    return { received: 0, accepted: 0, played: 0, duplicates: 0, late: 0, lost: 0, concealed: 0, reordered: 0, overflowDrops: 0, resyncs: 0, stretches: 0, maxDepth: 0 };
  }

  /**
   * Offer one arrived frame. `duration` must be > 0 (a caller bug otherwise:
   * RangeError); everything from the network (seq, timestamp) is accepted as is.
   */
  push(frame: JitterFrame, arrivalMs: number): JitterPush {
    if (!Number.isFinite(frame.duration) || frame.duration <= 0) throw new RangeError(`frame duration must be > 0, got ${frame.duration}`);
    this.#stats.received++;
    this.#checkUnderrun(arrivalMs);
    const seq = unwrap(frame.seq, this.#highestSeq);
    const ts = unwrap(frame.timestamp, this.#highestTs);

    if (this.#held.some((h) => h.seq === seq)) {
      this.#stats.duplicates++;
      return 'duplicate';
    }
    if (this.#played.has(seq)) {
      this.#stats.duplicates++;
      return this.#rejected(frame.duration) ? this.#restartTimeline(frame, arrivalMs) : 'duplicate';
    }
    if (this.#highestSeq !== null && seq < this.#highestSeq) this.#stats.reordered++;
    if (this.#cursor !== null && ts < this.#cursor) {
      this.#stats.late++;
      if (this.#rejected(frame.duration)) return this.#restartTimeline(frame, arrivalMs);
      this.#followLateFrame(ts, arrivalMs);
      return 'late';
    }
    return this.#accept(frame, arrivalMs, seq, ts);
  }

  /**
   * A frame came after its slot was played: the network (or a sender whose
   * clock runs slower than ours) now delivers later than the schedule
   * allows, and every following frame would be late too. Move the schedule
   * so this frame would have had half the depth to spare; the frames after
   * it then play on time again. Costs one stretch of silence (the lateness
   * plus half the depth), once, instead of a concealed frame every few
   * frames from then on; a 0.1 % slow sender clock with a 60 ms buffer
   * pays it about every 30 s. Latency stays bounded: the overflow rule trims
   * the buffer back at maxDepth.
   */
  #followLateFrame(ts: number, arrivalMs: number): void {
    if (!this.#anchor) return;
    const lateness = arrivalMs - this.#dueAt(ts);
    // A straggler from a burst (far later than the depth) says nothing about the clock.
    if (lateness <= 0 || lateness > this.#depthMs) return;
    this.#anchor = { arrivalMs: this.#anchor.arrivalMs + lateness + this.#depthMs / 2, ts: this.#anchor.ts };
    this.#stats.stretches++;
  }

  /** Everything due by `nowMs`, in playout order, with gaps where frames are missing. */
  pull(nowMs: number): JitterOut[] {
    const out: JitterOut[] = [];
    for (;;) {
      const first = this.#held[0];
      if (first === undefined) break;
      const { due, jump } = this.#dueOfFirst(first);
      if (due > nowMs) break;
      this.#held.shift();
      this.#heldUnits -= first.frame.duration;
      const end = first.ts + first.frame.duration;
      if (jump) {
        // A silence longer than we would conceal: a new talk spurt on a fresh schedule.
        this.#anchor = { arrivalMs: due - this.#depthMs + this.#leadMs, ts: first.ts };
        this.#stats.resyncs++;
      } else if (!this.#fresh && this.#cursor !== null) {
        if (end <= this.#cursor) {
          // Overlaps audio already played (two frames claiming the same time): nothing left to play.
          this.#stats.late++;
          continue;
        }
        if (first.ts > this.#cursor) {
          const gap = first.ts - this.#cursor;
          out.push({ kind: 'gap', duration: gap });
          this.#stats.concealed += gap;
          this.#stats.lost += Math.max(1, Math.round(gap / first.frame.duration));
        }
      }
      this.#fresh = false;
      this.#cursor = Math.max(this.#cursor ?? end, end);
      this.#remember(first.seq);
      this.#stats.played++;
      out.push({ kind: 'frame', frame: first.frame, arrivalMs: first.arrivalMs });
    }
    this.#checkUnderrun(nowMs);
    return out;
  }

  /** When pull() will next return something; null while nothing is held. */
  nextDueMs(): number | null {
    const first = this.#held[0];
    return first === undefined ? null : this.#dueOfFirst(first).due;
  }

  /** Nothing held and everything released has had its time: the far end is silent. */
  isIdle(nowMs: number): boolean {
    if (this.#held.length > 0) return false;
    return this.#anchor === null || this.#cursor === null || nowMs >= this.#dueAt(this.#cursor);
  }

  /** Audio held now, in clock units. */
  heldDuration(): number {
    return this.#heldUnits;
  }

  /** Most audio ever held at once, in clock units. */
  maxHeldDuration(): number {
    return this.#maxHeldUnits;
  }

  stats(): JitterStats {
    return { ...this.#stats, depth: this.#held.length };
  }

  /** Forget everything, statistics included: a new session. */
  reset(): void {
    this.#clearTimeline();
    this.#everAnchored = false;
    this.#maxHeldUnits = 0;
    this.#stats = JitterBuffer.#zeroStats();
  }

  #clearTimeline(): void {
    this.#held = [];
    this.#heldUnits = 0;
    this.#anchor = null;
    this.#cursor = null;
    this.#fresh = true;
    this.#highestSeq = null;
    this.#highestTs = null;
    this.#played.clear();
    this.#playedOrder = [];
    this.#rejectedRun = 0;
  }

  #dueAt(ts: number): number {
    const anchor = this.#anchor!;
    return anchor.arrivalMs + this.#depthMs - this.#leadMs + ((ts - anchor.ts) * 1000) / this.#clockRate;
  }

  /**
   * A frame further ahead of the played audio than we would conceal starts a
   * new spurt: it waits its own depth after arrival (but never plays over the
   * audio before it) instead of the old schedule's time, which could be hours away.
   */
  #dueOfFirst(first: Held): { due: number; jump: boolean } {
    if (!this.#fresh && this.#cursor !== null && first.ts - this.#cursor > this.#maxUnits) {
      return { due: Math.max(first.arrivalMs + this.#depthMs - this.#leadMs, this.#dueAt(this.#cursor)), jump: true };
    }
    return { due: this.#dueAt(first.ts), jump: false };
  }

  /**
   * Underrun: nothing held and nothing came for a whole jitter depth past
   * the end of the played audio. The next frame then starts a new schedule
   * (a new depth of slack) instead of being played at once, late, with every
   * frame after it exactly as late.
   */
  #checkUnderrun(nowMs: number): void {
    if (this.#held.length > 0 || this.#anchor === null || this.#cursor === null) return;
    if (nowMs > this.#dueAt(this.#cursor) + this.#depthMs) {
      this.#anchor = null;
      this.#fresh = true;
    }
  }

  /** Counts a refused frame; true when refusals have run longer than maxDepth: the sender's timeline moved. */
  #rejected(duration: number): boolean {
    this.#rejectedRun += duration;
    return this.#rejectedRun > this.#maxUnits;
  }

  /**
   * The far end restarted its counters (a new sender behind the same
   * session): every frame is now 'late' or a 'duplicate' of old seqs and
   * would be forever. Start over from this frame; held frames of the old
   * timeline cannot be ordered against the new one and are dropped.
   */
  #restartTimeline(frame: JitterFrame, arrivalMs: number): JitterPush {
    this.#stats.overflowDrops += this.#held.length;
    this.#clearTimeline();
    return this.#accept(frame, arrivalMs, unwrap(frame.seq, null), unwrap(frame.timestamp, null));
  }

  #accept(frame: JitterFrame, arrivalMs: number, seq: number, ts: number): JitterPush {
    this.#rejectedRun = 0;
    this.#highestSeq = Math.max(this.#highestSeq ?? seq, seq);
    this.#highestTs = Math.max(this.#highestTs ?? ts, ts);
    const entry: Held = { frame, arrivalMs, seq, ts };
    let i = this.#held.length;
    while (i > 0 && (this.#held[i - 1]!.ts > ts || (this.#held[i - 1]!.ts === ts && this.#held[i - 1]!.seq > seq))) i--;
    this.#held.splice(i, 0, entry);
    this.#heldUnits += frame.duration;
    if (this.#anchor === null) {
      this.#anchor = { arrivalMs, ts };
      this.#fresh = true;
      if (this.#everAnchored) this.#stats.resyncs++;
      this.#everAnchored = true;
    }
    const dropped = this.#enforceMaxDepth(entry, arrivalMs);
    this.#maxHeldUnits = Math.max(this.#maxHeldUnits, this.#heldUnits);
    this.#stats.maxDepth = Math.max(this.#stats.maxDepth, this.#held.length);
    if (dropped) return 'overflow';
    this.#stats.accepted++;
    return 'accepted';
  }

  /**
   * When held audio exceeds maxDepth (a burst after a network stall), drops
   * the oldest frames down to depthMs and restarts the schedule as if the
   * newest frame had just arrived first: it plays depthMs after now, the
   * frames kept before it just ahead of it, and nothing is concealed for
   * what was dropped. Trimming only to maxDepth, or keeping the old
   * schedule, would leave a standing queue (up to maxDepth of extra
   * latency) for the rest of the spurt. Returns whether `pushed` was dropped.
   */
  #enforceMaxDepth(pushed: Held, nowMs: number): boolean {
    if (this.#heldUnits <= this.#maxUnits || this.#held.length < 2) return false;
    const target = (this.#depthMs * this.#clockRate) / 1000;
    let dropped = false;
    // Keep at least one frame: a single frame longer than the target is still audio to play.
    while (this.#heldUnits > target && this.#held.length > 1) {
      const oldest = this.#held.shift()!;
      this.#heldUnits -= oldest.frame.duration;
      this.#stats.overflowDrops++;
      if (oldest === pushed) dropped = true;
    }
    const newest = this.#held[this.#held.length - 1]!;
    this.#anchor = { arrivalMs: nowMs, ts: newest.ts };
    this.#cursor = this.#held[0]!.ts;
    this.#fresh = false;
    return dropped;
  }

  #remember(seq: number): void {
    this.#played.add(seq);
    this.#playedOrder.push(seq);
    if (this.#playedOrder.length > PLAYED_MEMORY) this.#played.delete(this.#playedOrder.shift()!);
  }
}
