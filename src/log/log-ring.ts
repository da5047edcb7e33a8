/**
 * The most recent log lines, kept in memory for diagnostics and for log
 * upload on request. Bounded by line count and by bytes, since one runaway
 * line must not push the agent's RSS on a 128 MB camera.
 */
export class LogRing {
  #lines: string[] = [];
  #start = 0;
  #bytes = 0;
  #dropped = 0;
  readonly #listeners = new Set<(line: string) => void>();

  constructor(
    readonly capacity: number,
    readonly maxBytes = capacity * 512,
    readonly maxLineBytes = 8192,
  ) {}

  push(line: string): void {
    let l = line.endsWith('\n') ? line.slice(0, -1) : line;
    if (l.length > this.maxLineBytes) l = `${l.slice(0, this.maxLineBytes)}…[truncated]`;
    this.#lines.push(l);
    this.#bytes += l.length;
    for (const listener of this.#listeners) listener(l);
    while (this.size > this.capacity || (this.#bytes > this.maxBytes && this.size > 1)) {
      this.#bytes -= this.#lines[this.#start]!.length;
      this.#start++;
      this.#dropped++;
    }
    // Compact now and then instead of shifting on every push.
    if (this.#start > this.capacity) {
      this.#lines = this.#lines.slice(this.#start);
      this.#start = 0;
    }
  }

  get size(): number {
    return this.#lines.length - this.#start;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Every line as it is added (already redacted: the ring only ever gets sanitized lines); returns the unsubscribe function. */
  onLine(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Oldest first. */
  lines(): string[] {
    return this.#lines.slice(this.#start);
  }
}
