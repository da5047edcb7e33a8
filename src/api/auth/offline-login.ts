import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { checkLabelCode, type LabelCodeDeps } from '../../provisioning/ap/label-code-check.js';
import type { MintRequest, MintedToken } from './token-authority.js';
import { SourceRateLimiter } from './source-rate-limit.js';
import { MAX_TOKEN_TTL_S, MIN_TOKEN_TTL_S, SUBJECT_PATTERN } from './token-codec.js';

/**
 * Technician login without the cloud (issue 9 §2): two factors, both on
 * site — the label's setup code (something only a person holding the
 * camera or its box has) AND a press of the camera's button within a
 * window (someone is physically there now). The reward is a `technician`
 * token; `admin` needs the cloud.
 *
 * Order: per-source rate limit → shared code lockout + code check (the same
 * CodeLockout instance as AP provisioning, so a guesser cannot switch doors)
 * → button press. The code comes first so nobody without it can make the
 * camera prompt for a press. One press confirms one login: while a login
 * waits, others are told `press_pending`.
 */
export type OfflineLoginErrorCode =
  | 'rate_limited'
  | 'locked_out'
  | 'code_malformed'
  | 'code_wrong'
  | 'subject_invalid'
  | 'press_pending'
  | 'press_timeout';

export const OFFLINE_LOGIN_STATUS: Readonly<Record<OfflineLoginErrorCode, 400 | 401 | 409 | 429>> = {
  rate_limited: 429,
  locked_out: 429,
  code_malformed: 400,
  code_wrong: 401,
  subject_invalid: 400,
  press_pending: 409,
  press_timeout: 401,
};

export type OfflineLoginResult =
  | { ok: true; token: string; tokenId: string; role: 'technician'; exp: number }
  | { ok: false; code: OfflineLoginErrorCode; retryAfterMs?: number };

export interface OfflineLoginRequest {
  /** The setup code as typed. */
  code: unknown;
  /** The socket's peer address (never a forwarded-for header). */
  sourceAddress: string | undefined;
  /** A name for the audit log; defaults to `local-technician`. */
  subject?: unknown;
}

export interface OfflineLoginDeps {
  /** serial + factory SRP verifier + the shared CodeLockout. */
  label: LabelCodeDeps;
  authority: { mint(req: MintRequest): MintedToken };
  /** Resolves true on a press within timeoutMs, false otherwise. */
  awaitButtonPress(timeoutMs: number): Promise<boolean>;
  clock: Clock;
  rateLimiter?: SourceRateLimiter;
  logger?: Logger;
  /** How long the camera waits for the press after a right code. */
  pressWindowMs?: number;
  ttlS?: number;
  /** Tell the person to press now (LED pattern / voice prompt); called with false when the wait ends. */
  onAwaitingPress?(waiting: boolean): void;
}

export const OFFLINE_LOGIN_DEFAULTS = { pressWindowMs: 30_000, ttlS: 3600 } as const;
const DEFAULT_SUBJECT = 'local-technician';

export class OfflineLogin {
  readonly #deps: OfflineLoginDeps;
  readonly #limiter: SourceRateLimiter;
  #waiting = false;

  constructor(deps: OfflineLoginDeps) {
    this.#deps = deps;
    this.#limiter = deps.rateLimiter ?? new SourceRateLimiter();
    const ttl = deps.ttlS ?? OFFLINE_LOGIN_DEFAULTS.ttlS;
    if (!Number.isSafeInteger(ttl) || ttl < MIN_TOKEN_TTL_S || ttl > MAX_TOKEN_TTL_S) throw new RangeError('offline token ttlS out of range');
  }

  async login(req: OfflineLoginRequest): Promise<OfflineLoginResult> {
    const result = await this.#login(req);
    const log = { ip: req.sourceAddress ?? 'unknown', result: result.ok ? 'ok' : result.code, ...(result.ok ? { tid: result.tokenId } : {}) };
    if (result.ok) this.#deps.logger?.info(log, 'offline technician login');
    else this.#deps.logger?.warn(log, 'offline technician login refused');
    return result;
  }

  async #login(req: OfflineLoginRequest): Promise<OfflineLoginResult> {
    const { clock } = this.#deps;
    const rate = this.#limiter.take(req.sourceAddress, clock.monotonic());
    if (!rate.allowed) return { ok: false, code: 'rate_limited', retryAfterMs: rate.retryAfterMs };
    const subject = req.subject === undefined ? DEFAULT_SUBJECT : req.subject;
    if (typeof subject !== 'string' || !SUBJECT_PATTERN.test(subject)) return { ok: false, code: 'subject_invalid' };
    // Not a string: a malformed code, not a guess (nothing to count).
    if (typeof req.code !== 'string') return { ok: false, code: 'code_malformed' };

    const checked = await checkLabelCode(req.code, this.#deps.label);
    if (!checked.ok) {
      if (checked.code === 'locked_out') return { ok: false, code: 'locked_out', retryAfterMs: checked.retryAfterMs };
      if (checked.code === 'code_malformed') return { ok: false, code: 'code_malformed' };
      return checked.retryAfterMs === undefined ? { ok: false, code: 'code_wrong' } : { ok: false, code: 'code_wrong', retryAfterMs: checked.retryAfterMs };
    }

    // Checked and set with no await in between: only one login waits for the button.
    if (this.#waiting) return { ok: false, code: 'press_pending' };
    this.#waiting = true;
    let pressed = false;
    try {
      this.#deps.onAwaitingPress?.(true);
      pressed = await this.#deps.awaitButtonPress(this.#deps.pressWindowMs ?? OFFLINE_LOGIN_DEFAULTS.pressWindowMs);
    } finally {
      this.#waiting = false;
      this.#deps.onAwaitingPress?.(false);
    }
    if (!pressed) return { ok: false, code: 'press_timeout' };

    const { token, claims } = this.#deps.authority.mint({ role: 'technician', subject, ttlS: this.#deps.ttlS ?? OFFLINE_LOGIN_DEFAULTS.ttlS, via: 'button' });
    return { ok: true, token, tokenId: claims.tokenId, role: 'technician', exp: claims.exp };
  }
}
