/**
 * The link in a child process, driven line by line over stdin, so a test
 * can produce events in it, stop it cleanly or SIGKILL it, and start the
 * next "agent" on the same outbox directory. Argument: a JSON spec
 * {deviceId, config, tls: {ca, cert, key} as PEM strings, outboxDir}.
 *
 * stdin:  `produce N` | `stats` | `stop`
 * stdout: `READY <pending>` once the outbox is open, `ONLINE` / `OFFLINE` on
 *         link changes, `ID <id>` per event on flash, `PRODUCED <n>`,
 *         `STATS <pending> <dropped>`, `STOPPED` (then exits 0).
 */
import { createInterface } from 'node:readline';
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
const say = (line: string) => process.stdout.write(`${line}\n`);
link.on('online', () => say('ONLINE'));
link.on('offline', () => say('OFFLINE'));
await link.start();
say(`READY ${link.outboxStats().count}`);
// The link's timers are unref'd (systemClock): stdin keeps the process alive.

let seq = 0;
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  if (cmd === 'produce') {
    const n = Number(arg);
    // Batches of 25 in parallel: the outbox group-commits them with one fdatasync, as a burst of alarms would be.
    for (let done = 0; done < n; done += 25) {
      const batch = Array.from({ length: Math.min(25, n - done) }, () => link.publishEvent('motion', { seq: seq++, pid: process.pid }));
      for (const r of await Promise.all(batch)) {
        if (!r.ok) throw new Error(`publishEvent failed: ${r.error.code}`);
        say(`ID ${r.value.id}`);
      }
    }
    say(`PRODUCED ${n}`);
  } else if (cmd === 'stats') {
    const s = link.outboxStats();
    say(`STATS ${s.count} ${s.dropped.total}`);
  } else if (cmd === 'stop') {
    await link.stop();
    say('STOPPED');
    process.exit(0);
  }
}
