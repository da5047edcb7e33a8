import t from 'tap';
import { isArmedAt, localTime, parseSchedule } from '../../../src/media/motion/schedule.js';

function schedule(intervals: unknown, tz = 'Europe/Berlin') {
  const r = parseSchedule(intervals, tz);
  if (!r.ok) throw new Error(r.message);
  return r.schedule;
}

t.test('an empty schedule is always armed', async (t) => {
  t.ok(isArmedAt(schedule([]), Date.UTC(2026, 0, 1, 12)));
});

t.test('weekday office hours in local time', async (t) => {
  const s = schedule([{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' }]);
  // Monday 5 Jan 2026: Berlin is UTC+1 in winter.
  t.notOk(isArmedAt(s, Date.UTC(2026, 0, 5, 6, 59)), '07:59 local');
  t.ok(isArmedAt(s, Date.UTC(2026, 0, 5, 7, 0)), '08:00 local');
  t.notOk(isArmedAt(s, Date.UTC(2026, 0, 5, 17, 0)), '18:00 local: end is exclusive');
  t.notOk(isArmedAt(s, Date.UTC(2026, 0, 4, 10)), 'Sunday');
});

t.test('an interval past midnight belongs to the day it starts', async (t) => {
  const s = schedule([{ days: ['fri'], from: '22:00', to: '06:00' }]);
  // Friday 9 Jan 2026 23:00 local and Saturday 05:59 local are armed; Friday 05:00 is not.
  t.ok(isArmedAt(s, Date.UTC(2026, 0, 9, 22)));
  t.ok(isArmedAt(s, Date.UTC(2026, 0, 10, 4, 59)));
  t.notOk(isArmedAt(s, Date.UTC(2026, 0, 9, 4)));
  t.notOk(isArmedAt(s, Date.UTC(2026, 0, 10, 5)), 'Saturday 06:00');
});

t.test('daylight saving time follows the time zone database', async (t) => {
  const s = schedule([{ days: 'daily', from: '08:00', to: '09:00' }]);
  t.ok(isArmedAt(s, Date.UTC(2026, 0, 15, 7, 30)), 'winter: 08:30 CET = 07:30 UTC');
  t.ok(isArmedAt(s, Date.UTC(2026, 6, 15, 6, 30)), 'summer: 08:30 CEST = 06:30 UTC');
  t.notOk(isArmedAt(s, Date.UTC(2026, 6, 15, 7, 30)), 'summer: 09:30 CEST');
  t.same(localTime('Asia/Kolkata', Date.UTC(2026, 0, 1, 0, 0)), { day: 'thu', minute: 330 });
});

t.test('invalid schedules and time zones are refused with a message', async (t) => {
  t.match(parseSchedule([{ days: ['mon'], from: '8:00', to: '09:00' }], 'UTC'), { ok: false, message: /HH:MM/ });
  t.match(parseSchedule([{ days: ['monday'], from: '08:00', to: '09:00' }], 'UTC'), { ok: false, message: /days/ });
  t.match(parseSchedule([], 'Mars/Olympus'), { ok: false, message: /time zone/ });
  t.same(parseSchedule([{ from: '00:00', to: '24:00' }], 'UTC'), { ok: true, schedule: { timezone: 'UTC', intervals: [{ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], fromMin: 0, toMin: 1440 }] } });
});
