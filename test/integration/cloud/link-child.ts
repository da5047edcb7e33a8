/**
 * The link in a child process, so a test can SIGKILL it like a crashing
 * agent (no DISCONNECT, socket torn down by the kernel). Argument: a JSON
 * spec {deviceId, config, tls: {ca, cert, key} as PEM strings, outboxDir}.
 * Prints ONLINE when connected.
 */
import pino from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import { MqttLink } from '../../../src/cloud/mqtt-link.js';
import { INFO } from './link-rig.js';

const spec = JSON.parse(process.argv[2]!);
const link = new MqttLink({
  deviceId: spec.deviceId,
  config: spec.config,
  tls: { ca: Buffer.from(spec.tls.ca), cert: Buffer.from(spec.tls.cert), key: Buffer.from(spec.tls.key) },
  outboxDir: spec.outboxDir,
  handlers: {},
  deviceInfo: () => INFO,
  clock: systemClock,
  logger: pino({ level: 'warn' }, pino.destination(2)),
});
link.on('online', () => process.stdout.write('ONLINE\n'));
await link.start();
// Keep the process alive: the link's timers are unref'd (systemClock).
setInterval(() => undefined, 60_000);
