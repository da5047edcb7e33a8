import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from '../../log/logger.js';

/**
 * Calls back whenever a file is created, written, replaced or removed. Watches
 * the parent directory rather than the file, because editors and `echo >`
 * replace or recreate files and a watch on the old inode would go deaf.
 * Development-only (the simulator); inotify needs no polling.
 */
export class WatchedFile {
  readonly #path: string;
  readonly #logger: Logger;
  readonly #onChange: () => void;
  #watcher: FSWatcher | null = null;

  constructor(path: string, onChange: () => void, logger: Logger) {
    this.#path = path;
    this.#onChange = onChange;
    this.#logger = logger;
  }

  start(): void {
    if (this.#watcher) return;
    const name = basename(this.#path);
    try {
      this.#watcher = watch(dirname(this.#path), { persistent: false }, (_event, file) => {
        // Some platforms omit the name; then any change in the directory counts.
        if (file === null || file === name) this.#onChange();
      });
      this.#watcher.on('error', (err) => this.#logger.warn({ err, path: this.#path }, 'file watch failed'));
    } catch (err) {
      this.#logger.warn({ err, path: this.#path }, 'cannot watch file; its directory must exist');
    }
  }

  stop(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }
}
