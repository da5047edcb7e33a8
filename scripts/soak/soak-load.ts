/**
 * The load generators of the mixed soak, each a loop that runs until the
 * run's stop signal and counts what it did: the person walking past the
 * camera, the phone app talking through it, the technician's laptop polling
 * the local API, and the cloud asking now and then. Intervals are random
 * within a range (seeded, so two runs generate the same load) to avoid a
 * lock-step rhythm hiding or causing a problem.
 */
import { request as httpsRequest } from 'node:https';
import type { AlarmRig } from '../../test/helpers/alarm-rig.js';
import type { TalkRelay } from '../../test/helpers/talk-relay.js';
import { encodeTalkFrame } from '../../src/talkback/talk-frame.js';

/** Resolves when the run ends; `sleep` returns early then. */
export interface StopSignal {
  stopped: boolean;
  sleep(ms: number): Promise<void>;
}

export function stopSignal(): StopSignal & { stop(): void } {
  const waiters = new Set<() => void>();
  const s = {
    stopped: false,
    stop() {
      s.stopped = true;
      for (const w of waiters) w();
    },
    sleep(ms: number) {
      return new Promise<void>((resolve) => {
        if (s.stopped) return resolve();
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiters.add(done);
      });
    },
  };
  return s;
}

export const between = (random: () => number, lo: number, hi: number): number => lo + random() * (hi - lo);

export interface Counts {
  ok: number;
  failed: number;
  /** The first few failures, for the report. */
  errors: string[];
}

export const counts = (): Counts => ({ ok: 0, failed: 0, errors: [] });

function fail(c: Counts, what: string): void {
  c.failed++;
  if (c.errors.length < 10) c.errors.push(what);
}

/** A person enters the scene for 3–5 s, then the room is empty for gapS (20–60 s): one alarm or two per visit. */
export async function motionLoop(r: AlarmRig, stop: StopSignal, random: () => number, gapS: [number, number]): Promise<number> {
  let visits = 0;
  while (!stop.stopped) {
    r.video.enter();
    visits++;
    await stop.sleep(between(random, 3000, 5000));
    r.video.leave();
    await stop.sleep(between(random, gapS[0] * 1000, gapS[1] * 1000));
  }
  r.video.leave();
  return visits;
}

/** Whether a session is open: its sockets, ffmpeg pipes and buffers are load, not growth. */
export interface TalkbackState {
  active: boolean;
  endedAt: number;
}

/**
 * A talkback session every gapS, lasting sessionS, alternately over the WSS
 * relay and over MQTT, with real-time 20 ms µ-law frames; ok when start and
 * stop are answered ok and the agent reports the session ended.
 */
export async function talkbackLoop(
  r: AlarmRig,
  relay: TalkRelay,
  utterance: Uint8Array[],
  stop: StopSignal,
  random: () => number,
  gapS: [number, number],
  sessionS: [number, number],
  c: Counts,
  state: TalkbackState,
): Promise<void> {
  for (let n = 1; !stop.stopped; n++) {
    await stop.sleep(between(random, gapS[0] * 1000, gapS[1] * 1000));
    if (stop.stopped) break;
    const transport = n % 2 === 1 ? 'relay' : 'mqtt';
    const sessionId = `soak-talk-${String(n).padStart(5, '0')}`;
    state.active = true;
    try {
      await oneSession(r, relay, utterance, sessionId, transport, between(random, sessionS[0], sessionS[1]));
      c.ok++;
    } catch (e) {
      fail(c, `${sessionId} (${transport}): ${(e as Error).message.slice(0, 200)}`);
    } finally {
      state.active = false;
      state.endedAt = Date.now();
    }
  }
}

