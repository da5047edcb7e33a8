/**
 * A list that tests append to as things arrive (MQTT messages, uploads),
 * with a wait for "at least N matching items" — on events, not sleeps.
 */
export class WatchedList<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves with the matching items once there are `count`; rejects with `describe(found)` after timeoutMs. */
  waitFor(pred: (item: T) => boolean, count: number, timeoutMs: number, describe: (found: number) => string): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hits = this.items.filter(pred);
        if (hits.length >= count) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(hits);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(describe(this.items.filter(pred).length)));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}
