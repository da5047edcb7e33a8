/**
 * Shared pieces of the network and media fault tests (helper "net"):
 * reading the compiled agent's own log as the ledger of what it raised,
 * tallying what the cloud received against it, the agent's ffmpeg children
 * from /proc, and the local API (health) with a token the cloud minted.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Test } from 'tap';
import type { AlarmRig } from '../../helpers/alarm-rig.js';
import { childPids, type Daemon } from '../../helpers/daemon.js';
import { persistentSubscriber, type CloudClient, type Recorded, type TestBroker } from '../../helpers/mosquitto.js';

/** Short form for `npm test`, full form for `npm run soak` (CAMERA_AGENT_FULL_RUN=1). */
export const FULL_RUN = process.env.CAMERA_AGENT_FULL_RUN === '1';

/** Every JSON log record of the daemon with this msg, in order. */
export function logRecords(d: Pick<Daemon, 'stdout'>, msg: string): Array<Record<string, any>> {
  const out: Array<Record<string, any>> = [];
  for (const line of d.stdout().split('\n')) {
    if (!line.startsWith('{') || !line.includes(msg)) continue;
    try {
      const rec = JSON.parse(line) as Record<string, any>;
      if (rec.msg === msg) out.push(rec);
    } catch {
      // a line still being written
    }
  }
  return out;
}

/** Wall-clock ms of a log record (pino writes epoch ms or an ISO string, depending on the logger setup). */
export function logTime(rec: Record<string, any>): number {
  return typeof rec.time === 'number' ? rec.time : Date.parse(String(rec.time));
}

export function logCount(d: Pick<Daemon, 'stdout'>, msg: string): number {
  return logRecords(d, msg).length;
}

/** Polls `pred` every 50 ms; rejects with `what()` after `timeoutMs`. For conditions no event announces. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Alarm events and status as a persistent-session subscriber sees them (mosquitto.ts persistentSubscriber). */
export function persistentRecorder(t: Test, broker: Pick<TestBroker, 'url' | 'pki'>, deviceId: string, clientId: string): Promise<CloudClient> {
  return persistentSubscriber(t, broker, clientId, [`cam/${deviceId}/event/alarm`, `cam/${deviceId}/status`]);
}

export interface DeliveryTally {
  raised: number;
  delivered: number;
  lost: string[];
  duplicated: string[];
  /** Alarm ids the cloud got that the agent never logged as raised. */
  unknown: string[];
  /** First arrivals out of raise order (by the alarm's `at`). */
  outOfOrder: number;
}

/** What the cloud received on event/alarm against the alarm ids the agent logged as raised. */
export function tallyAlarms(raisedIds: string[], messages: Recorded[], deviceId: string): DeliveryTally {
  const arrivals = messages.filter((m) => m.topic === `cam/${deviceId}/event/alarm`).map((m) => m.json() as { id: string; data: { alarmId: string; at: number } });
  const count = new Map<string, number>();
  for (const a of arrivals) count.set(a.data.alarmId, (count.get(a.data.alarmId) ?? 0) + 1);
  const eventIds = new Map<string, number>();
  for (const a of arrivals) eventIds.set(a.id, (eventIds.get(a.id) ?? 0) + 1);
  const raised = new Set(raisedIds);
  const firsts: number[] = [];
  const seen = new Set<string>();
  for (const a of arrivals) {
    if (seen.has(a.data.alarmId)) continue;
    seen.add(a.data.alarmId);
    firsts.push(a.data.at);
  }
  let outOfOrder = 0;
  for (let i = 1; i < firsts.length; i++) if (firsts[i]! < firsts[i - 1]!) outOfOrder++;
  return {
    raised: raised.size,
    delivered: seen.size,
    lost: [...raised].filter((id) => !count.has(id)),
    // By alarm id; an event id that came twice under different alarm ids would be a second kind of duplicate.
    duplicated: [...[...count].filter(([, n]) => n > 1).map(([id]) => id), ...[...eventIds].filter(([id, n]) => n > 1 && !arrivals.some((a) => a.id === id && (count.get(a.data.alarmId) ?? 0) > 1)).map(([id]) => `event ${id}`)],
    unknown: [...seen].filter((id) => !raised.has(id)),
    outOfOrder,
  };
}

