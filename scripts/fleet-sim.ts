// Fleet simulation (issue 4): N cameras' cloud links against one Mosquitto; the broker restarts and
// the reconnect curve is recorded, once with the link's backoff (full jitter) and once with a fixed
// 1 s period as mqtt.js would do it. Run through `scripts/fleet-sim` (raises the fd limit).
//
//   scripts/fleet-sim [--devices 500] [--restart-after 35] [--down 10] [--fixed-ms 1000]
//
// Every device is a real MqttLink (src/cloud/mqtt-link.ts: the production connection code, not a
// copy) with its own certificate and outbox, all in this one process. Nothing in the link is changed
// for the run; the instrumentation is outside it:
// - the links get a Clock (injected, as in production) that remembers when each timer was *due*;
// - tls.connect is wrapped to time-stamp each attempt, with the due time of the reconnect timer that
//   made it, and the moment its TCP connection is up (the CONNECT goes out).
// Why the due time: 500 links' TLS handshakes (~3 ms CPU each here) saturate this process on a
// 2-core machine, so its event loop runs timers late and in clumps. A real fleet has one CPU per
// camera: its CONNECTs go out when the backoff says. The curve that compares the two strategies is
// therefore "attempts by due time"; the executed curve is printed too, with the loop delay.
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { systemClock, type Clock } from '../src/core/clock.js';
import { DEFAULT_CLOUD_CONFIG, type CloudConfig } from '../src/cloud/cloud-config.js';
import { MqttLink } from '../src/cloud/mqtt-link.js';
import { startBroker, type TestBroker } from '../test/helpers/mosquitto.js';

const BUCKET_MS = 100;


const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '500' },
    // Longer than cloud.backoff.resetAfterMs (30 s): a production fleet has
    // been connected for hours when its broker restarts, and only a stable
    // connection's loss gets the wide first-reconnect window.
    'restart-after': { type: 'string', default: '35' },
    'fixed-ms': { type: 'string', default: '1000' },
    'graceful-restart': { type: 'boolean', default: false },
    // A production broker (or a cluster node) is down for seconds when it
    // restarts, long enough for the fleet to fail a few attempts.
    down: { type: 'string', default: '10' },
  },
});
const DOWN_MS = Number(args.down) * 1000;
const DEVICES = Number(args.devices);
const RESTART_AFTER_MS = Number(args['restart-after']) * 1000;
const FIXED_MS = Number(args['fixed-ms']);
const BROKER_SIGNAL = args['graceful-restart'] ? 'SIGTERM' : 'SIGKILL';
if (!(DEVICES >= 1) || !(RESTART_AFTER_MS >= 0) || !(FIXED_MS >= 1) || !(DOWN_MS >= 0)) {
  process.stderr.write('usage: scripts/fleet-sim [--devices N] [--restart-after S] [--down S] [--fixed-ms MS] [--graceful-restart]\n');
  process.exit(2);
}

// ---- instrumentation: every TLS connection attempt mqtt.js makes goes through tls.connect ----

interface Recorder {
  t0: number;
  /** When the reconnect timer behind each attempt was due (what an independent device would do). */
  scheduled: number[];
  attempts: number[];
  connects: number[];
  /** Due times of the attempts that reached a live broker: the load a restarted broker sees. */
  connectsDue: number[];
  online: number[];
}
let recorder: Recorder | null = null;
const tlsModule = createRequire(import.meta.url)('node:tls') as typeof import('node:tls');
const realConnect = tlsModule.connect;
tlsModule.connect = function (this: unknown, ...a: unknown[]): TLSSocket {
  const socket = (realConnect as (...x: unknown[]) => TLSSocket).apply(this, a);
  const r = recorder;
  if (r) {
    const due = (firingDue ?? performance.now()) - r.t0;
    r.scheduled.push(due);
    r.attempts.push(performance.now() - r.t0);
    socket.once('connect', () => {
      r.connects.push(performance.now() - r.t0);
      r.connectsDue.push(due);
    });
  }
  return socket;
} as typeof tlsModule.connect;

/** systemClock, except that a timer's due time is known while its callback runs. */
let firingDue: number | null = null;
const clock: Clock = {
  ...systemClock,
  setTimeout(fn, ms) {
    const due = performance.now() + ms;
    return systemClock.setTimeout(() => {
      firingDue = due;
      try {
        fn();
      } finally {
        firingDue = null;
      }
    }, ms);
  },
};

// ---- the simulation ----

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Device {
  id: string;
  cert: Buffer;
  key: Buffer;
}

