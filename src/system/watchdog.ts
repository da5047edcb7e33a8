import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import type { Notifier } from './sd-notify.js';

/** Measures how late the event loop runs; the real one samples with libuv timers. */
export interface LagProbe {
  /** Worst lag in ms since the last call. */
  takeMaxLagMs(): number;
  stop(): void;
}

export function eventLoopLagProbe(): LagProbe {
  const h: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  return {
    takeMaxLagMs() {
      const max = h.max / 1e6;
      h.reset();
      return Number.isFinite(max) ? max : 0;
    },
    stop: () => h.disable(),
  };
}

/**
 * Feeds the systemd watchdog only while the agent is really working: the
 * event loop is responsive and every service says it is healthy. A plain
 * setInterval ping would only prove that timers fire (security.md §4.3).
 * Pings at half the interval systemd asked for.
 */
export class Watchdog implements Service {
  readonly name = 'watchdog';
  #timer: Timer | null = null;
  #lastReason = '';

  constructor(
    private readonly deps: {
      notifier: Notifier;
      clock: Clock;
      logger: Logger;
      intervalMs: number;
      maxLagMs: () => number;
      probe: LagProbe;
      services: () => ReadonlyArray<{ name: string; healthy?: () => boolean }>;
    },
  ) {}

  async start(): Promise<void> {
    this.#timer = this.deps.clock.setInterval(() => void this.tick(), Math.max(50, this.deps.intervalMs / 2));
  }

  async stop(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = null;
    this.deps.probe.stop();
  }

  /** One watchdog period: ping if healthy, otherwise say why not (once per reason). */
  async tick(): Promise<boolean> {
    const lag = this.deps.probe.takeMaxLagMs();
    const failing = this.deps.services().filter((s) => s.healthy && !s.healthy()).map((s) => s.name);
    let reason = '';
    if (lag > this.deps.maxLagMs()) reason = `event loop lag ${Math.round(lag)} ms`;
    else if (failing.length) reason = `unhealthy: ${failing.join(', ')}`;
    if (reason) {
      if (reason !== this.#lastReason) this.deps.logger.warn({ reason }, 'watchdog ping withheld');
      this.#lastReason = reason;
      return false;
    }
    if (this.#lastReason) this.deps.logger.info('watchdog ping resumed');
    this.#lastReason = '';
    await this.deps.notifier.notify({ WATCHDOG: '1' });
    return true;
  }
}
