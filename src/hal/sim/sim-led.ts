import type { Logger } from '../../log/logger.js';
import type { LedPattern, StatusLed } from '../types.js';

/** The status LED on a development machine: a log line per change. */
export class SimLed implements StatusLed {
  readonly #logger: Logger;
  #pattern: LedPattern = 'off';

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async show(pattern: LedPattern): Promise<void> {
    this.#pattern = pattern;
    this.#logger.info({ led: pattern }, 'status LED');
  }

  current(): LedPattern {
    return this.#pattern;
  }
}
