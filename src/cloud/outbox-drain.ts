import type { Logger } from '../log/logger.js';
import type { Outbox, OutboxEvent } from './outbox.js';
import type { PublishThrottle } from './rate-limiter.js';

/** How the broker answered one event: acknowledged, or refused for good (MQTT 5 PUBACK reason ≥ 0x80). */
export type PublishOutcome = 'acked' | 'refused';

export interface OutboxDrainOptions {
  outbox: Outbox;
  throttle: PublishThrottle;
  /** Publish one event at QoS 1; resolves on PUBACK, rejects when the link went down. */
  publish(event: OutboxEvent): Promise<PublishOutcome>;
  /** At most this many events un-acknowledged at once (AWS IoT: 100 in-flight QoS 1 per client). */
  maxInflight: number;
  logger: Logger;
}

/**
 * Sends the outbox while the link is up: oldest first, through the rate
 * limiter, with a bounded number in flight. An event leaves the outbox only
 * on PUBACK; one whose publish failed because the link dropped stays and is
 * sent again on the next connection.
 */
export class OutboxDrain {
  #run: { inflight: Set<string>; wake: () => void; stopped: boolean } | null = null;

  constructor(private readonly opts: OutboxDrainOptions) {}

  /** The link is up: start sending. */
  start(): void {
    if (this.#run) return;
    const run = { inflight: new Set<string>(), wake: () => undefined as void, stopped: false };
    this.#run = run;
    void this.#loop(run).catch((err) => this.opts.logger.error({ err }, 'outbox drain stopped on an error'));
  }

  /** The link is down: stop sending (events in flight stay in the outbox). */
  stop(): void {
    const run = this.#run;
    if (!run) return;
    run.stopped = true;
    this.#run = null;
    run.wake();
  }

  get running(): boolean {
    return this.#run !== null;
  }

  async #loop(run: { inflight: Set<string>; wake: () => void; stopped: boolean }): Promise<void> {
    const { outbox, throttle, maxInflight } = this.opts;
    const off = outbox.onAdded(() => run.wake());
    try {
      while (!run.stopped) {
        outbox.expireOld();
        const next = outbox.peek(maxInflight - run.inflight.size, run.inflight);
        if (!next.length) {
          await new Promise<void>((resolve) => (run.wake = resolve));
          continue;
        }
        for (const event of next) {
          await throttle.acquire(event.size);
          if (run.stopped) return;
          if (!outbox.has(event.id)) continue;
          run.inflight.add(event.id);
          this.opts
            .publish(event)
            .then(
              (outcome) => {
                if (outcome === 'acked') outbox.ack(event.id);
                else {
                  this.opts.logger.warn({ eventId: event.id, type: event.type }, 'outbox: broker refused an event; dropped');
                  outbox.drop(event.id, 'refused');
                }
              },
              () => undefined,
            )
            .finally(() => {
              run.inflight.delete(event.id);
              run.wake();
            });
        }
      }
    } finally {
      off();
    }
  }
}
