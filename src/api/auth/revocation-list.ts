import { TOKEN_ID_PATTERN } from './token-codec.js';

/**
 * Revoked token ids, pure and bounded. An entry is only needed until its
 * token would have expired anyway, so entries carry `exp` and are pruned
 * after it (+ skew). When the list is full of live entries the caller must
 * rotate the key (revoke everything) rather than drop one: dropping would
 * quietly un-revoke a token.
 */
export interface RevokedEntry {
  tokenId: string;
  /** Unix seconds: the token's own expiry. */
  exp: number;
}

export const DEFAULT_MAX_REVOKED = 256;

export class RevocationList {
  readonly #entries = new Map<string, number>();

  constructor(readonly capacity = DEFAULT_MAX_REVOKED) {}

  has(tokenId: string): boolean {
    return this.#entries.has(tokenId);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Drop entries whose tokens are dead anyway. */
  prune(nowMs: number, skewMs: number): void {
    for (const [id, exp] of this.#entries) if (exp * 1000 + skewMs < nowMs) this.#entries.delete(id);
  }

  /** false when full (after pruning): the caller rotates the key instead. */
  add(entry: RevokedEntry, nowMs: number, skewMs: number): boolean {
    if (this.#entries.has(entry.tokenId)) return true;
    this.prune(nowMs, skewMs);
    if (this.#entries.size >= this.capacity) return false;
    this.#entries.set(entry.tokenId, entry.exp);
    return true;
  }

  clear(): void {
    this.#entries.clear();
  }

  toJSON(): RevokedEntry[] {
    return [...this.#entries].map(([tokenId, exp]) => ({ tokenId, exp }));
  }

  /** Entries from a file; malformed ones are skipped, at most `capacity` kept. */
  static from(value: unknown, capacity = DEFAULT_MAX_REVOKED): RevocationList {
    const list = new RevocationList(capacity);
    if (!Array.isArray(value)) return list;
    for (const e of value) {
      if (list.#entries.size >= capacity) break;
      if (typeof e !== 'object' || e === null) continue;
      const { tokenId, exp } = e as Record<string, unknown>;
      if (typeof tokenId === 'string' && TOKEN_ID_PATTERN.test(tokenId) && typeof exp === 'number' && Number.isSafeInteger(exp)) {
        list.#entries.set(tokenId, exp);
      }
    }
    return list;
  }
}
