import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { writeFileAtomic } from '../../storage/atomic-file.js';

/**
 * The brake on guessing the label verification code (provisioning.md §6.5,
 * §6.7): 5 wrong codes → 60 s locked, every further lockout twice as long
 * (capped), counters kept on flash so pulling the plug does not reset them.
 * One instance is shared by everything that checks the code — the SRP
 * session/verify and the captive portal's form (test vector A12) — so a
 * guesser cannot switch doors to get more tries.
 *
 * The code has 40 bits; at 5 guesses per hour (the cap) an online attacker
 * needs ~2.5·10^7 years for half the space.
 */
export interface LockoutPolicy {
  /** Wrong codes in a row that start a lockout. */
  maxFailures: number;
  /** The first lockout; each further one doubles. */
  firstLockoutMs: number;
  /** Doubling stops here, so a family member's typos never lock the camera for days. */
  maxLockoutMs: number;
}

export const LOCKOUT_DEFAULTS: LockoutPolicy = { maxFailures: 5, firstLockoutMs: 60_000, maxLockoutMs: 3_600_000 };

export type LockoutCheck = { locked: false } | { locked: true; retryAfterMs: number };

/** What a code checker needs: ask first, then report the outcome. */
export interface LockoutStore {
  /** Whether a check may run now. Synchronous and cheap: call it before any work. */
  check(): LockoutCheck;
  /**
   * Count a wrong code; resolves once the count is on flash (answer the
   * client only after that, or a power cut right after an answer would hand
   * out a free guess). The result says whether the camera is now locked.
   */
  fail(): Promise<LockoutCheck>;
  /** A right code: forget the failures and the lockout history. */
  succeed(): Promise<void>;
}

/** The lockout file, as written (JSON, one object). */
export interface LockoutFile {
  v: 1;
  /** Wrong codes since the last lockout started or the last success. */
  failures: number;
  /** Lockouts since the last success: the doubling exponent. */
  lockouts: number;
  /** Wall-clock ms when the current lockout started, or null when none is in force. */
  lockedAt: number | null;
  /** Length of that lockout. */
  lockMs: number;
}

/** Length of the n-th lockout (n ≥ 1). */
export function lockoutDuration(n: number, policy: LockoutPolicy): number {
  return Math.min(policy.maxLockoutMs, policy.firstLockoutMs * 2 ** Math.max(0, Math.min(n - 1, 30)));
}

/**
 * How much of a persisted lockout still applies at start-up. Wall time is
 * the only clock that spans a reboot, and a camera without RTC boots in 1970
 * until NTP runs: when the clock reads earlier than the lockout's start, the
 * lockout is served again in full rather than forgotten.
 */
export function remainingAfterRestart(file: Pick<LockoutFile, 'lockedAt' | 'lockMs'>, nowWall: number): number {
  if (file.lockedAt === null) return 0;
  if (nowWall < file.lockedAt) return file.lockMs;
  return Math.max(0, Math.min(file.lockMs, file.lockedAt + file.lockMs - nowWall));
}

export function parseLockoutFile(value: unknown): LockoutFile | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  const count = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (o.v !== 1 || !count(o.failures) || !count(o.lockouts) || !count(o.lockMs)) return null;
  if (o.lockedAt !== null && !count(o.lockedAt)) return null;
  return { v: 1, failures: o.failures, lockouts: o.lockouts, lockedAt: o.lockedAt as number | null, lockMs: o.lockMs };
}

export interface CodeLockoutDeps {
  /** The lockout file on the writable data partition (the integrator picks it). */
  path: string;
  clock: Clock;
  policy?: LockoutPolicy;
  logger?: Logger;
}

export class CodeLockout implements LockoutStore {
  readonly #deps: CodeLockoutDeps;
  readonly #policy: LockoutPolicy;
  #failures = 0;
  #lockouts = 0;
  /** Current lockout: wall start (for the file), length, and monotonic end (for checks: wall time may jump). */
  #lock: { at: number; ms: number; untilMono: number } | null = null;
  #writes: Promise<void> = Promise.resolve();

  constructor(deps: CodeLockoutDeps) {
    this.#deps = deps;
    this.#policy = deps.policy ?? LOCKOUT_DEFAULTS;
  }

  /** Read the file (absent: a fresh camera). Call once before the first check. */
  async load(): Promise<void> {
    let text: string | null = null;
    try {
      text = await readFile(this.#deps.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.#failures = 0;
    this.#lockouts = 0;
    this.#lock = null;
    if (text === null) return;
    let file: LockoutFile | null = null;
    try {
      file = parseLockoutFile(JSON.parse(text));
    } catch {
      file = null;
    }
    if (!file) {
      // Written atomically, so this is not a torn write; start clean but say so.
      this.#deps.logger?.warn({ path: this.#deps.path }, 'code lockout file unreadable; starting with no failures');
      return;
    }
    this.#failures = file.failures;
    this.#lockouts = file.lockouts;
    const remaining = remainingAfterRestart(file, this.#deps.clock.now());
    if (remaining > 0) {
      const now = this.#deps.clock.now();
      // Re-based on today's clock so the next restart computes from this one.
      this.#lock = { at: now - (file.lockMs - remaining), ms: file.lockMs, untilMono: this.#deps.clock.monotonic() + remaining };
      if (file.lockedAt !== null && now < file.lockedAt) await this.#persist();
    } else if (file.lockedAt !== null) {
      await this.#persist();
    }
  }

  check(): LockoutCheck {
    if (!this.#lock) return { locked: false };
    const left = this.#lock.untilMono - this.#deps.clock.monotonic();
    if (left > 0) return { locked: true, retryAfterMs: Math.ceil(left) };
    this.#lock = null;
    // Record that it ended, so a clock-less reboot does not serve it again.
    void this.#persist();
    return { locked: false };
  }

  async fail(): Promise<LockoutCheck> {
    // Counted in memory at once, so concurrent checks all see it.
    const locked = this.check().locked;
    this.#failures += 1;
    if (!locked && this.#failures >= this.#policy.maxFailures) {
      this.#lockouts += 1;
      this.#failures = 0;
      const ms = lockoutDuration(this.#lockouts, this.#policy);
      this.#lock = { at: this.#deps.clock.now(), ms, untilMono: this.#deps.clock.monotonic() + ms };
      this.#deps.logger?.warn({ lockouts: this.#lockouts, lockMs: ms }, 'too many wrong verification codes: code checks locked');
    }
    await this.#persist();
    return this.check();
  }

  async succeed(): Promise<void> {
    if (this.#failures === 0 && this.#lockouts === 0 && this.#lock === null) return;
    this.#failures = 0;
    this.#lockouts = 0;
    this.#lock = null;
    await this.#persist();
  }

  /** For tests and the technician's view: the counters as they stand. */
  snapshot(): LockoutFile {
    return {
      v: 1,
      failures: this.#failures,
      lockouts: this.#lockouts,
      lockedAt: this.#lock?.at ?? null,
      lockMs: this.#lock?.ms ?? 0,
    };
  }

  /** Writes are chained, and each writes the state as it is when its turn comes. */
  #persist(): Promise<void> {
    const write = async (): Promise<void> => {
      try {
        await mkdir(dirname(this.#deps.path), { recursive: true });
        await writeFileAtomic(this.#deps.path, `${JSON.stringify(this.snapshot())}\n`);
      } catch (err) {
        // The lockout still holds in memory; only a reboot would forget it.
        this.#deps.logger?.error({ err, path: this.#deps.path }, 'could not persist the code lockout');
      }
    };
    this.#writes = this.#writes.then(write);
    return this.#writes;
  }
}
