import type { Logger } from '../../log/logger.js';
import type { Amplifier } from '../types.js';

/** The amplifier on a development machine: remembers its state and logs each switch. */
export class SimAmplifier implements Amplifier {
  readonly #logger: Logger;
  #on = false;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async set(on: boolean): Promise<void> {
    if (on === this.#on) return;
    this.#on = on;
    this.#logger.info({ amplifier: on }, on ? 'amplifier on' : 'amplifier off');
  }

  isOn(): boolean {
    return this.#on;
  }
}
