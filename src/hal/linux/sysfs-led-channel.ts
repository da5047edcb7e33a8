import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log/logger.js';

/**
 * One LED of the Linux LED class (/sys/class/leds/<name>). Knows the sysfs
 * protocol: `brightness` 0..max_brightness, `trigger` selects the kernel
 * driver of the LED, and the `timer` trigger creates `delay_on`/`delay_off`
 * (Documentation/leds/ledtrig-timer.rst) once selected.
 */
export class SysfsLedChannel {
  readonly #dir: string | null;
  readonly #name: string;
  readonly #logger: Logger;
  #present = false;
  #max = 1;
  #hasTimer = false;
  #trigger: string | null = null;
  #brightness: number | null = null;
  #warned = false;

  /** @param dir absolute LED class directory, or null when the board has no such LED */
  constructor(name: string, dir: string | null, logger: Logger) {
    this.#name = name;
    this.#dir = dir;
    this.#logger = logger;
  }

  /** Reads the LED's capabilities; a missing LED is a warning, never a failure. */
  async open(): Promise<void> {
    if (!this.#dir) return;
    try {
      const max = Number.parseInt((await readFile(join(this.#dir, 'max_brightness'), 'utf8')).trim(), 10);
      this.#max = Number.isFinite(max) && max > 0 ? max : 1;
      this.#present = true;
    } catch (err) {
      this.#warnOnce(err, 'status LED not found; it will stay dark');
      return;
    }
    try {
      // Reads like "none [timer] heartbeat": every trigger, the active one in brackets.
      const triggers = (await readFile(join(this.#dir, 'trigger'), 'utf8')).split(/\s+/).map((t) => t.replace(/^\[|\]$/g, ''));
      this.#hasTimer = triggers.includes('timer');
    } catch {
      this.#hasTimer = false;
    }
  }

  get present(): boolean {
    return this.#present;
  }

  /** Whether blinks can be handed to the kernel (ledtrig-timer built in or loaded). */
  get canBlinkInKernel(): boolean {
    return this.#present && this.#hasTimer;
  }

  async set(on: boolean): Promise<void> {
    if (!this.#present) return;
    const value = on ? this.#max : 0;
    if (this.#trigger !== 'none') {
      // Leaving a trigger also turns the LED off in the kernel, so write brightness after.
      await this.#write('trigger', 'none');
      this.#trigger = 'none';
      this.#brightness = null;
    }
    if (this.#brightness === value) return;
    await this.#write('brightness', String(value));
    this.#brightness = value;
  }

  async blink(delayOnMs: number, delayOffMs: number): Promise<void> {
    if (!this.#present) return;
    // Brightness while the timer runs is the "on" level; set it before the trigger starts.
    await this.#write('brightness', String(this.#max));
    await this.#write('trigger', 'timer');
    // The kernel creates delay_on/delay_off afresh (owned by root) each time the timer
    // trigger is selected; udev hands them to our group a moment later
    // (firmware-overlay/usr/lib/udev/rules.d/60-camera-agent.rules). Until then: EACCES.
    await this.#writeSoon('delay_on', String(Math.round(delayOnMs)));
    await this.#writeSoon('delay_off', String(Math.round(delayOffMs)));
    this.#trigger = 'timer';
    this.#brightness = null;
  }

  /** Like #write, but waits (up to ~300 ms) for a freshly created attribute to become writable. */
  async #writeSoon(attr: string, value: string): Promise<void> {
    if (!this.#dir) return;
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        await writeFile(join(this.#dir, attr), value);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EACCES' || attempt === 5) {
          this.#warnOnce(err, 'writing status LED failed');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async #write(attr: string, value: string): Promise<void> {
    if (!this.#dir) return;
    try {
      await writeFile(join(this.#dir, attr), value);
    } catch (err) {
      this.#warnOnce(err, 'writing status LED failed');
    }
  }

  #warnOnce(err: unknown, msg: string): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#logger.warn({ err, led: this.#name, dir: this.#dir }, msg);
  }
}
