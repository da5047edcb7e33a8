/**
 * Remembers recent request transactions and their responses, bounded by
 * count (oldest evicted first) and by a time window. AWS IoT may deliver a
 * QoS 1 message twice, with a new packet id and no DUP flag (security.md
 * §2.2), so a duplicate must get the first response again, not a second
 * execution. In memory only: after a restart the request TTL is what keeps a
 * replayed old command from running again.
 */
export class DedupeCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly capacity: number,
    private readonly windowMs: number,
  ) {}

  get(key: string, nowMono: number): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= nowMono) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: V, nowMono: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: nowMono + this.windowMs });
    // Map iteration is insertion order: the first keys are the oldest.
    for (const k of this.#entries.keys()) {
      if (this.#entries.size <= this.capacity) break;
      this.#entries.delete(k);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
