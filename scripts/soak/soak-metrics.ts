/**
 * What the mixed soak measures and how it judges it. The RSS and the open
 * file descriptors come from /proc (the kernel's view, no cooperation of the
 * agent needed); the V8 heap and the active handles only the agent knows, so
 * they come from its own `health` telemetry (src/cloud/health-sample.ts),
 * published every cloud.healthIntervalS (30 s in the soak, the minimum).
 *
 * Growth is the median of the last 3 samples minus the median of the first 3
 * samples at or after the end of the warm-up: one sample taken mid-GC or
 * mid-snapshot would otherwise decide the verdict. Only samples taken with
 * no talkback session open count: an open session holds a socket, ffmpeg and
 * aplay pipes and a dozen handles, which are load, not growth.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface Sample {
  /** Seconds since the load started. */
  t: number;
  /** No talkback session open: only these samples are judged. */
  quiet: boolean;
  rssBytes: number;
  fds: number;
  /** From the latest health message (null before the first). */
  heapUsedBytes: number | null;
  handles: number | null;
  alarmsRaised: number;
  talkbackOk: number;
  apiOk: number;
}

export function procRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

export function procFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Limits {
  rssBytes: number;
  heapBytes: number;
  fds: number;
  handles: number;
}

/** The bar: RSS ≤ 5 MB after warm-up; heap, fds and handles alongside. */
export const LIMITS: Limits = { rssBytes: 5 * 1024 * 1024, heapBytes: 5 * 1024 * 1024, fds: 5, handles: 10 };

export interface Growth {
  metric: 'rss' | 'heap' | 'fds' | 'handles';
  warm: number;
  end: number;
  growth: number;
  limit: number;
  unit: 'MB' | 'count';
  ok: boolean;
}

/** Growth of each metric from the warm-up's end to the run's end; a metric without 3 + 3 samples fails. */
export function growth(samples: Sample[], warmUpS: number, limits: Limits = LIMITS): Growth[] {
  const pick = (key: 'rssBytes' | 'heapUsedBytes' | 'fds' | 'handles'): { warm: number; end: number } => {
    const have = samples.filter((s) => s.quiet && s[key] !== null);
    const atWarm = have.filter((s) => s.t >= warmUpS).slice(0, 3);
    const last = have.slice(-3);
    if (atWarm.length < 3 || last.length < 3) return { warm: NaN, end: NaN };
    return { warm: median(atWarm.map((s) => s[key]!)), end: median(last.map((s) => s[key]!)) };
  };
  const row = (metric: Growth['metric'], key: Parameters<typeof pick>[0], limit: number, unit: Growth['unit']): Growth => {
    const { warm, end } = pick(key);
    const g = end - warm;
    return { metric, warm, end, growth: g, limit, unit, ok: Number.isFinite(g) && g <= limit };
  };
  return [
    row('rss', 'rssBytes', limits.rssBytes, 'MB'),
    row('heap', 'heapUsedBytes', limits.heapBytes, 'MB'),
    row('fds', 'fds', limits.fds, 'count'),
    row('handles', 'handles', limits.handles, 'count'),
  ];
}

export function formatGrowth(g: Growth): string {
  const f = (v: number) => (g.unit === 'MB' ? `${(v / 1048576).toFixed(2)} MB` : String(v));
  const lim = g.unit === 'MB' ? `${(g.limit / 1048576).toFixed(0)} MB` : String(g.limit);
  return `${g.metric.padEnd(8)} ${f(g.warm).padStart(10)} → ${f(g.end).padStart(10)}   growth ${f(g.growth).padStart(9)} (limit ${lim})  ${g.ok ? 'ok' : 'FAIL'}`;
}

export function samplesCsv(samples: Sample[]): string {
  const head = 't_s,quiet,rss_bytes,fds,heap_used_bytes,handles,alarms_raised,talkback_ok,api_ok';
  const rows = samples.map((s) => [s.t, s.quiet ? 1 : 0, s.rssBytes, s.fds, s.heapUsedBytes ?? '', s.handles ?? '', s.alarmsRaised, s.talkbackOk, s.apiOk].join(','));
  return [head, ...rows].join('\n') + '\n';
}