export function raisedAlarmIds(d: Pick<Daemon, 'stdout'>): string[] {
  return logRecords(d, 'alarm raised').map((r) => String(r.alarmId));
}

/** The agent's children that are ffmpeg, with their command lines and process state. */
export function ffmpegChildrenOf(pid: number): Array<{ pid: number; cmdline: string; state: string }> {
  const out: Array<{ pid: number; cmdline: string; state: string }> = [];
  for (const child of childPids(pid)) {
    try {
      const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'ffmpeg') continue;
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
      const cmdline = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ');
      out.push({ pid: child, cmdline, state });
    } catch {
      // ended while we looked
    }
  }
  return out;
}

/** The long-running analysis ffmpeg (gray rawvideo to a pipe), not a one-frame snapshot grab. */
export function analysisFfmpeg(pid: number): Array<{ pid: number; cmdline: string; state: string }> {
  return ffmpegChildrenOf(pid).filter((p) => p.cmdline.includes('rawvideo') && p.cmdline.includes('gray'));
}

/** Zombie children of `pid` (exited, never reaped): a supervision leak. */
export function zombieChildren(pid: number): number[] {
  return childPids(pid).filter((c) => {
    try {
      const stat = readFileSync(`/proc/${c}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return false;
    }
  });
}

export interface ApiAnswer {
  status: number;
  json(): any;
}

/** The compiled agent's local API, with a technician token minted by the cloud (`api.token` op). */
export interface LocalApiClient {
  base: string;
  get(path: string): Promise<ApiAnswer>;
  health(): Promise<{ status: string; checks: Record<string, { status: string; code?: string }> }>;
}

export async function localApiClient(r: AlarmRig, d: Daemon): Promise<LocalApiClient> {
  const base = String((await d.waitForLog('local API and console listening', 20_000)).url);
  const minted = await r.request('api.token', { role: 'technician', subject: 'net-faults', ttlS: 3600 });
  if (minted.status !== 'ok') throw new Error(`api.token failed: ${JSON.stringify(minted)}`);
  const token = String(minted.data.token);
  const get = (path: string) =>
    new Promise<ApiAnswer>((resolve, reject) => {
      // Self-signed with the device key (local-api-agent.test.ts checks the pin); here only reachability matters.
      const req = request(`${base}${path}`, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(body) });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
      req.on('error', reject);
      req.end();
    });
  return {
    base,
    get,
    async health() {
      const res = await get('/v1/health');
      if (res.status !== 200) throw new Error(`/v1/health answered ${res.status}`);
      return res.json();
    },
  };
}

/** One motion episode on the scripted mover: enter, the agent raises one alarm, leave, the motion ends. */
export async function oneAlarm(r: AlarmRig, d: Daemon, timeoutMs = 30_000): Promise<string> {
  const before = logCount(d, 'alarm raised');
  const ended = logCount(d, 'motion end');
  r.video.enter();
  try {
    await d.waitForLogCount('alarm raised', before + 1, timeoutMs);
  } finally {
    r.video.leave();
  }
  await d.waitForLogCount('motion end', ended + 1, timeoutMs);
  return raisedAlarmIds(d)[before]!;
}

/** "min / median / max" of a list of durations in ms. */
export function spread(values: number[]): string {
  if (!values.length) return 'n/a';
  const s = [...values].sort((a, b) => a - b);
  return `min ${Math.round(s[0]!)} / median ${Math.round(s[Math.floor(s.length / 2)]!)} / max ${Math.round(s[s.length - 1]!)} ms`;
}
