import { writeFile } from 'node:fs/promises';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import type { Amplifier } from '../types.js';

/**
 * The speaker amplifier's enable line as a sysfs GPIO `value` file
 * (exported and set to output by the board's init scripts). Class-D
 * amplifiers pop when powered up, so set(true) waits `settleMs` before
 * resolving: the first sample then plays after the pop has died down.
 *
 * With no path ('') the board's amplifier is always on: this only tracks
 * the state, so the talkback code switches it the same way on every board.
 */
export class SysfsAmplifier implements Amplifier {
  readonly #path: string;
  readonly #activeLow: boolean;
  readonly #settleMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** null until the first write: the line's state after boot is not ours to guess. */
  #on: boolean | null = null;
  /** Switches happen in call order; an off overtaking an on's settle pause would leave the state wrong. */
  #queue: Promise<void> = Promise.resolve();

  /** @param valuePath absolute value file, or '' when the amplifier is always on */
  constructor(deps: { valuePath: string; activeLow: boolean; settleMs: number; clock: Clock; logger: Logger }) {
    this.#path = deps.valuePath;
    this.#activeLow = deps.activeLow;
    this.#settleMs = deps.settleMs;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  set(on: boolean): Promise<void> {
    const turn = this.#queue.then(() => this.#switch(on));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  isOn(): boolean {
    return this.#on === true;
  }

  async #switch(on: boolean): Promise<void> {
    if (this.#on === on) return;
    if (this.#path) {
      try {
        await writeFile(this.#path, on !== this.#activeLow ? '1' : '0');
      } catch (err) {
        this.#logger.warn({ err, path: this.#path, on }, 'amplifier GPIO write failed');
        // The line may or may not have changed: unknown, so the next set() writes again.
        this.#on = null;
        throw new HalError('amplifier_failed', `could not switch the amplifier ${on ? 'on' : 'off'}`, { cause: err });
      }
    }
    this.#on = on;
    this.#logger.debug({ on }, on ? 'amplifier on' : 'amplifier off');
    // An always-on amplifier has no power-up pop to wait out.
    if (on && this.#path && this.#settleMs > 0) {
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, this.#settleMs));
    }
  }
}
