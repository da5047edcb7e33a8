import type { ButtonGesture } from './types.js';

/**
 * Turns raw press/release edges of the reset button into gestures. Pure:
 * time only comes in as arguments (monotonic ms), so every threshold,
 * bounce and stuck case is testable without timers. The driver feeds edges
 * with edge(), calls tick() at nextDeadline(), and acts on the returned events.
 */

export interface GestureTimings {
  /** A level must hold this long to count; shorter pulses are contact bounce or noise. */
  debounceMs: number;
  resetProvisioningMs: number;
  factoryResetMs: number;
  /** Held longer than this, the button is considered stuck and yields no gesture. */
  stuckMs: number;
}

export const defaultGestureTimings: GestureTimings = {
  debounceMs: 30,
  resetProvisioningMs: 5000,
  factoryResetMs: 15000,
  stuckMs: 60000,
};

export type HoldThreshold = Exclude<ButtonGesture, 'short'>;

export type ButtonEvent =
  /** The press passed debouncing; `at` is when it started. */
  | { type: 'pressed'; at: number }
  /** Still held and crossed a threshold: releasing now yields that gesture. */
  | { type: 'threshold'; threshold: HoldThreshold; heldMs: number }
  | { type: 'gesture'; gesture: ButtonGesture; heldMs: number }
  /** Held past stuckMs: a jammed button or a shorted line, not a user. */
  | { type: 'stuck'; heldMs: number }
  /** The stuck button finally came up; deliberately no gesture. */
  | { type: 'stuck-released'; heldMs: number };

export function gestureForHold(heldMs: number, timings: GestureTimings = defaultGestureTimings): ButtonGesture {
  if (heldMs >= timings.factoryResetMs) return 'factory-reset';
  if (heldMs >= timings.resetProvisioningMs) return 'reset-provisioning';
  return 'short';
}

const GESTURE_RANK: Record<ButtonGesture, number> = { short: 0, 'reset-provisioning': 1, 'factory-reset': 2 };

export class ButtonGestureClassifier {
  readonly #t: GestureTimings;
  /** Level of the most recent edge, settled or not. */
  #raw = false;
  #rawSince = -Infinity;
  /** Debounced level. */
  #pressed = false;
  #pressedAt = 0;
  #announced: HoldThreshold | null = null;
  #stuck = false;
  #lastT = -Infinity;

  constructor(timings: GestureTimings = defaultGestureTimings) {
    this.#t = timings;
  }

  /** Feed one edge. Edges repeating the current level (key repeat, restarts) are ignored. */
  edge(pressed: boolean, atMs: number): ButtonEvent[] {
    const t = this.#monotone(atMs);
    const events = this.#settle(t);
    if (pressed === this.#raw) return events;
    // A change before the previous one settled cancels it: that pair was a bounce.
    this.#raw = pressed;
    this.#rawSince = t;
    return events;
  }

  /** Advance time with no edge: settles a pending level, announces thresholds, detects stuck. */
  tick(nowMs: number): ButtonEvent[] {
    const t = this.#monotone(nowMs);
    const events = this.#settle(t);
    // Only while the finger is really (raw) down: a pending release must not
    // announce a threshold the user has already let go before.
    if (!this.#pressed || !this.#raw || this.#stuck) return events;
    const held = t - this.#pressedAt;
    if (held > this.#t.stuckMs) {
      this.#stuck = true;
      events.push({ type: 'stuck', heldMs: held });
      return events;
    }
    for (const threshold of this.#crossed(held)) {
      this.#announced = threshold;
      events.push({ type: 'threshold', threshold, heldMs: held });
    }
    return events;
  }

  /** When tick() next has something to decide, or null when only an edge can change anything. */
  nextDeadline(): number | null {
    if (this.#raw !== this.#pressed) return this.#rawSince + this.#t.debounceMs;
    if (!this.#pressed || this.#stuck) return null;
    if (this.#announced === null) return this.#pressedAt + this.#t.resetProvisioningMs;
    if (this.#announced === 'reset-provisioning') return this.#pressedAt + this.#t.factoryResetMs;
    // "Stuck" means held strictly longer than stuckMs.
    return this.#pressedAt + this.#t.stuckMs + 1;
  }

  isPressed(): boolean {
    return this.#pressed;
  }

  #crossed(held: number): HoldThreshold[] {
    const out: HoldThreshold[] = [];
    if (this.#announced === null && held >= this.#t.resetProvisioningMs) out.push('reset-provisioning');
    if (this.#announced !== 'factory-reset' && held >= this.#t.factoryResetMs) out.push('factory-reset');
    return out;
  }

  #settle(t: number): ButtonEvent[] {
    if (this.#raw === this.#pressed || t - this.#rawSince < this.#t.debounceMs) return [];
    this.#pressed = this.#raw;
    const at = this.#rawSince;
    if (this.#pressed) {
      this.#pressedAt = at;
      this.#announced = null;
      this.#stuck = false;
      return [{ type: 'pressed', at }];
    }
    const held = at - this.#pressedAt;
    if (this.#stuck || held > this.#t.stuckMs) {
      const events: ButtonEvent[] = this.#stuck ? [] : [{ type: 'stuck', heldMs: held }];
      this.#stuck = false;
      events.push({ type: 'stuck-released', heldMs: held });
      return events;
    }
    // What the user was shown while holding is what they get, even if a
    // clock step made the measured hold come out a little shorter.
    let gesture = gestureForHold(held, this.#t);
    if (this.#announced && GESTURE_RANK[this.#announced] > GESTURE_RANK[gesture]) gesture = this.#announced;
    return [{ type: 'gesture', gesture, heldMs: held }];
  }

  /** Time never runs backwards here, whatever the edge source claims. */
  #monotone(t: number): number {
    this.#lastT = Math.max(this.#lastT, t);
    return this.#lastT;
  }
}
