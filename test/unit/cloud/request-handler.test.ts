import pino from 'pino';
import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { RequestHandler } from '../../../src/cloud/request-handler.js';
import { pingHandler } from '../../../src/cloud/ops.js';
import { topicScheme } from '../../../src/cloud/topics.js';
import { checkJson } from '../../../src/cloud/json-check.js';
import { responseSchema } from '../../../src/cloud/payload-schemas.js';

function rig() {
  const clock = new ManualClock();
  const lines: any[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const scheme = topicScheme({ deviceId: 'CAM1' });
  if (!scheme.ok) throw new Error();
  let reboots = 0;
  let release: () => void = () => undefined;
  const h = new RequestHandler({
    scheme: scheme.value,
    clock,
    logger,
    defaultTtlMs: 300_000,
    dedupeCapacity: 3,
    dedupeWindowMs: 60_000,
    handlers: {
      ping: pingHandler(clock),
      reboot: async () => {
        reboots++;
        await new Promise<void>((r) => (release = r));
        return { ok: true, data: { n: reboots } };
      },
      unbind: () => {
        throw new Error('boom');
      },
    },
  });
  const send = (op: string, body: unknown, extra: object = {}) =>
    h.handle({ op, payload: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), ...extra });
  return { clock, lines, h, send, reboots: () => reboots, release: () => release() };
}

const body = (out: { payload: Buffer } | null) => JSON.parse(out!.payload.toString());

t.test('responses follow the envelope and the schema', async (t) => {
  const r = rig();
  const out = await r.send('ping', { transaction: 't1', ts: r.clock.now() });
  t.equal(out!.topic, 'cam/CAM1/response/ping');
  t.equal(out!.qos, 1);
  t.match(body(out), { transaction: 't1', op: 'ping', status: 'ok', data: { pong: true } });
  t.same(checkJson(responseSchema, body(out)), []);
  const err = await r.send('nope', { transaction: 't2', ts: r.clock.now() });
  t.same(checkJson(responseSchema, body(err)), []);
  t.equal(body(err).error.code, 'unknown_op');
});

t.test('a duplicate arriving while the first runs waits for it and is not executed again', async (t) => {
  const r = rig();
  const req = { transaction: 'r1', ts: r.clock.now() };
  const a = r.send('reboot', req);
  const b = r.send('reboot', req);
  await new Promise((res) => setImmediate(res));
  r.release();
  const [x, y] = await Promise.all([a, b]);
  t.equal(r.reboots(), 1);
  t.same(body(x), body(y));
  t.same(body(await r.send('reboot', req)), body(x), 'and later copies too');
});

t.test('de-duplication is bounded by count and by time', async (t) => {
  const r = rig();
  const run = async (tx: string) => {
    const p = r.send('reboot', { transaction: tx, ts: r.clock.now() });
    await new Promise((res) => setImmediate(res));
    r.release();
    return p;
  };
  await run('a');
  await run('b');
  await run('c');
  await run('d'); // evicts 'a' (capacity 3)
  t.equal(r.reboots(), 4);
  await run('a');
  t.equal(r.reboots(), 5, 'an evicted transaction runs again');
  r.clock.advance(61_000);
  await run('d');
  t.equal(r.reboots(), 6, 'after the window, too');
});

t.test('TTL: default and explicit', async (t) => {
  const r = rig();
  const now = r.clock.now();
  t.equal(body(await r.send('ping', { transaction: 'x1', ts: now - 301_000 })).error.code, 'request_expired');
  t.equal(body(await r.send('ping', { transaction: 'x2', ts: now - 5_000, ttlMs: 1_000 })).error.code, 'request_expired');
  t.equal(body(await r.send('ping', { transaction: 'x3', ts: now - 5_000, ttlMs: 10_000 })).status, 'ok');
});

t.test('bad input never throws; without a transaction it is logged once per minute and dropped', async (t) => {
  const r = rig();
  for (let i = 0; i < 50; i++) t.equal(await r.send('ping', '{garbage'), null);
  t.equal(await r.send('ping', Buffer.alloc(300 * 1024).toString()), null);
  t.equal(await r.send('ping', '{"transaction": 5}'), null);
  const invalidJson = r.lines.filter((l) => l.kind === 'invalid_json');
  t.equal(invalidJson.length, 1, 'one line for 50 bad messages');
  r.clock.advance(60_000);
  await r.send('ping', 'nope');
  const again = r.lines.filter((l) => l.kind === 'invalid_json');
  t.equal(again.length, 2);
  t.equal(again[1].suppressed, 49, 'the next line says how many were suppressed');
  t.equal(body(await r.send('unbind', { transaction: 'u1', ts: r.clock.now() })).error.code, 'internal_error', 'a throwing handler');
  t.equal(body(await r.send('logs.upload', { transaction: 'l1', ts: r.clock.now() })).error.code, 'not_supported');
  t.equal(body(await r.send('logs.upload', { transaction: 'l2', ts: r.clock.now(), args: { url: 'http://x' } })).error.code, 'invalid_args');
  t.equal(body(await r.send('ping', { transaction: 'p', ts: r.clock.now(), args: [] })).error.code, 'invalid_request');
  t.equal(body(await r.send('a+b', { transaction: 'w', ts: r.clock.now() })).op, 'unknown', 'an unusable op level answers on response/unknown');
});

t.test('MQTT 5 response topic and correlation data', async (t) => {
  const r = rig();
  const out = await r.send('ping', { transaction: 'c1', ts: r.clock.now() }, { responseTopic: 'cam/CAM1/reply/x', correlationData: Buffer.from('k') });
  t.equal(out!.topic, 'cam/CAM1/reply/x');
  t.equal(out!.correlationData?.toString(), 'k');
  const bad = await r.send('ping', { transaction: 'c2', ts: r.clock.now() }, { responseTopic: 'cam/#' });
  t.equal(bad!.topic, 'cam/CAM1/response/ping', 'a wildcard response topic is ignored');
});
