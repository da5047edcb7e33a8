/**
 * Motion alarm latency end to end, with the compiled daemon: the scripted
 * mover enters the MJPEG camera stream (analysed at 5 fps) → the alarm event
 * at the real Mosquitto broker, and → the snapshot stored at the local HTTPS
 * upload server (presigned-URL round trip included). p50/p95 over ≥ 30
 * alarms (goals: event p95 ≤ 600 ms, snapshot p95 ≤ 1 s), then the daemon's
 * RSS during a burst of on-demand snapshots. `npm run build` first.
 */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { alarmRig, waitReady } from '../../test/helpers/alarm-rig.js';
import { percentile, report } from './report.js';

const ALARMS = Number(process.env.BENCH_ALARMS ?? 30);

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function benchAlarm(): Promise<void> {
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void cleanups.push(fn), comment: () => undefined } as unknown as Test;
  try {
    const r = await alarmRig(t, {}, { video: { analysis: { fps: 5 } } });
    const d = r.start();
    await waitReady(r, d);
    const event: number[] = [];
    const snapshot: number[] = [];
    for (let i = 0; i < ALARMS; i++) {
      const seen = r.alarms().length;
      const entered = r.video.enter();
      const alarm = await r.cloud.waitForCount((m) => m.topic === `cam/${r.deviceId}/event/alarm`, seen + 1, 10_000);
      event.push(Date.now() - entered);
      const id = alarm[seen]!.json().data.alarmId as string;
      const [up] = await r.uploads.waitFor((u) => u.path === `/snapshots/${id}.jpg`, 10_000);
      snapshot.push(up!.at - entered);
      r.video.leave();
      // The next onset only counts once this event has ended (offDelay).
      await d.waitForLogCount('motion end', i + 1, 10_000);
    }
    report('alarm: motion onset → event at broker, p50', percentile(event, 50), 'ms', { p95: percentile(event, 95), n: event.length, goal: 'p95 ≤ 600' });
    report('alarm: motion onset → snapshot stored (https), p50', percentile(snapshot, 50), 'ms', { p95: percentile(snapshot, 95), n: snapshot.length, goal: 'p95 ≤ 1000' });
    const pid = d.child.pid!;
    const before = rssMb(pid);
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    const burst = 20;
    const t0 = Date.now();
    const ids = await Promise.all(Array.from({ length: burst }, () => r.request('snapshot').then((x) => x.data.alarmId as string)));
    await r.uploads.waitFor((u) => ids.some((id) => u.path === `/snapshots/${id}.jpg`), 60_000, burst);
    clearInterval(sample);
    report('alarm: RSS during a burst of 20 alarms, peak', peak, 'MB', { before, burstMs: Date.now() - t0 });
    d.child.kill('SIGTERM');
    await d.exited;
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAlarm();