async function oneSession(r: AlarmRig, relay: TalkRelay, utterance: Uint8Array[], sessionId: string, transport: 'relay' | 'mqtt', seconds: number): Promise<void> {
  const before = relay.peers.items.length;
  const args = transport === 'relay' ? { relay: { url: relay.url, token: relay.token } } : { transport: 'mqtt' };
  const started = await r.request('talkback.start', { sessionId, codec: { name: 'pcmu' }, ...args });
  if (started.status !== 'ok') throw new Error(`talkback.start answered ${JSON.stringify(started)}`);
  const downTopic = `cam/${r.deviceId}/talkback/down`;
  const peer = transport === 'relay' ? await relay.peer(before + 1, 30_000) : null;
  const send = (bytes: Uint8Array) => (peer ? peer.send(bytes) : void r.cloud.client.publishAsync(downTopic, Buffer.from(bytes), { qos: 0 }).catch(() => undefined));
  const total = Math.round((seconds * 1000) / 20);
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = t0 + k * 20 - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const payload = utterance[k % utterance.length]!;
    send(encodeTalkFrame({ type: 'audio', codec: 'pcmu', seq: k & 0xffff, timestamp: k * 160, marker: k === 0, payload }));
  }
  send(encodeTalkFrame({ type: 'end', seq: total & 0xffff, timestamp: total * 160 }));
  const ended = r.cloud.waitFor(
    (m) => m.topic === `cam/${r.deviceId}/event/talkback` && m.json().data?.sessionId === sessionId && m.json().data?.state === 'ended',
    60_000,
    `${sessionId} ended`,
  );
  const stopped = await r.request('talkback.stop', { sessionId });
  await ended;
  // The relay keeps every uplink frame it got; this run has no use for them.
  if (peer) peer.frames.items.length = 0;
  if (stopped.status !== 'ok') throw new Error(`talkback.stop answered ${JSON.stringify(stopped)}`);
}

const API_PATHS = ['/v1/health', '/v1/device', '/v1/config', '/v1/motion/zones', '/v1/logs', '/v1/snapshot.jpg'];

function get(url: string, token: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 60_000 }, (res) => {
      let bytes = 0;
      res.on('data', (b: Buffer) => (bytes += b.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out after 60 s')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * A technician's laptop: one authenticated HTTPS GET every periodS (2–5 s),
 * cycling through health, device, config, zones, logs and a live snapshot,
 * each on a fresh TLS connection (a leaked socket per request would show in
 * the fd count). The token comes from the cloud's `api.token` op; a 401 mints
 * a new one once.
 */
export async function apiLoop(r: AlarmRig, base: string, ttlS: number, stop: StopSignal, random: () => number, periodS: [number, number], c: Counts): Promise<void> {
  const mint = async (): Promise<string> => {
    const res = await r.request('api.token', { role: 'technician', subject: 'soak-technician', ttlS });
    if (res.status !== 'ok') throw new Error(`api.token answered ${JSON.stringify(res)}`);
    return res.data.token as string;
  };
  let token = await mint();
  for (let n = 0; !stop.stopped; n++) {
    const path = API_PATHS[n % API_PATHS.length]!;
    try {
      let res = await get(`${base}${path}`, token);
      if (res.status === 401) {
        token = await mint();
        res = await get(`${base}${path}`, token);
      }
      if (res.status === 200) c.ok++;
      else fail(c, `GET ${path}: ${res.status}`);
    } catch (e) {
      fail(c, `GET ${path}: ${(e as Error).message}`);
    }
    await stop.sleep(between(random, periodS[0] * 1000, periodS[1] * 1000));
  }
}

/** The cloud now and then: info, config.get, a config.set that toggles the talkback volume, ping. */
export async function cloudLoop(r: AlarmRig, stop: StopSignal, random: () => number, periodS: [number, number], c: Counts): Promise<void> {
  for (let n = 0; !stop.stopped; n++) {
    await stop.sleep(between(random, periodS[0] * 1000, periodS[1] * 1000));
    if (stop.stopped) break;
    const [op, args] = (
      [
        ['info', {}],
        ['config.get', { keys: ['alarm.maxPerMinute', 'talkback.volume'] }],
        ['config.set', { patch: { talkback: { volume: n % 8 === 2 ? 70 : 80 } } }],
        ['ping', {}],
      ] as const
    )[n % 4]!;
    try {
      const res = await r.request(op, args as Record<string, unknown>);
      if (res.status === 'ok') c.ok++;
      else fail(c, `${op}: ${JSON.stringify(res.error ?? res)}`);
    } catch (e) {
      fail(c, `${op}: ${(e as Error).message.slice(0, 200)}`);
    }
  }
}
