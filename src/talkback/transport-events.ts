import type { Logger } from '../log/logger.js';
import type { TransportCloseReason } from './transport.js';

/** Frames held until the first onFrame() listener. */
const EARLY_FRAMES = 16;

export interface TransportOutcome {
  reason: TransportCloseReason;
  detail?: string;
}

/**
 * The listener side every transport shares: frames that arrive before the
 * session called onFrame() are held (at most EARLY_FRAMES; the first frame
 * is often the one that says what the talk is) and handed to the first
 * listener; a throwing listener cannot take the socket's event handling
 * down; the close is reported exactly once, also to a listener that comes
 * late.
 */
export class TransportEvents {
  readonly #logger: Logger;
  readonly #frameListeners: Array<(bytes: Uint8Array) => void> = [];
  readonly #closeListeners: Array<(reason: TransportCloseReason, detail?: string) => void> = [];
  #early: Uint8Array[] | null = [];
  #closed: TransportOutcome | null = null;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  get closed(): TransportOutcome | null {
    return this.#closed;
  }

  onFrame(listener: (bytes: Uint8Array) => void): void {
    this.#frameListeners.push(listener);
    const early = this.#early;
    this.#early = null;
    for (const f of early ?? []) listener(f);
  }

  onClose(listener: (reason: TransportCloseReason, detail?: string) => void): void {
    const closed = this.#closed;
    if (closed) queueMicrotask(() => listener(closed.reason, closed.detail));
    else this.#closeListeners.push(listener);
  }

  /** A frame from the far end. */
  frame(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#early) {
      if (this.#early.length >= EARLY_FRAMES) this.#early.shift();
      this.#early.push(bytes);
      return;
    }
    for (const l of this.#frameListeners) {
      try {
        l(bytes);
      } catch (err) {
        this.#logger.error({ err }, 'talkback: frame listener failed');
      }
    }
  }

  /** The transport is gone; returns false when it already was (the first outcome stands). */
  close(outcome: TransportOutcome): boolean {
    if (this.#closed) return false;
    this.#closed = outcome;
    this.#early = null;
    for (const l of this.#closeListeners.splice(0)) l(outcome.reason, outcome.detail);
    return true;
  }
}
