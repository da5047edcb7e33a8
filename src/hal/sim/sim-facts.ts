import { readFile } from 'node:fs/promises';
import type { SystemFacts, SystemFactsSnapshot } from '../types.js';

/**
 * Identity from configuration, uptime from this process; no temperature sensor.
 * With `firmwareVersionFile` (hal.facts.firmwareVersionFile) the version is read
 * from that file at every read(), as ProcFacts does on the camera, so a test can
 * "reboot into a new version" by rewriting it; a missing or empty file falls
 * back to the configured hal.sim.firmwareVersion.
 */
export class SimFacts implements SystemFacts {
  readonly #given: { serial: string; mac: string; firmwareVersion: string; firmwareVersionFile?: string };
  readonly #uptime: () => number;

  constructor(given: { serial: string; mac: string; firmwareVersion: string; firmwareVersionFile?: string }, uptime: () => number = process.uptime) {
    this.#given = given;
    this.#uptime = uptime;
  }

  async read(): Promise<SystemFactsSnapshot> {
    return {
      serial: this.#given.serial || null,
      mac: this.#given.mac || null,
      firmwareVersion: (await this.#versionFromFile()) || this.#given.firmwareVersion || null,
      uptimeSeconds: this.#uptime(),
      temperatureC: null,
    };
  }

  async #versionFromFile(): Promise<string | null> {
    if (!this.#given.firmwareVersionFile) return null;
    try {
      const text = await readFile(this.#given.firmwareVersionFile, 'utf8');
      return text.split('\n', 1)[0]!.trim() || null;
    } catch {
      return null;
    }
  }
}
