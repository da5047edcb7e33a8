import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { ButtonGesture, ResetButton } from './types.js';
import {
  ButtonGestureClassifier,
  defaultGestureTimings,
  type ButtonEvent,
  type GestureTimings,
} from './button-gesture.js';

/**
 * A reset button that also reports what happens while it is held, so the
 * LED can confirm "release now for reset" before the user lets go.
 * Proposed for types.ts; until then the HAL exposes it through its own type.
 */
export interface ObservableResetButton extends ResetButton {
  /** Every classifier event (pressed, threshold, gesture, stuck…); returns the unsubscribe function. */
  onButtonEvent(listener: (event: ButtonEvent) => void): () => void;
}

/**
 * Drives a ButtonGestureClassifier in real (or manual) time: edge sources
 * push debounced-to-be edges in, this schedules the classifier's deadlines
 * on the clock and fans events out. Shared by the sim and linux buttons.
 */
export class GestureButton implements ObservableResetButton {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #timings: GestureTimings;
  #classifier: ButtonGestureClassifier;
  #timer: Timer | null = null;
  readonly #gestureListeners = new Set<(gesture: ButtonGesture, heldMs: number) => void>();
  readonly #eventListeners = new Set<(event: ButtonEvent) => void>();

  constructor(deps: { clock: Clock; logger: Logger; timings?: GestureTimings }) {
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#timings = deps.timings ?? defaultGestureTimings;
    this.#classifier = new ButtonGestureClassifier(this.#timings);
  }

  onGesture(listener: (gesture: ButtonGesture, heldMs: number) => void): () => void {
    this.#gestureListeners.add(listener);
    return () => this.#gestureListeners.delete(listener);
  }

  onButtonEvent(listener: (event: ButtonEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** An edge at a local monotonic time (≤ now). */
  edge(pressed: boolean, atMs: number): void {
    this.edges([{ pressed, atMs }]);
  }

  /**
   * Edges read together, oldest first. Fed before the clock is consulted, so
   * a press and release that arrive in one read are timed by their own
   * stamps instead of looking like a hold that lasted until now.
   */
  edges(batch: readonly { pressed: boolean; atMs: number }[]): void {
    for (const e of batch) this.#dispatch(this.#classifier.edge(e.pressed, e.atMs));
    this.#tick();
  }

  /** Forget any half-seen press (source restarted) and cancel timers. */
  reset(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#classifier = new ButtonGestureClassifier(this.#timings);
  }

  #tick(): void {
    this.#timer?.cancel();
    this.#timer = null;
    const now = this.#clock.monotonic();
    this.#dispatch(this.#classifier.tick(now));
    const deadline = this.#classifier.nextDeadline();
    if (deadline === null) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#tick();
    }, Math.max(0, deadline - now));
  }

  #dispatch(events: ButtonEvent[]): void {
    for (const event of events) {
      if (event.type === 'stuck') this.#logger.warn({ heldMs: Math.round(event.heldMs) }, 'reset button stuck; ignoring it until released');
      for (const l of this.#eventListeners) this.#safe(() => l(event));
      if (event.type === 'gesture') {
        this.#logger.info({ gesture: event.gesture, heldMs: Math.round(event.heldMs) }, 'button gesture');
        for (const l of this.#gestureListeners) this.#safe(() => l(event.gesture, event.heldMs));
      }
    }
  }

  /** A throwing listener must not break edge handling for the others. */
  #safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#logger.error({ err }, 'button listener threw');
    }
  }
}
