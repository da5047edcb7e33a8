/**
 * Keeps an install from starting in the middle of something the user would
 * notice being cut off (a talkback call, a technician's session): features
 * register a predicate, the OTA job waits until none holds, up to
 * ota.lockMaxDeferS, then fails with update_locked (docs/security.md §3.2
 * step 2: "not mid-critical operation"). Predicates rather than acquire /
 * release pairs, so a crashed feature can never leave the lock held.
 * No I/O; time comes from the injected clock.
 */
import type { Clock } from '../core/clock.js';

export type UpdateLockWait =
  | { ok: true; waitedMs: number }
  /** `aborted`: the signal ended the wait (the agent is stopping), not the deadline. */
  | { ok: false; code: 'update_locked'; holders: string[]; aborted?: true };

export interface WaitUntilFreeOptions {
  clock: Clock;
  /** How often the predicates are asked again; 1 s by default. */
  pollMs?: number;
  /** Longest wait; after it the result is update_locked with the holders at that moment. */
  maxWaitMs: number;
  /**
   * Aborting resolves at once with update_locked and `aborted: true`, the
   * holders at that moment (never rejects: the agent is stopping, and the
   * caller checks its own stop flag before reporting anything).
   */
  signal?: AbortSignal;
  /** Called when waiting begins and whenever the set of holders changes. */
  onWaiting?: (holders: string[]) => void;
}

export const DEFAULT_POLL_MS = 1_000;

export class UpdateLock {
  readonly #holders = new Set<{ name: string; active: () => boolean }>();

  /** Adds a holder; the returned function removes it (features call it in stop()). */
  register(name: string, active: () => boolean): () => void {
    const holder = { name, active };
    this.#holders.add(holder);
    return () => void this.#holders.delete(holder);
  }

  /** Names of the holders whose predicate is true now, each once, in registration order. */
  held(): string[] {
    const names = new Set<string>();
    for (const h of this.#holders) {
      let active: boolean;
      try {
        active = h.active();
      } catch {
        // A predicate that cannot answer must not let an install cut into what it guards.
        active = true;
      }
      if (active) names.add(h.name);
    }
    return [...names];
  }

  /** Resolves as soon as no holder is active (at once when none is), or with update_locked after maxWaitMs. */
  waitUntilFree(opts: WaitUntilFreeOptions): Promise<UpdateLockWait> {
    const { clock, signal, onWaiting } = opts;
    const pollMs = Math.max(1, opts.pollMs ?? DEFAULT_POLL_MS);
    const started = clock.monotonic();
    let holders = this.held();
    if (signal?.aborted) return Promise.resolve({ ok: false, code: 'update_locked', holders, aborted: true });
    if (holders.length === 0) return Promise.resolve({ ok: true, waitedMs: 0 });
    onWaiting?.(holders);

    return new Promise<UpdateLockWait>((resolve) => {
      let timer: { cancel(): void } | null = null;
      const onAbort = () => {
        timer?.cancel();
        resolve({ ok: false, code: 'update_locked', holders: this.held(), aborted: true });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (result: UpdateLockWait) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const check = () => {
        const waited = clock.monotonic() - started;
        const now = this.held();
        if (now.length === 0) return done({ ok: true, waitedMs: waited });
        if (waited >= opts.maxWaitMs) return done({ ok: false, code: 'update_locked', holders: now });
        if (!sameNames(now, holders)) {
          holders = now;
          onWaiting?.(holders);
        }
        // The last look is exactly at the deadline, not up to one poll after it.
        timer = clock.setTimeout(check, Math.min(pollMs, opts.maxWaitMs - waited));
      };
      check();
    });
  }
}

function sameNames(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
