import t from 'tap';
import pino from 'pino';
import { Watchdog } from '../../../src/system/watchdog.js';
import { watchdogIntervalMs, createNotifier } from '../../../src/system/sd-notify.js';
import { ManualClock } from '../../../src/core/clock.js';

function rig(opts: { lag: number[]; healthy?: () => boolean }) {
  const sent: Array<Record<string, string>> = [];
  const clock = new ManualClock();
  const lags = [...opts.lag];
  const wd = new Watchdog({
    notifier: { enabled: true, notify: async (f) => void sent.push(f) },
    clock,
    logger: pino({ level: 'silent' }),
    intervalMs: 1000,
    maxLagMs: () => 200,
    probe: { takeMaxLagMs: () => lags.shift() ?? 0, stop: () => undefined },
    services: () => [{ name: 'video', healthy: opts.healthy ?? (() => true) }, { name: 'plain' }],
  });
  return { wd, sent, clock };
}

t.test('pings while the loop is responsive and services are healthy', async (t) => {
  const { wd, sent } = rig({ lag: [5, 10] });
  t.equal(await wd.tick(), true);
  t.equal(await wd.tick(), true);
  t.same(sent, [{ WATCHDOG: '1' }, { WATCHDOG: '1' }]);
});

t.test('withholds the ping when the event loop lagged', async (t) => {
  const { wd, sent } = rig({ lag: [500, 5] });
  t.equal(await wd.tick(), false);
  t.equal(await wd.tick(), true, 'resumes when the loop is responsive again');
  t.equal(sent.length, 1);
});

t.test('withholds the ping when a service is stuck', async (t) => {
  let ok = false;
  const { wd, sent } = rig({ lag: [0, 0], healthy: () => ok });
  t.equal(await wd.tick(), false);
  ok = true;
  t.equal(await wd.tick(), true);
  t.equal(sent.length, 1);
});

t.test('ticks at half the interval systemd asked for', async (t) => {
  const { wd, sent, clock } = rig({ lag: [] });
  await wd.start();
  clock.advance(2000);
  await new Promise((r) => setImmediate(r));
  t.equal(sent.length, 4);
  await wd.stop();
  clock.advance(2000);
  t.equal(sent.length, 4, 'no ping after stop');
});

t.test('WATCHDOG_USEC and WATCHDOG_PID', async (t) => {
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }), 30000);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, 2), null, 'meant for another process');
  t.equal(watchdogIntervalMs({}), null);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'x' }), null);
  t.equal(createNotifier({}).enabled, false, 'no NOTIFY_SOCKET: notifications are no-ops');
});
