import { open, stat } from 'node:fs/promises';
import type { Logger } from '../../log/logger.js';
import { WatchedFile } from './watched-file.js';

/**
 * Follows a text file like `tail -F`: every complete line appended after
 * start() is handed to onLine, once. Lines present before start() are
 * history, not new input. A truncated or replaced file is read from its start.
 */
export class AppendedLines {
  readonly #path: string;
  readonly #onLine: (line: string) => void;
  readonly #logger: Logger;
  readonly #watch: WatchedFile;
  #offset = 0;
  #partial = '';
  #reading: Promise<void> | null = null;
  #again = false;
  #running = false;

  constructor(path: string, onLine: (line: string) => void, logger: Logger) {
    this.#path = path;
    this.#onLine = onLine;
    this.#logger = logger;
    this.#watch = new WatchedFile(path, () => this.#kick(), logger);
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#offset = await sizeOf(this.#path);
    this.#partial = '';
    this.#watch.start();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#watch.stop();
    await this.#reading;
  }

  /** Settles once everything appended so far has been delivered (for tests and shutdown). */
  async drained(): Promise<void> {
    while (this.#reading) await this.#reading;
  }

  #kick(): void {
    if (!this.#running) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readNew()
      .catch((err: unknown) => this.#logger.warn({ err, path: this.#path }, 'reading appended lines failed'))
      .finally(() => {
        this.#reading = null;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  async #readNew(): Promise<void> {
    const size = await sizeOf(this.#path);
    if (size < this.#offset) {
      this.#offset = 0;
      this.#partial = '';
    }
    if (size === this.#offset) return;
    const fh = await open(this.#path, 'r');
    try {
      const buf = Buffer.alloc(size - this.#offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
      this.#offset += bytesRead;
      const text = this.#partial + buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) if (this.#running) this.#onLine(line);
    } finally {
      await fh.close();
    }
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
