import { isIP } from 'node:net';

/**
 * Login attempts per source address: a token bucket per address, pure
 * (the caller passes monotonic ms). It sits in front of the persisted code
 * lockout, which is the real brake (5 wrong codes → lockout across all
 * sources); the bucket keeps one noisy client from burning everybody's
 * tries and from keeping the CPU busy with SRP verifier computations.
 *
 * The key is the socket's peer address ONLY — never X-Forwarded-For or
 * X-Real-IP (security.md §5.2: lockout must not be bypassed by headers).
 * IPv4-mapped IPv6 collapses to IPv4, and IPv6 counts per /64, because one
 * host can use a whole /64.
 */
export interface SourceRateLimitPolicy {
  /** Attempts a fresh source may make at once. */
  burst: number;
  /** Refill: one attempt every this many ms. */
  refillMs: number;
  /** Distinct sources remembered; the least recently seen is forgotten first. */
  maxSources: number;
}

export const LOGIN_RATE_DEFAULTS: SourceRateLimitPolicy = { burst: 5, refillMs: 12_000, maxSources: 1024 };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** The bucket key for a peer address; unparseable input gets one shared bucket. */
export function sourceKey(address: string | undefined): string {
  if (!address) return 'unknown';
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) a = mapped[1]!;
  const kind = isIP(a);
  if (kind === 4) return a;
  if (kind === 6) return `${expandIpv6(a).slice(0, 4).join(':')}::/64`;
  return 'unknown';
}

function expandIpv6(a: string): string[] {
  // Embedded IPv4 tail (::ffff:… was handled above; others, e.g. 64:ff9b::1.2.3.4, keep their first 64 bits here).
  const [head = '', tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0');
  return [...h, ...fill, ...t].map((g) => (g.includes('.') ? g : (parseInt(g, 16) || 0).toString(16)));
}

export class SourceRateLimiter {
  readonly #policy: SourceRateLimitPolicy;
  /** key → bucket; Map order doubles as least-recently-seen order. */
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(policy: SourceRateLimitPolicy = LOGIN_RATE_DEFAULTS) {
    this.#policy = policy;
  }

  /** Take one attempt for `address` at monotonic `nowMs`. */
  take(address: string | undefined, nowMs: number): RateDecision {
    const key = sourceKey(address);
    const { burst, refillMs, maxSources } = this.#policy;
    let b = this.#buckets.get(key);
    if (b) {
      this.#buckets.delete(key);
      b.tokens = Math.min(burst, b.tokens + Math.max(0, nowMs - b.at) / refillMs);
      b.at = nowMs;
    } else {
      b = { tokens: burst, at: nowMs };
      if (this.#buckets.size >= maxSources) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    }
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterMs: Math.ceil((1 - b.tokens) * refillMs) };
  }

  get sources(): number {
    return this.#buckets.size;
  }
}
