/**
 * The arm/disarm schedule: a weekly list of local-time intervals. Whether
 * detection is armed is a pure function of the schedule and an instant, so
 * it is tested without clocks and follows daylight-saving changes through
 * the time zone database (Intl), not through offsets we compute.
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ArmInterval {
  /** Days on which the interval starts. */
  days: Weekday[];
  /** Local start, minutes after midnight (0–1439). */
  fromMin: number;
  /** Local end, minutes after midnight (0–1440); ≤ fromMin means it ends on the next day. */
  toMin: number;
}

export interface ArmSchedule {
  /** IANA time zone the intervals are in. */
  timezone: string;
  /** Empty: always armed. */
  intervals: ArmInterval[];
}

export type ScheduleResult = { ok: true; schedule: ArmSchedule } | { ok: false; message: string };

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Validates `[{"days":["mon",…]|"daily","from":"HH:MM","to":"HH:MM"}]`
 * (or its JSON string). "to" may be "24:00".
 */
export function parseSchedule(value: unknown, timezone: string): ScheduleResult {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    return { ok: false, message: `unknown time zone ${timezone}` };
  }
  let list = value;
  if (typeof list === 'string') {
    if (list.trim() === '') return { ok: true, schedule: { timezone, intervals: [] } };
    try {
      list = JSON.parse(list);
    } catch {
      return { ok: false, message: 'must be a JSON array of intervals' };
    }
  }
  if (!Array.isArray(list)) return { ok: false, message: 'must be an array of intervals' };
  const intervals: ArmInterval[] = [];
  for (const [i, item] of list.entries()) {
    const where = `interval ${i + 1}`;
    if (typeof item !== 'object' || item === null) return { ok: false, message: `${where}: must be an object` };
    const { days, from, to } = item as Record<string, unknown>;
    let dayList: Weekday[];
    if (days === 'daily' || days === undefined) dayList = [...WEEKDAYS];
    else if (Array.isArray(days) && days.length > 0 && days.every((d) => (WEEKDAYS as readonly unknown[]).includes(d))) dayList = days as Weekday[];
    else return { ok: false, message: `${where}: days must be "daily" or a list of ${WEEKDAYS.join(', ')}` };
    const fromMin = typeof from === 'string' ? minutes(from) : null;
    const toMin = to === '24:00' ? 1440 : typeof to === 'string' ? minutes(to) : null;
    if (fromMin === null || toMin === null) return { ok: false, message: `${where}: from and to must be HH:MM` };
    intervals.push({ days: dayList, fromMin, toMin });
  }
  return { ok: true, schedule: { timezone, intervals } };
}

/** Whether detection is armed at `epochMs`. */
export function isArmedAt(schedule: ArmSchedule, epochMs: number): boolean {
  if (schedule.intervals.length === 0) return true;
  const { day, minute } = localTime(schedule.timezone, epochMs);
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
  return schedule.intervals.some((iv) => {
    if (iv.toMin > iv.fromMin) return iv.days.includes(day) && minute >= iv.fromMin && minute < iv.toMin;
    // Runs past midnight: the evening part today, or the morning part of one that started yesterday.
    return (iv.days.includes(day) && minute >= iv.fromMin) || (iv.days.includes(yesterday) && minute < iv.toMin);
  });
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of the day at `epochMs` in `timezone`. */
export function localTime(timezone: string, epochMs: number): { day: Weekday; minute: number } {
  let fmt = formatters.get(timezone);
  if (fmt === undefined) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timezone, fmt);
  }
  let day: Weekday = 'sun';
  let hour = 0;
  let minute = 0;
  for (const part of fmt.formatToParts(epochMs)) {
    if (part.type === 'weekday') day = part.value.toLowerCase().slice(0, 3) as Weekday;
    else if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

function minutes(hhmm: string): number | null {
  const m = HHMM.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}
