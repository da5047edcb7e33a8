import { readFile } from 'node:fs/promises';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { PrivacyShutter } from '../types.js';

const POLL_MS = 500;

/**
 * The privacy shutter switch as a sysfs GPIO `value` file. Polled: the
 * file's edge notification needs poll(2) with POLLPRI, which Node cannot
 * wait on, and a shutter is slid by hand, so 500 ms is quick enough.
 */
export class GpioShutter implements PrivacyShutter {
  readonly #path: string;
  readonly #activeLow: boolean;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #listeners = new Set<(closed: boolean) => void>();
  #closed = false;
  #timer: Timer | null = null;
  #polling: Promise<void> | null = null;
  #warned = false;

  /** @param valuePath absolute value file, or '' when the camera has no shutter */
  constructor(deps: { valuePath: string; activeLow: boolean; clock: Clock; logger: Logger }) {
    this.#path = deps.valuePath;
    this.#activeLow = deps.activeLow;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async start(): Promise<void> {
    if (!this.#path || this.#timer) return;
    const first = await this.#read();
    if (first !== null) this.#closed = first;
    this.#timer = this.#clock.setInterval(() => this.#poll(), POLL_MS);
  }

  async stop(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    await this.#polling;
  }

  async isClosed(): Promise<boolean> {
    if (!this.#path) return false;
    return this.#timer ? this.#closed : ((await this.#read()) ?? this.#closed);
  }

  onChange(listener: (closed: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #poll(): void {
    if (this.#polling) return; // a slow read (busy SD card) must not stack up
    this.#polling = this.#read()
      .then((closed) => {
        if (closed === null || closed === this.#closed || !this.#timer) return;
        this.#closed = closed;
        this.#logger.info({ shutter: closed ? 'closed' : 'open' }, 'privacy shutter');
        for (const l of this.#listeners) l(closed);
      })
      .finally(() => {
        this.#polling = null;
      });
  }

  async #read(): Promise<boolean | null> {
    try {
      const value = (await readFile(this.#path, 'utf8')).trim();
      if (value !== '0' && value !== '1') throw new Error(`unexpected GPIO value ${JSON.stringify(value.slice(0, 8))}`);
      this.#warned = false;
      return (value === '1') !== this.#activeLow;
    } catch (err) {
      if (!this.#warned) this.#logger.warn({ err, path: this.#path }, 'cannot read privacy shutter GPIO; keeping last state');
      this.#warned = true;
      return null;
    }
  }
}