interface RunResult {
  label: string;
  rec: Recorder;
  restartMs: number;
  recoveryMs: number;
  /** Event-loop delay while recovering: how late this one process ran the links' timers (p99, max ms). */
  loopDelay: { p99: number; max: number };
}

async function waitFor(what: string, done: () => number, total: number, timeoutMs: number): Promise<void> {
  const started = performance.now();
  let last = -1;
  for (;;) {
    const n = done();
    if (n >= total) return;
    const elapsed = performance.now() - started;
    if (elapsed > timeoutMs) throw new Error(`${what}: only ${n}/${total} after ${(elapsed / 1000).toFixed(0)} s`);
    if (Math.floor(elapsed / 2000) !== last) {
      last = Math.floor(elapsed / 2000);
      say(`  ${what}: ${n}/${total}`);
    }
    await sleep(50);
  }
}

async function runFleet(label: string, broker: TestBroker, devices: Device[], dir: string, fixedReconnectMs?: number): Promise<RunResult> {
  say(`\n[${label}] starting ${devices.length} links`);
  const config: CloudConfig = {
    ...DEFAULT_CLOUD_CONFIG,
    url: broker.url,
    // Production backoff (1 s … 120 s, full jitter); only the very first connect is spread wider so the
    // simulation's own start-up is not a storm (it is not what is measured).
    backoff: { ...DEFAULT_CLOUD_CONFIG.backoff, startDelayMaxMs: Math.max(1_000, devices.length * 6) },
  };
  const logger = pino({ level: 'silent' });
  const links = devices.map(
    (d) =>
      new MqttLink({
        deviceId: d.id,
        config,
        tls: { ca: broker.pki.ca, cert: d.cert, key: d.key },
        outboxDir: join(dir, label.replace(/\W+/g, '-'), d.id),
        handlers: {},
        deviceInfo: () => ({ model: 'SIM-1', serial: d.id, firmwareVersion: '1.0.0', agentVersion: '0.1.0', capabilities: [] }),
        clock,
        logger,
        ...(fixedReconnectMs !== undefined ? { fixedReconnectMs } : {}),
      }),
  );
  let rec: Recorder | null = null;
  const back = new Set<number>();
  links.forEach((l, i) =>
    l.on('online', () => {
      if (!rec) return;
      rec.online.push(performance.now() - rec.t0);
      back.add(i);
    }),
  );
  await Promise.all(links.map((l) => l.start()));
  await waitFor('online', () => links.filter((l) => l.state === 'online').length, links.length, 120_000);
  say(`  all ${links.length} online; restarting the broker in ${RESTART_AFTER_MS / 1000} s`);
  await sleep(RESTART_AFTER_MS);

  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  rec = { t0: performance.now(), scheduled: [], attempts: [], connects: [], connectsDue: [], online: [] };
  recorder = rec;
  // SIGKILL: a broker crash drops every connection at the same moment (a SIGTERM makes Mosquitto
  // disconnect clients one by one over a few hundred ms, which would spread the wave by itself).
  await broker.stop(BROKER_SIGNAL);
  await sleep(DOWN_MS);
  await broker.start();
  const restartMs = performance.now() - rec.t0;
  say(`  broker restarted in ${restartMs.toFixed(0)} ms`);
  await waitFor('back online', () => back.size, links.length, 300_000);
  const recoveryMs = performance.now() - rec.t0;
  recorder = null;
  eld.disable();
  const loopDelay = { p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 };
  say(`  all back online ${(recoveryMs / 1000).toFixed(1)} s after the restart began; stopping the links`);
  await Promise.all(links.map((l) => l.stop()));
  return { label, rec, restartMs, recoveryMs, loopDelay };
}

// ---- report ----

function buckets(times: number[]): number[] {
  const out: number[] = [];
  for (const t of times) {
    const b = Math.floor(t / BUCKET_MS);
    while (out.length <= b) out.push(0);
    out[b]!++;
  }
  return out;
}

/** Highest rate in any 100 ms bucket, per second. */
const peakPerS = (times: number[]) => Math.max(0, ...buckets(times)) * (1000 / BUCKET_MS);

