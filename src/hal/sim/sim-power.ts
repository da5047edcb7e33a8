import type { Logger } from '../../log/logger.js';
import type { Power } from '../types.js';

/** The simulated board "reboots" by saying so; the agent keeps running. */
export class SimPower implements Power {
  #reboots = 0;

  constructor(private readonly logger: Logger) {}

  async reboot(reason: string): Promise<void> {
    this.#reboots++;
    this.logger.warn({ reason }, 'reboot requested (simulated board: not rebooting)');
  }

  get reboots(): number {
    return this.#reboots;
  }
}
