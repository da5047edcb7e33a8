/**
 * The last few analysis frames with their motion scores, so an alarm still
 * gets a picture when the full-resolution capture is late or fails: the
 * frame that showed the most motion around the trigger, upscaled and marked
 * low-res. Pure: the caller pushes frames and asks for the best one.
 *
 * Frames are copied on push: the frame source's buffers may share memory with
 * a larger stdout chunk (media/frame-source.ts), which a kept reference would
 * pin. At the default 320×180 and 10 frames that is 576 KB.
 */
export interface RingFrame {
  data: Uint8Array;
  width: number;
  height: number;
  /** Motion score of this frame (any monotonic measure: changed-area percent). */
  score: number;
  /** Clock.monotonic() when the frame arrived. */
  atMono: number;
}

export class PreEventRing {
  readonly #frames: RingFrame[] = [];

  constructor(private readonly capacity: number) {}

  push(frame: RingFrame): void {
    if (this.capacity <= 0) return;
    const copy: RingFrame = { ...frame, data: new Uint8Array(frame.data) };
    this.#frames.push(copy);
    if (this.#frames.length > this.capacity) this.#frames.shift();
  }

  get size(): number {
    return this.#frames.length;
  }

  /**
   * The highest-scoring frame that arrived at or after `sinceMono` (ties: the
   * newer one, closer to the action), or null when none did.
   */
  best(sinceMono: number): RingFrame | null {
    let best: RingFrame | null = null;
    for (const f of this.#frames) {
      if (f.atMono < sinceMono) continue;
      if (best === null || f.score >= best.score) best = f;
    }
    return best;
  }

  clear(): void {
    this.#frames.length = 0;
  }
}
