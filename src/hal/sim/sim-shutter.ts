import { readFile } from 'node:fs/promises';
import type { Logger } from '../../log/logger.js';
import type { PrivacyShutter } from '../types.js';
import { WatchedFile } from './watched-file.js';

/**
 * The privacy shutter on a development machine: a file containing `open`
 * or `closed` (watched for edits) and setShutter() for the local API.
 */
export class SimShutter implements PrivacyShutter {
  readonly #path: string;
  readonly #logger: Logger;
  readonly #watch: WatchedFile | null;
  readonly #listeners = new Set<(closed: boolean) => void>();
  #closed = false;
  #reading: Promise<void> = Promise.resolve();

  constructor(deps: { logger: Logger; shutterFile: string }) {
    this.#path = deps.shutterFile;
    this.#logger = deps.logger;
    this.#watch = deps.shutterFile ? new WatchedFile(deps.shutterFile, () => this.#reread(), deps.logger) : null;
  }

  async start(): Promise<void> {
    if (!this.#watch) return;
    this.#watch.start();
    this.#reread();
    await this.#reading;
  }

  async stop(): Promise<void> {
    this.#watch?.stop();
    await this.#reading;
  }

  async isClosed(): Promise<boolean> {
    return this.#closed;
  }

  onChange(listener: (closed: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  setShutter(closed: boolean): void {
    if (closed === this.#closed) return;
    this.#closed = closed;
    this.#logger.info({ shutter: closed ? 'closed' : 'open' }, 'privacy shutter');
    for (const l of this.#listeners) l(closed);
  }

  #reread(): void {
    // Chained so two quick edits are applied in order.
    this.#reading = this.#reading.then(() => this.#readOnce());
  }

  async #readOnce(): Promise<void> {
    let text: string;
    try {
      text = (await readFile(this.#path, 'utf8')).trim().toLowerCase();
    } catch {
      return; // Not created yet, or being replaced: keep the last state.
    }
    if (text === 'open') this.setShutter(false);
    else if (text === 'closed') this.setShutter(true);
    else if (text !== '') this.#logger.warn({ path: this.#path, content: text.slice(0, 40) }, 'sim shutter file must say open or closed');
  }
}
