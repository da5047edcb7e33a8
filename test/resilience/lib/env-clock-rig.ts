/**
 * Shared by the clock-step tests: the alarm rig's agent on a faked wall
 * clock, and small log readers.
 */
import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Test } from 'tap';
import { alarmRig, type AlarmRig } from '../../helpers/alarm-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { persistentSubscriber, type CloudClient } from '../../helpers/mosquitto.js';
import { fakeWallClock, type FakeWallClock } from './env-faketime.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface ClockRig {
  r: AlarmRig;
  clock: FakeWallClock;
  d: Daemon;
}

/** The alarm rig with the agent started `offsetMs` off the true time. */
export async function clockRig(t: Test, offsetMs: number, alarm: Record<string, unknown> = {}, patch?: (config: Record<string, any>) => void): Promise<ClockRig> {
  const r = await alarmRig(t, alarm);
  if (patch) {
    const config = JSON.parse(await readFile(r.config, 'utf8')) as Record<string, any>;
    patch(config);
    await writeFile(r.config, JSON.stringify(config));
  }
  const clock = fakeWallClock(r.dir, offsetMs);
  const d = r.start(clock.env);
  dumpOnFailure(t, d);
  return { r, clock, d };
}

/** One motion alarm (enter, leave); resolves with its id once it is spooled. */
export async function oneAlarm(r: AlarmRig, d: Daemon): Promise<string> {
  const spooled = count(d, 'alarm snapshot spooled');
  const raised = count(d, 'alarm raised');
  r.video.enter();
  await d.waitForLogCount('alarm raised', raised + 1, 30_000);
  r.video.leave();
  await d.waitForLogCount('alarm snapshot spooled', spooled + 1, 30_000);
  const id = logs(d).filter((l) => l.msg === 'alarm raised').at(-1)!.alarmId as string;
  // The detector ends an event after offDelaySeconds (0.4 s) of quiet: the next enter must start a new one.
  await new Promise((res) => setTimeout(res, 1_000));
  return id;
}

export function logs(d: Daemon): Array<Record<string, unknown>> {
  return d
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function count(d: Daemon, msg: string): number {
  return logs(d).filter((l) => l.msg === msg).length;
}

export function lastLogTime(d: Daemon): number {
  const l = logs(d).at(-1)!;
  return typeof l.time === 'string' ? Date.parse(l.time) : Number(l.time);
}

export function imageArrived(r: AlarmRig, id: string, timeoutMs: number): Promise<boolean> {
  return r.uploads.waitFor((u) => u.path === `/snapshots/${id}.jpg`, timeoutMs).then(
    () => true,
    () => false,
  );
}

/** On failure, the agent's last log lines say which schedule stalled. */
export function dumpOnFailure(t: Test, d: Daemon): void {
  t.teardown(() => {
    // ENV_FAULT_LOG=<file>: the whole agent log for a closer look.
    if (process.env.ENV_FAULT_LOG) appendFileSync(process.env.ENV_FAULT_LOG, d.stdout());
    if (!t.passing()) t.comment(`agent log tail:\n${d.stdout().trim().split("\n").slice(-40).join("\n")}\nstderr: ${d.stderr().slice(-2000)}`);
  });
}

/** The rig's events as a persistent-session subscriber sees them (mosquitto.ts persistentSubscriber). */
export function persistentObserver(t: Test, r: AlarmRig): Promise<CloudClient> {
  return persistentSubscriber(t, r.broker, `env-observer-${r.deviceId}`, [`cam/${r.deviceId}/event/#`]);
}

/**
 * After a backward wall-clock step the analysis ffmpeg (MJPEG over HTTP with
 * -use_wallclock_as_timestamps 1) fails "DTS … out of order"; the frame
 * source's stall watchdog restarts it after 10 s and the detector relearns
 * the background. Waits for that (or returns at once when ffmpeg survives)
 * and gives the blind time in ms, measured from `stepAt` (Date.now()).
 */
export async function videoRecovered(d: Daemon, stepAt: number, timeoutMs = 40_000): Promise<number | null> {
  const ended = () => logs(d).filter((l) => l.svc === 'video' && l.msg === 'ffmpeg ended').length;
  const learnt = () => count(d, 'motion: background learnt');
  const e0 = ended();
  const l0 = learnt();
  const until = Date.now() + timeoutMs;
  // The watchdog fires 10 s after the last frame; give it 15 s to show up.
  while (ended() === e0 && Date.now() < stepAt + 15_000) await new Promise((res) => setTimeout(res, 200));
  if (ended() === e0) return null;
  while (learnt() === l0 && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
  return Date.now() - stepAt;
}
