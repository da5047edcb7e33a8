import t from 'tap';
import { pino } from 'pino';
import { EventBus } from '../../../src/core/bus.js';
import { ManualClock } from '../../../src/core/clock.js';
import { AlarmService, type AlarmServiceDeps } from '../../../src/alarm/alarm-service.js';

const logger = pino({ level: 'silent' });

/**
 * The per-minute cap must count in monotonic time: with wall time a clock
 * stepped back by an hour (NTP correcting a fast RTC) left the rolling window
 * full of "future" alarms and suppressed every motion alarm for that hour.
 */
async function service(clock: ManualClock, maxPerMinute: number): Promise<{ bus: EventBus; published: string[] }> {
  const bus = new EventBus();
  const published: string[] = [];
  const off = { on: () => () => undefined };
  const deps = {
    bus,
    clock,
    logger,
    settings: () => ({ enabled: true, snapshots: false, delivery: 'https', maxPerMinute, privacyMode: false }),
    frames: off,
    analysis: { pause: async () => undefined, resume: async () => undefined },
    shutterClosed: () => false,
    ring: { clear: () => undefined, push: () => undefined },
    capture: {},
    processor: { start: async () => undefined },
    spool: { start: async () => ({ ok: true, value: {} }), stop: () => undefined, removeAll: async () => 0, stats: () => ({}) },
    delivery: { start: () => undefined, stop: () => undefined, stats: () => ({}) },
    uploadUrls: { cancelAll: () => undefined },
    link: {
      publishEvent: async (_kind: string, data: { alarmId: string }) => {
        published.push(data.alarmId);
        return { ok: true };
      },
      snapshotTopic: (id: string) => `snap/${id}`,
      onOnline: () => () => undefined,
    },
    captures: { open: async () => [], mark: async () => true, clear: async () => undefined },
  } as unknown as AlarmServiceDeps;
  const s = new AlarmService(deps);
  await s.start();
  return { bus, published };
}

async function motion(bus: EventBus, clock: ManualClock): Promise<void> {
  bus.emit('motion.started', { at: clock.now(), t: clock.monotonic(), score: 0.5, zones: [] });
  await new Promise((res) => setImmediate(res));
}

t.test('a wall clock stepped back an hour does not keep the alarm rate limit closed', async (t) => {
  const clock = new ManualClock();
  const { bus, published } = await service(clock, 2);
  await motion(bus, clock);
  clock.advance(1_000);
  await motion(bus, clock);
  clock.advance(1_000);
  await motion(bus, clock);
  t.equal(published.length, 2, 'the third alarm within a minute is capped');
  clock.jumpWall(-3_600_000);
  clock.advance(61_000);
  await motion(bus, clock);
  t.equal(published.length, 3, 'a minute later (monotonic) an alarm goes out again, whatever the wall clock says');
  clock.jumpWall(+86_400_000);
  await motion(bus, clock);
  t.equal(published.length, 4, 'a forward step does not open the window early: one more fits the cap of 2');
  await motion(bus, clock);
  t.equal(published.length, 4, 'and the cap still holds after the forward step');
});
