import { readFile } from 'node:fs/promises';
import { uptime } from 'node:os';
import type { SystemFacts, SystemFactsSnapshot } from '../types.js';
import { parseDeviceTreeString, parseMac, parseOsRelease, parseThermalMillidegrees, parseUptime } from './facts-parsers.js';
import { underRoot } from './sys-path.js';

/** Identity and health facts from /proc, /sys and /etc; any missing source yields null. */
export class ProcFacts implements SystemFacts {
  readonly #root: string;
  readonly #netInterface: string;
  readonly #firmwareVersionFile: string;

  constructor(cfg: { sysRoot: string; netInterface: string; firmwareVersionFile: string }) {
    this.#root = cfg.sysRoot;
    this.#netInterface = cfg.netInterface;
    this.#firmwareVersionFile = cfg.firmwareVersionFile;
  }

  async read(): Promise<SystemFactsSnapshot> {
    const [serial, mac, firmwareVersion, up, temp] = await Promise.all([
      this.#text('/proc/device-tree/serial-number'),
      this.#text(`/sys/class/net/${this.#netInterface}/address`),
      this.#firmwareVersion(),
      this.#text('/proc/uptime'),
      this.#text('/sys/class/thermal/thermal_zone0/temp'),
    ]);
    return {
      serial: serial === null ? null : parseDeviceTreeString(serial),
      mac: mac === null ? null : parseMac(mac),
      firmwareVersion,
      // os.uptime() reads the real /proc/uptime: right on the device when the stand-in lacks one.
      uptimeSeconds: (up === null ? null : parseUptime(up)) ?? uptime(),
      temperatureC: temp === null ? null : parseThermalMillidegrees(temp),
    };
  }

  async #firmwareVersion(): Promise<string | null> {
    if (this.#firmwareVersionFile) {
      const text = await this.#text(this.#firmwareVersionFile);
      return text?.trim() || null;
    }
    const osRelease = await this.#text('/etc/os-release');
    return (osRelease === null ? undefined : parseOsRelease(osRelease).VERSION_ID) || null;
  }

  async #text(path: string): Promise<string | null> {
    try {
      return await readFile(underRoot(this.#root, path), 'utf8');
    } catch {
      return null;
    }
  }
}
