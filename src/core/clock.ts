/**
 * Time as a dependency: services read the clock through this interface so
 * tests can drive timers deterministically instead of sleeping.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (may jump: NTP, RTC reset). */
  now(): number;
  /** Monotonic milliseconds, for durations and timeouts. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  setInterval(fn: () => void, ms: number): Timer;
}

export interface Timer {
  cancel(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
  setInterval(fn, ms) {
    const t = setInterval(fn, ms);
    t.unref?.();
    return { cancel: () => clearInterval(t) };
  },
};

/**
 * A clock whose time only moves when a test says so. Timers fire in due
 * order inside advance(), which is what makes timer-driven logic testable
 * without sleeps.
 */
export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;
  #seq = 0;
  #timers = new Map<number, { due: number; fn: () => void; every?: number }>();

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.#wall = startWallMs;
  }

  now(): number {
    return this.#wall + this.#mono;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = ++this.#seq;
    this.#timers.set(id, { due: this.#mono + Math.max(0, ms), fn });
    return { cancel: () => this.#timers.delete(id) };
  }

  setInterval(fn: () => void, ms: number): Timer {
    const id = ++this.#seq;
    const every = Math.max(1, ms);
    this.#timers.set(id, { due: this.#mono + every, fn, every });
    return { cancel: () => this.#timers.delete(id) };
  }

  /** Move time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.#mono + ms;
    for (;;) {
      let nextId = -1;
      let nextDue = Infinity;
      for (const [id, t] of this.#timers) {
        if (t.due <= end && t.due < nextDue) {
          nextDue = t.due;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const t = this.#timers.get(nextId)!;
      this.#mono = nextDue;
      if (t.every) t.due += t.every;
      else this.#timers.delete(nextId);
      t.fn();
    }
    this.#mono = end;
  }

  /** Simulate a wall-clock jump (NTP correction, RTC reset) without moving monotonic time. */
  jumpWall(ms: number): void {
    this.#wall += ms;
  }

  pendingTimers(): number {
    return this.#timers.size;
  }
}
