import type { Clock, Timer } from '../../core/clock.js';
import type { LedColor } from '../led-patterns.js';
import { ledSequence, steadyColor, timerTriggerBlink } from '../led-patterns.js';
import type { LedPattern, StatusLed } from '../types.js';
import type { SysfsLedChannel } from './sysfs-led-channel.js';

/**
 * The status LED as a blue and a red sysfs LED. Steady colours are a single
 * write; single-colour blinks go to the kernel timer trigger so the SoC does
 * not wake up for every edge; only multi-step patterns (error, identify)
 * are stepped here on the clock.
 */
export class SysfsStatusLed implements StatusLed {
  readonly #blue: SysfsLedChannel;
  readonly #red: SysfsLedChannel;
  readonly #clock: Clock;
  #pattern: LedPattern = 'off';
  #timer: Timer | null = null;
  /** Bumped on every change so a late step of the previous pattern cannot win. */
  #generation = 0;
  #writes: Promise<void> = Promise.resolve();

  constructor(deps: { blue: SysfsLedChannel; red: SysfsLedChannel; clock: Clock }) {
    this.#blue = deps.blue;
    this.#red = deps.red;
    this.#clock = deps.clock;
  }

  async start(): Promise<void> {
    await this.#blue.open();
    await this.#red.open();
  }

  /** Stops stepping and turns the LED off, so it cannot freeze mid-pattern. */
  async stop(): Promise<void> {
    await this.show('off');
  }

  /** Settles once every write asked for so far has reached sysfs. */
  async written(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.#writes;
      await last;
    } while (last !== this.#writes);
  }

  current(): LedPattern {
    return this.#pattern;
  }

  show(pattern: LedPattern): Promise<void> {
    this.#pattern = pattern;
    const generation = ++this.#generation;
    this.#timer?.cancel();
    this.#timer = null;
    return this.#enqueue(() => this.#apply(pattern, generation));
  }

  /** All sysfs writes in order: interleaving two patterns' writes would mix them up. */
  #enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(job);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  async #apply(pattern: LedPattern, generation: number): Promise<void> {
    if (generation !== this.#generation) return;
    const steady = steadyColor(pattern);
    if (steady !== null) {
      await this.#showColor(steady);
      return;
    }
    const blink = timerTriggerBlink(pattern);
    const channel = blink ? this.#channel(blink.color) : null;
    if (blink && channel?.canBlinkInKernel) {
      await this.#channel(blink.color === 'blue' ? 'red' : 'blue')?.set(false);
      await channel.blink(blink.delayOnMs, blink.delayOffMs);
      return;
    }
    // Already inside the write queue: show the first step directly, so show()
    // resolves with the LED lit; later steps queue behind other writes.
    const first = ledSequence(pattern)[0];
    if (!first) return;
    await this.#showColor(first.color);
    this.#schedule(pattern, 1, first.ms, generation);
  }

  #schedule(pattern: LedPattern, index: number, afterMs: number, generation: number): void {
    if (generation !== this.#generation) return;
    this.#timer = this.#clock.setTimeout(() => {
      if (generation !== this.#generation) return;
      const steps = ledSequence(pattern);
      const step = steps[index % steps.length];
      if (!step) return;
      void this.#enqueue(async () => {
        if (generation === this.#generation) await this.#showColor(step.color);
      });
      this.#schedule(pattern, index + 1, step.ms, generation);
    }, afterMs);
  }

  async #showColor(color: LedColor): Promise<void> {
    // Off first, then on: never both lit at once (purple reads as a third state).
    if (color === 'blue') {
      await this.#red.set(false);
      await this.#blue.set(true);
    } else if (color === 'red') {
      await this.#blue.set(false);
      await this.#red.set(true);
    } else {
      await this.#blue.set(false);
      await this.#red.set(false);
    }
  }

  #channel(color: LedColor): SysfsLedChannel | null {
    return color === 'blue' ? this.#blue : color === 'red' ? this.#red : null;
  }
}
