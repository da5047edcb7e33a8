import type { SystemFacts, SystemFactsSnapshot } from '../types.js';

/** Identity from configuration, uptime from this process; no temperature sensor. */
export class SimFacts implements SystemFacts {
  readonly #given: { serial: string; mac: string; firmwareVersion: string };
  readonly #uptime: () => number;

  constructor(given: { serial: string; mac: string; firmwareVersion: string }, uptime: () => number = process.uptime) {
    this.#given = given;
    this.#uptime = uptime;
  }

  async read(): Promise<SystemFactsSnapshot> {
    return {
      serial: this.#given.serial || null,
      mac: this.#given.mac || null,
      firmwareVersion: this.#given.firmwareVersion || null,
      uptimeSeconds: this.#uptime(),
      temperatureC: null,
    };
  }
}
