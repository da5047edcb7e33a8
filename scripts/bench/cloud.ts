// Benchmark (issue 4): event publish → PUBACK latency over TLS on loopback against a real Mosquitto
// (goal p95 ≤ 5 ms), and outbox drain throughput for 5,000 events queued while offline, with the
// production rate limit (80 msg/s, 360 KB/s) and with the limit raised (raw drain speed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { systemClock } from '../../src/core/clock.js';
import { DEFAULT_CLOUD_CONFIG, type CloudConfig } from '../../src/cloud/cloud-config.js';
import { MqttLink } from '../../src/cloud/mqtt-link.js';
import { startBroker, type TestBroker } from '../../test/helpers/mosquitto.js';
import { median, percentile, report } from './report.js';

const LATENCY_EVENTS = 1_000;
const DRAIN_EVENTS = 5_000;

/** Resolves on the first turn of the event loop where `pred` holds: sub-millisecond, no timer granularity. */
function until(pred: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pred()) resolve();
      else if (performance.now() - started > timeoutMs) reject(new Error('bench: timed out'));
      else setImmediate(check);
    };
    check();
  });
}

function makeLink(broker: TestBroker, dir: string, deviceId: string, id: { cert: Buffer; key: Buffer }, patch: Partial<CloudConfig>): MqttLink {
  return new MqttLink({
    deviceId,
    config: { ...DEFAULT_CLOUD_CONFIG, url: broker.url, backoff: { ...DEFAULT_CLOUD_CONFIG.backoff, startDelayMaxMs: 10 }, ...patch },
    tls: { ca: broker.pki.ca, cert: id.cert, key: id.key },
    outboxDir: join(dir, `outbox-${deviceId}`),
    handlers: {},
    deviceInfo: () => ({ model: 'BENCH', serial: deviceId, firmwareVersion: '1.0.0', agentVersion: '0.1.0', capabilities: [] }),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
}

const online = (link: MqttLink) => new Promise<void>((resolve) => (link.state === 'online' ? resolve() : void link.on('online', resolve)));
const eventData = (seq: number) => ({ seq, state: 'start', zone: 'front door', score: 0.87 });

async function latency(broker: TestBroker, dir: string): Promise<void> {
  const id = broker.pki.clientFast('BENCHLAT');
  // One at a time, so the rate limiter never holds an event back.
  const link = makeLink(broker, dir, 'BENCHLAT', id, { drain: { messagesPerSecond: 10_000, bytesPerSecond: 100_000_000, maxInflight: 20 } });
  await link.start();
  await online(link);
  const total: number[] = [];
  const wire: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS + 50; i++) {
    const t0 = performance.now();
    const r = await link.publishEvent('motion', eventData(i));
    if (!r.ok) throw new Error(r.error.message);
    const onFlash = performance.now();
    await until(() => link.outboxStats().count === 0);
    const acked = performance.now();
    if (i < 50) continue; // warm-up
    total.push(acked - t0);
    wire.push(acked - onFlash);
  }
  await link.stop();
  report('event on flash → PUBACK (MqttLink, TLS, Mosquitto)', percentile(wire, 95), 'ms p95', { p50: median(wire), max: Math.max(...wire), events: wire.length, goal: 'p95 ≤ 5 ms' });
  report('publishEvent() → PUBACK incl. outbox fdatasync', percentile(total, 95), 'ms p95', { p50: median(total), max: Math.max(...total) });

  // Reference: bare mqtt.js on the same TLS connection type (no outbox, no drain).
  const raw = await mqtt.connectAsync(broker.url, { ca: broker.pki.ca, cert: id.cert, key: id.key, protocolVersion: 5, reconnectPeriod: 0, clientId: 'BENCHLAT' });
  const bare: number[] = [];
  for (let i = 0; i < LATENCY_EVENTS + 50; i++) {
    const t0 = performance.now();
    await raw.publishAsync('cam/BENCHLAT/event/motion', JSON.stringify(eventData(i)), { qos: 1 });
    if (i >= 50) bare.push(performance.now() - t0);
  }
  await raw.endAsync();
  report('reference: bare mqtt.js QoS 1 publish → PUBACK', percentile(bare, 95), 'ms p95', { p50: median(bare) });
}

async function drain(broker: TestBroker, dir: string, label: string, deviceId: string, limits: CloudConfig['drain']): Promise<void> {
  const link = makeLink(broker, dir, deviceId, broker.pki.clientFast(deviceId), {
    drain: limits,
    outbox: { maxCount: DRAIN_EVENTS + 100, maxBytes: 16 * 1024 * 1024, maxAgeH: 24 },
  });
  // Queue while the broker is away, as after an outage.
  await broker.stop();
  await link.start();
  let bytes = 0;
  for (let i = 0; i < DRAIN_EVENTS; i += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, (_, k) => link.publishEvent('motion', eventData(i + k))));
    for (const r of batch) {
      if (!r.ok) throw new Error(r.error.message);
      bytes += r.value.size;
    }
  }
  await broker.start();
  await online(link);
  const t0 = performance.now();
  await until(() => link.outboxStats().count === 0, 180_000);
  const s = (performance.now() - t0) / 1000;
  await link.stop();
  report(`outbox drain, ${label}`, DRAIN_EVENTS / s, 'events/s', { 'KB/s': bytes / 1024 / s, events: DRAIN_EVENTS, 'avg bytes': bytes / DRAIN_EVENTS, seconds: s });
}

export async function benchCloud(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cloud-'));
  const cleanups: Array<() => unknown> = [];
  try {
    const broker = await startBroker({ teardown: (fn) => cleanups.push(fn) }, dir);
    await latency(broker, dir);
    await drain(broker, dir, 'limit raised (raw)', 'BENCHRAW', { messagesPerSecond: 100_000, bytesPerSecond: 1_000_000_000, maxInflight: DEFAULT_CLOUD_CONFIG.drain.maxInflight });
    await drain(broker, dir, `production limit (${DEFAULT_CLOUD_CONFIG.drain.messagesPerSecond} msg/s)`, 'BENCHCAP', DEFAULT_CLOUD_CONFIG.drain);
  } finally {
    for (const fn of cleanups.reverse()) await fn();
    await rm(dir, { recursive: true, force: true });
  }
}

// `node --import tsx scripts/bench/cloud.ts` runs it alone.
if (import.meta.url === `file://${process.argv[1]}`) await benchCloud();