/** Highest count in any sliding 1 s window. */
function peak1s(times: number[]): number {
  const s = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < s.length; i++) {
    while (s[i]! - s[j]! >= 1000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

function histogram(r: RunResult, times: number[], what: string, scale: number): void {
  const b = buckets(times);
  say(`\n[${r.label}] ${what} per ${BUCKET_MS} ms after the broker went down (back at ${(r.restartMs / 1000).toFixed(1)} s; # = ${scale.toFixed(1)})`);
  let empty = 0;
  const flush = () => {
    if (empty) say(`  ${''.padStart(6)}   (${empty} empty bucket${empty > 1 ? 's' : ''})`);
    empty = 0;
  };
  b.forEach((n, i) => {
    if (!n) return void empty++;
    flush();
    say(`  ${((i * BUCKET_MS) / 1000).toFixed(1).padStart(5)}s |${'#'.repeat(Math.max(1, Math.round(n / scale))).padEnd(50)}| ${n}`);
  });
}

function summary(r: RunResult): string {
  const { scheduled, attempts, connects, connectsDue, online } = r.rec;
  return (
    `[${r.label}] peak ${peakPerS(connectsDue)} CONNECTs/s reaching the broker, by due time (${peak1s(connectsDue)} in the busiest second); ` +
    `peak ${peakPerS(scheduled)} attempts/s by due time incl. those refused while it was down (${peak1s(scheduled)} in the busiest second); ` +
    `as executed here: ${peakPerS(connects)} CONNECTs/s (${peak1s(connects)} in the busiest second); ` +
    `${attempts.length} attempts (${attempts.length - connects.length} refused while the broker was down), ` +
    `${connects.length} CONNECTs, ${online.length} back online in ${(r.recoveryMs / 1000).toFixed(1)} s; ` +
    `simulator event-loop delay p99 ${r.loopDelay.p99.toFixed(0)} ms, max ${r.loopDelay.max.toFixed(0)} ms`
  );
}

// ---- main ----

const started = performance.now();
const dir = await mkdtemp(join(tmpdir(), 'fleet-sim-'));
const cleanups: Array<() => unknown> = [];
try {
  say(`fleet-sim: ${DEVICES} devices, broker restart ${RESTART_AFTER_MS / 1000} s after all are online, fixed period ${FIXED_MS} ms for comparison`);
  const broker = await startBroker({ teardown: (fn) => cleanups.push(fn) }, dir, { extraConfig: 'max_connections -1' });
  say(`mosquitto on ${broker.url}; issuing ${DEVICES} device certificates`);
  const devices: Device[] = Array.from({ length: DEVICES }, (_, i) => {
    const id = `SIM${String(i + 1).padStart(5, '0')}`;
    return { id, ...broker.pki.clientFast(id) };
  });
  say(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const jitter = await runFleet('jitter (link backoff)', broker, devices, dir);
  const fixed = await runFleet(`fixed ${FIXED_MS} ms`, broker, devices, dir, FIXED_MS);

  const scale = Math.max(1, Math.max(...buckets(jitter.rec.scheduled), ...buckets(fixed.rec.scheduled)) / 50);
  histogram(jitter, jitter.rec.connectsDue, 'CONNECTs reaching the broker, by due time', scale);
  histogram(fixed, fixed.rec.connectsDue, 'CONNECTs reaching the broker, by due time', scale);
  if (process.env.FLEET_SIM_ATTEMPTS) {
    histogram(jitter, jitter.rec.scheduled, 'CONNECT attempts (incl. refused) by due time', scale);
    histogram(fixed, fixed.rec.scheduled, 'CONNECT attempts (incl. refused) by due time', scale);
  }
  if (process.env.FLEET_SIM_EXECUTED) {
    histogram(jitter, jitter.rec.connects, 'CONNECTs as executed in this process', scale);
    histogram(fixed, fixed.rec.connects, 'CONNECTs as executed in this process', scale);
  }
  say('');
  say(summary(jitter));
  say(summary(fixed));
  // The headline is what the restarted broker has to absorb: CONNECTs that
  // reach it, at the time each device's timer was due (one simulator process
  // runs late under 500 TLS handshakes; independent cameras would not).
  const pj = peakPerS(jitter.rec.connectsDue);
  const pf = peakPerS(fixed.rec.connectsDue);
  const ratio = pf / Math.max(pj, 1e-9);
  const attempts = peakPerS(fixed.rec.scheduled) / Math.max(peakPerS(jitter.rec.scheduled), 1e-9);
  const executed = peakPerS(fixed.rec.connects) / Math.max(peakPerS(jitter.rec.connects), 1e-9);
  say(
    `peak CONNECTs/s reaching the broker (by due time): jitter ${pj}, fixed ${pf}: ratio ${ratio.toFixed(1)}× (goal ≥ 10×: ${ratio >= 10 ? 'met' : 'NOT met'}); ` +
      `all attempts incl. refused: ${attempts.toFixed(1)}×; as executed in this process: ${executed.toFixed(1)}×`,
  );
  say(`fleet-sim finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
} finally {
  for (const fn of cleanups.reverse()) await fn();
  await rm(dir, { recursive: true, force: true });
}
