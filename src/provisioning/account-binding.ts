/**
 * Binding the camera to the user's account with the token from the
 * provisioning QR (provisioning.md §6.4): the device presents the token on
 * `cam/{id}/activate` over its mutual-TLS MQTT link (the certificate proves
 * which device asks), the cloud answers with the request op `bind.result`.
 *
 * Policy (provisioning.md §6.7): up to 3 attempts, 30 s each for an answer,
 * 2 s then 4 s between them; a refusal (token expired or used, camera owned
 * by someone else, serial mismatch) is final and not retried; everything is
 * bounded by the token's life (10 minutes from the read), after which a
 * retry could only fail. No I/O of its own: the channel is injected.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, Timer } from '../core/clock.js';
import type { ActivatePayload } from '../cloud/payloads.js';
import type { Logger } from '../log/logger.js';
import type { BindingRequest } from './provisioning-payload.js';

/** Why a binding did not happen; `unreachable` covers no link, no answer and an unusable answer. */
export type BindFailure = 'token_expired' | 'token_used' | 'owned_by_other' | 'serial_mismatch' | 'rate_limited' | 'unreachable';

export type BindOutcome = { ok: true; bindingId: string } | { ok: false; code: BindFailure; message: string };

/** What the cloud answers in `bind.result` (validated against its schema before it gets here). */
export interface BindResultArgs {
  requestId: string;
  status: 'bound' | 'refused';
  code?: Exclude<BindFailure, 'unreachable'>;
  bindingId?: string;
}

export interface ActivationChannel {
  online(): boolean;
  /** Calls back on every transition to online; returns the unsubscribe function. */
  onOnline(listener: () => void): () => void;
  /** Publishes with QoS 1 and resolves on PUBACK; rejects when the link is down. */
  publish(payload: ActivatePayload): Promise<void>;
}

export interface BindPolicy {
  attempts: number;
  /** How long one attempt waits for `bind.result` after its PUBACK. */
  answerTimeoutMs: number;
  /** How long one attempt waits for the link to come up before it counts as failed. */
  linkWaitMs: number;
  /** Pause before attempt 2, 3, …; the last value repeats. */
  retryDelaysMs: number[];
  /** The token's life from the moment it was read: nothing is tried after it. */
  tokenLifeMs: number;
}

export const DEFAULT_BIND_POLICY: BindPolicy = {
  attempts: 3,
  answerTimeoutMs: 30_000,
  linkWaitMs: 60_000,
  retryDelaysMs: [2_000, 4_000, 8_000],
  tokenLifeMs: 10 * 60_000,
};

/** Refusals that another attempt cannot change. */
function isFinal(code: BindFailure): boolean {
  return code !== 'rate_limited' && code !== 'unreachable';
}

export interface AccountBinderDeps {
  channel: ActivationChannel;
  clock: Clock;
  logger: Logger;
  serial: string;
  firmwareVersion: string;
  policy?: Partial<BindPolicy>;
}

export class AccountBinder {
  readonly #policy: BindPolicy;
  #pending: { requestId: string; settle: (o: BindOutcome) => void } | null = null;
  #cancelled = false;

  constructor(private readonly deps: AccountBinderDeps) {
    this.#policy = { ...DEFAULT_BIND_POLICY, ...deps.policy };
  }

  /**
   * Presents the token until the cloud answers for good or the attempts or
   * the token's life run out. `readAtMs` is Clock.monotonic() of the QR read.
   */
  async bind(request: BindingRequest, readAtMs: number): Promise<BindOutcome> {
    this.#cancelled = false;
    const { clock, logger } = this.deps;
    const deadline = readAtMs + this.#policy.tokenLifeMs;
    let last: BindOutcome = { ok: false, code: 'unreachable', message: 'no attempt was made' };
    for (let attempt = 1; attempt <= this.#policy.attempts; attempt++) {
      if (attempt > 1) {
        const delays = this.#policy.retryDelaysMs;
        await this.#sleep(delays[Math.min(attempt - 2, delays.length - 1)] ?? 0);
      }
      if (this.#cancelled) return { ok: false, code: 'unreachable', message: 'binding cancelled' };
      const left = deadline - clock.monotonic();
      if (left <= 0) return { ok: false, code: 'token_expired', message: 'the binding token expired on the device before the cloud answered' };
      last = await this.#attempt(request, left);
      if (last.ok || isFinal(last.code) || this.#cancelled) return last;
      logger.warn({ attempt, of: this.#policy.attempts, code: last.code }, `binding attempt failed: ${last.message}`);
    }
    return last;
  }

  /** The cloud's `bind.result`; returns an error code when no attempt waits for it (late, duplicate, forged). */
  answer(args: BindResultArgs): null | 'bind_result_unexpected' {
    const p = this.#pending;
    if (!p || p.requestId !== args.requestId) return 'bind_result_unexpected';
    if (args.status === 'bound') {
      p.settle(args.bindingId ? { ok: true, bindingId: args.bindingId } : { ok: false, code: 'unreachable', message: 'the cloud said bound without a binding id' });
    } else {
      const code = args.code ?? 'unreachable';
      p.settle({ ok: false, code, message: `the cloud refused the binding: ${code}` });
    }
    return null;
  }

  /** Stops waiting (service stop, provisioning restarted). */
  cancel(): void {
    this.#cancelled = true;
    this.#pending?.settle({ ok: false, code: 'unreachable', message: 'binding cancelled' });
  }

  async #attempt(request: BindingRequest, budgetMs: number): Promise<BindOutcome> {
    const { channel, clock } = this.deps;
    const started = clock.monotonic();
    if (!channel.online()) {
      const up = await this.#waitOnline(Math.min(this.#policy.linkWaitMs, budgetMs));
      if (!up) return { ok: false, code: 'unreachable', message: 'the cloud link did not come up' };
    }
    const requestId = randomBytes(8).toString('hex');
    const answer = new Promise<BindOutcome>((resolve) => {
      this.#pending = {
        requestId,
        settle: (o) => {
          if (this.#pending?.requestId === requestId) this.#pending = null;
          resolve(o);
        },
      };
    });
    const remaining = Math.max(0, budgetMs - (clock.monotonic() - started));
    const timer = clock.setTimeout(
      () => this.#pending?.requestId === requestId && this.#pending.settle({ ok: false, code: 'unreachable', message: 'no answer from the cloud' }),
      Math.min(this.#policy.answerTimeoutMs, remaining),
    );
    try {
      await channel.publish({
        requestId,
        token: request.token,
        region: request.region,
        serial: this.deps.serial,
        firmwareVersion: this.deps.firmwareVersion,
        ts: clock.now(),
      });
    } catch (err) {
      this.#pending?.requestId === requestId && this.#pending.settle({ ok: false, code: 'unreachable', message: `could not send the token: ${(err as Error).message}` });
    }
    const outcome = await answer;
    timer.cancel();
    return outcome;
  }

  #waitOnline(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: Timer | null = null;
      const off = this.deps.channel.onOnline(() => {
        timer?.cancel();
        off();
        resolve(true);
      });
      timer = this.deps.clock.setTimeout(() => {
        off();
        resolve(this.deps.channel.online());
      }, timeoutMs);
    });
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.deps.clock.setTimeout(resolve, ms));
  }
}
