/**
 * Cuts the byte stream of a rawvideo pipe into whole frames.
 *
 * A pipe delivers chunks of whatever size the kernel had ready (64 KiB on
 * Linux, or less), unrelated to frame boundaries: one chunk may hold several
 * frames, the end of one and the start of the next, or a fraction of one.
 *
 * Zero-copy where possible: a frame lying entirely inside one chunk is
 * returned as a view (`subarray`) of that chunk. Only a frame spanning chunks
 * is copied, once, into its own buffer. Views share memory with the chunk, so
 * consumers must treat frames as read-only (Node hands each stream read a
 * fresh buffer, so no later read overwrites them).
 */
export class FrameAssembler {
  readonly frameBytes: number;
  #partial: Uint8Array | null = null;
  #filled = 0;

  constructor(frameBytes: number) {
    if (!Number.isSafeInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    }
    this.frameBytes = frameBytes;
  }

  /** Bytes of an incomplete frame held until the next chunk completes it. */
  get pendingBytes(): number {
    return this.#filled;
  }

  /** Adds one chunk; returns the frames it completed, in stream order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const size = this.frameBytes;
    const frames: Uint8Array[] = [];
    let offset = 0;

    if (this.#partial !== null) {
      const take = Math.min(size - this.#filled, chunk.length);
      this.#partial.set(chunk.subarray(0, take), this.#filled);
      this.#filled += take;
      offset = take;
      if (this.#filled < size) return frames;
      frames.push(this.#partial);
      this.#partial = null;
      this.#filled = 0;
    }

    while (chunk.length - offset >= size) {
      frames.push(chunk.subarray(offset, offset + size));
      offset += size;
    }

    if (offset < chunk.length) {
      this.#partial = new Uint8Array(size);
      this.#partial.set(chunk.subarray(offset));
      this.#filled = chunk.length - offset;
    }
    return frames;
  }

  /** Drops an incomplete frame, e.g. when the producing process is replaced. */
  reset(): void {
    this.#partial = null;
    this.#filled = 0;
  }
}
