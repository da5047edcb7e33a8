import fc from 'fast-check';
import { readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { checkJson } from '../../../src/cloud/json-check.js';
import { Outbox, wire } from '../../../src/cloud/outbox.js';
import { configReportedSchema, OP_NAMES, responseSchema } from '../../../src/cloud/payload-schemas.js';
import { parseRequest } from '../../../src/cloud/protocol.js';
import { decodeRecords, encodeRecord, type RecordKind } from '../../../src/cloud/record-framing.js';
import { checkPublish, checkTopic, topicScheme } from '../../../src/cloud/topics.js';
import { ManualClock } from '../../../src/core/clock.js';
import { settings } from '../../../src/config/schema.js';
import { setPath } from '../../../src/config/paths.js';
import { tempDir } from '../../helpers/tmp.js';
import { ACCEPTED, expect, fuzzTarget, rejected } from '../lib/fuzz-harness.js';
import { startCloudRig, DEVICE_ID } from '../lib/fuzz-cloud.js';
import { CLOUD_CODES, CONFIG_FIELD_CODES, REQUEST_CODES } from '../lib/fuzz-codes.js';
import { hostileBytes, hostileJsonValue, hostileString, JSON_TRAPS, mutatedObject, rawJson, rawNumber, TOPIC_TRAPS } from '../lib/fuzz-corpus.js';

/**
 * Fuzzing what arrives from the cloud over MQTT: request payloads on
 * cam/{id}/request/{op} through the real RequestHandler and op table,
 * the retained config/desired document through ConfigSync + LiveConfig,
 * incoming topic names, and the outbox journal read back from flash after
 * corruption (record framing and Outbox.open()).
 */
const SHORT = 400;

/** A configuration patch of real keys with values their rules accept (defaults, or another allowed enum value). */
const changeable = settings().filter(([, s]) => !s.bootOnly);
const validPatch = (): fc.Arbitrary<Record<string, unknown>> =>
  fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 4 }).map((picks) => {
    const patch: Record<string, unknown> = {};
    for (const [i, j] of picks) {
      const [path, s] = changeable[i % changeable.length]!;
      const value = Array.isArray(s.format) ? s.format[j % s.format.length] : s.default;
      setPath(patch, path, structuredClone(value));
    }
    return patch;
  });

/** Valid args per op, for the ops whose valid args are easy to state; the rest get `{}` or a mutation. */
const validArgs: Partial<Record<string, fc.Arbitrary<Record<string, unknown>>>> = {
  ping: fc.constant({}),
  info: fc.constant({}),
  'config.get': fc.record({ keys: fc.array(fc.constantFrom(...changeable.map(([p]) => p)), { maxLength: 5 }) }, { requiredKeys: [] }),
  'config.set': validPatch().map((patch) => ({ patch })),
  reboot: fc.record({ delayMs: fc.integer({ min: 0, max: 60_000 }), reason: fc.string({ maxLength: 128 }) }, { requiredKeys: [] }),
  unbind: fc.record({ reason: fc.string({ maxLength: 128 }) }, { requiredKeys: [] }),
  snapshot: fc.constant({}),
  'talkback.stop': fc.record({ sessionId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/) }),
  'logs.upload': fc.record({ url: fc.webUrl({ validSchemes: ['https'] }).filter((u) => u.length <= 2048), maxLines: fc.integer({ min: 1, max: 100_000 }) }, { requiredKeys: [] }),
};
const EASY_OPS = Object.keys(validArgs);

interface RequestCase {
  op: string;
  payload: Buffer;
  responseTopic?: string;
  /** A valid request: must be answered `ok`. */
  valid?: boolean;
  /** The transaction to echo, when the payload has a readable one. */
}

const validRequest = (): fc.Arbitrary<RequestCase> =>
  fc.constantFrom(...EASY_OPS).chain((op) =>
    fc.tuple(validArgs[op]!, fc.boolean(), fc.option(fc.integer({ min: 1, max: 86_400_000 }), { nil: undefined })).map(([args, withOp, ttlMs]) => ({
      op,
      valid: true,
      payload: Buffer.from(JSON.stringify({ transaction: 'VALID', ts: 0, ...(withOp ? { op } : {}), ...(ttlMs !== undefined ? { ttlMs } : {}), args })),
    })),
  );

const mutatedRequest = (): fc.Arbitrary<RequestCase> =>
  fc
    .tuple(
      fc.oneof(fc.constantFrom(...OP_NAMES), fc.constantFrom(...TOPIC_TRAPS, 'unknown', 'Ping', 'ping ', 'config.set/x', '__proto__', 'constructor'), hostileString(20)),
      mutatedObject(
        fc.record({
          transaction: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
          ts: fc.constant(Date.UTC(2026, 0, 1)),
          args: fc.oneof(fc.constant({}), validPatch().map((patch) => ({ patch })), fc.record({ delayMs: fc.integer(), reason: hostileString() })),
        }),
        (key) => (key === 'ts' ? fc.oneof(hostileJsonValue(), rawNumber()) : key === 'args' ? mutatedObject(fc.constant({ patch: {}, keys: ['a'] })) : hostileJsonValue()),
      ),
      fc.option(fc.oneof(fc.constantFrom(...TOPIC_TRAPS), hostileString(40), fc.constant('reply/here')), { nil: undefined }),
    )
    .map(([op, body, responseTopic]) => ({ op, payload: Buffer.from(rawJson(body)), ...(responseTopic !== undefined ? { responseTopic } : {}) }));

const rawRequestCase = (): fc.Arbitrary<RequestCase> =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...OP_NAMES), fc.constantFrom(...JSON_TRAPS)).map(([op, text]) => ({ op, payload: Buffer.from(text) })),
    fc.tuple(fc.constantFrom(...OP_NAMES), hostileBytes(300)).map(([op, bytes]) => ({ op, payload: Buffer.from(bytes) })),
    // Over the 128 KiB publish limit (answered payload_too_large) and over the 256 KiB scan limit (dropped unread).
    fc.constantFrom(130 * 1024, 300 * 1024).map((n) => ({ op: 'ping', payload: Buffer.from(JSON.stringify({ transaction: 'big', ts: 0, args: { x: 'A'.repeat(n) } })) })),
  );

t.test('MQTT requests through the real request handler: one schema-valid answer or a coded refusal, handlers see only valid args', async (t) => {
  const rig = await startCloudRig(t);
  let n = 0;
  await fuzzTarget(
    t,
    'mqtt-request',
    fc.oneof({ weight: 2, arbitrary: validRequest() }, { weight: 4, arbitrary: mutatedRequest() }, { weight: 1, arbitrary: rawRequestCase() }),
    async (c) => {
      let payload = c.payload;
      if (c.valid) {
        // A fresh transaction and the current time, so de-duplication and expiry never apply to a valid case.
        const doc = JSON.parse(payload.toString()) as Record<string, unknown>;
        payload = Buffer.from(JSON.stringify({ ...doc, transaction: `valid-${++n}`, ts: rig.clock.now() }));
      }
      const linesBefore = rig.lines.length;
      const out = await rig.handler.handle({ op: c.op, payload, ...(c.responseTopic !== undefined ? { responseTopic: c.responseTopic } : {}) });
      const logged = rig.lines.slice(linesBefore);
      expect(!logged.some((l) => l.kind === 'internal' || String(l.kind).startsWith('handler:')), `a handler threw: ${JSON.stringify(logged)}`);
      expect(rig.leaked.length === 0, `a stand-in received args its schema refuses: ${JSON.stringify(rig.leaked[0])}`);
      const parsed = parseRequest(payload, c.op);
      if (out === null) {
        // Silence only when there is no transaction to answer.
        expect(!parsed.ok && parsed.transaction === undefined, 'no answer although the request had a transaction');
        return rejected(parsed.ok ? 'internal_error' : parsed.error.code);
      }
      expect(checkPublish(out.topic, out.payload.byteLength, out.qos) === null, `answer on an unusable topic ${JSON.stringify(out.topic)}`);
      const body = JSON.parse(out.payload.toString()) as { status: string; transaction: string; error?: { code: string } };
      expect(checkJson(responseSchema, body).length === 0, `answer does not match response.json: ${JSON.stringify(checkJson(responseSchema, body))}`);
      if (parsed.ok) expect(body.transaction === parsed.request.transaction, 'transaction not echoed');
      if (c.valid) expect(body.status === 'ok', `a valid ${c.op} request was refused: ${JSON.stringify(body.error)}`);
      return body.status === 'ok' ? ACCEPTED : rejected(body.error!.code);
    },
    { shortRuns: SHORT, codes: REQUEST_CODES, ceilingMs: 5000 },
  );
  t.ok(rig.standInCalls > 0, 'valid requests reached the stand-in ops');
});

t.test('config/desired documents: applied all or nothing or rejected per field with a documented code', async (t) => {
  const rig = await startCloudRig(t);
  const doc = fc.oneof(
    { weight: 2, arbitrary: fc.tuple(fc.nat(), validPatch()).map(([version, config]) => ({ text: JSON.stringify({ version, config }), valid: true })) },
    {
      weight: 3,
      arbitrary: mutatedObject(fc.record({ version: fc.nat(), config: validPatch() }), (key) => (key === 'config' ? mutatedObject(validPatch()) : fc.oneof(hostileJsonValue(), rawNumber()))).map((d) => ({
        text: rawJson(d),
        valid: false,
      })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...JSON_TRAPS).map((text) => ({ text, valid: false })) },
    { weight: 1, arbitrary: hostileBytes(200).map((b) => ({ text: Buffer.from(b).toString('latin1'), valid: false })) },
  );
  let version = 1_000_000;
  await fuzzTarget(
    t,
    'config-desired',
    doc,
    async ({ text, valid }) => {
      let payload = Buffer.from(text, 'latin1');
      if (valid) {
        // Versions only go up, so a valid document is never "stale".
        const d = JSON.parse(text) as { config: unknown };
        payload = Buffer.from(JSON.stringify({ version: ++version, config: d.config }));
      }
      const report = await rig.sync.handleDesired(payload);
      if (report === null) return ACCEPTED; // empty, stale or already processed
      expect(checkJson(configReportedSchema, report).length === 0, `config/reported does not match its schema: ${JSON.stringify(checkJson(configReportedSchema, report)[0])}`);
      if (valid) expect(report.status === 'applied', `a valid document was rejected: ${JSON.stringify(report.rejected[0])}`);
      if (report.status === 'applied') return ACCEPTED;
      expect(report.rejected.length > 0, 'rejected without a field');
      for (const r of report.rejected.slice(1)) expect(CONFIG_FIELD_CODES.has(r.code), `field code ${r.code} not documented`);
      return rejected(report.rejected[0]!.code);
    },
    { shortRuns: SHORT, codes: CONFIG_FIELD_CODES, ceilingMs: 5000 },
  );
});

t.test('incoming and outgoing topic names: ours parse back, others are refused with a code', async (t) => {
  const s = topicScheme({ deviceId: DEVICE_ID });
  if (!s.ok) throw new Error(s.error.message);
  const scheme = s.value;
  const level = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
  const topic = fc.oneof(
    level.map((op) => ({ topic: scheme.request(op), op })),
    fc.constantFrom(scheme.configDesired, scheme.haStatus, scheme.talkbackDown).map((topic) => ({ topic, op: undefined })),
    fc.tuple(fc.constantFrom('cam/CAM1/', 'cam/CAM2/', 'cam/', '', '$aws/rules/r/', 'cam/CAM1/request/'), hostileString(), fc.constantFrom(...TOPIC_TRAPS)).map(([a, b, c]) => ({ topic: a + b + c, op: undefined })),
    hostileString(300).map((topic) => ({ topic, op: undefined })),
  );
  await fuzzTarget(
    t,
    'mqtt-topics',
    topic,
    ({ topic, op }) => {
      const r = scheme.parseIncoming(topic);
      if (op !== undefined) expect(r.ok && r.value.kind === 'request' && r.value.op === op, `our own request topic ${topic} did not parse back`);
      const publish = checkTopic(topic);
      if (publish) expect(CLOUD_CODES.has(publish.code), `checkTopic code ${publish.code} undocumented`);
      else expect(!/[+#\u0000]/.test(topic) && topic.length > 0, 'a wildcard topic passed checkTopic');
      if (r.ok) {
        // A request topic for another device never parses as ours.
        expect(topic.startsWith('cam/CAM1/') || topic === scheme.haStatus, `foreign topic ${topic} accepted`);
        return ACCEPTED;
      }
      return rejected(r.error.code);
    },
    { shortRuns: SHORT, codes: new Set(['foreign_device', 'unknown_topic']) },
  );
});

const KINDS: readonly RecordKind[] = ['E', 'A', 'D'];
const record = fc.tuple(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 64 })).map(([kind, body]) => ({ kind, body: Buffer.from(body) }));

t.test('outbox journal framing: any bytes decode to a prefix of whole records, never a throw', async (t) => {
  const input = fc.oneof(
    fc.array(record, { maxLength: 8 }).map((records) => ({ records, bytes: Buffer.concat(records.map((r) => encodeRecord(r.kind, r.body))), edit: null as null | string })),
    fc.tuple(fc.array(record, { minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'truncate', 'append')).map(([records, at, x, edit]) => {
      const good = Buffer.concat(records.map((r) => encodeRecord(r.kind, r.body)));
      const i = at % good.length;
      const bytes = edit === 'flip' ? Buffer.from(good.map((b, j) => (j === i ? b ^ x : b))) : edit === 'truncate' ? good.subarray(0, i) : Buffer.concat([good, Buffer.from([x, at & 255, 0, 0, 1])]);
      return { records, bytes, edit };
    }),
    hostileBytes(512).map((b) => ({ records: null, bytes: Buffer.from(b), edit: 'random' })),
  );
  await fuzzTarget(
    t,
    'record-framing',
    input,
    ({ records, bytes, edit }) => {
      const r = decodeRecords(bytes);
      expect(r.goodBytes + r.badBytes === bytes.length, 'good + bad bytes ≠ length');
      expect(Buffer.concat(r.records.map((x) => encodeRecord(x.kind, x.body))).equals(bytes.subarray(0, r.goodBytes)), 'decoded records do not re-encode to the good bytes');
      if (records) {
        // Corruption only ever costs the damaged record and what follows it.
        expect(r.records.length <= records.length || edit === 'append', 'more records than were written');
        r.records.slice(0, records.length).forEach((x, i) => expect(x.kind === records[i]!.kind && x.body.equals(records[i]!.body), `record ${i} changed`));
        if (edit === null) expect(r.records.length === records.length && r.badBytes === 0, 'a clean journal lost records');
      }
      return r.badBytes === 0 ? ACCEPTED : rejected('torn_tail');
    },
    { shortRuns: SHORT, codes: new Set(['torn_tail']) },
  );
});

t.test('outbox replay of a corrupted journal: opens, keeps the intact events, yields only well-formed ones', async (t) => {
  const root = await tempDir(t, 'fuzz-outbox-');
  const s = topicScheme({ deviceId: DEVICE_ID });
  if (!s.ok) throw new Error(s.error.message);
  const scheme = s.value;
  const logger = pino({ level: 'silent' });
  const clock = new ManualClock();
  const event = fc.record({
    id: fc.stringMatching(/^[0-9a-f]{32}$/),
    type: fc.constantFrom('alarm', 'snapshot', 'ota'),
    ts: fc.constant(clock.now()),
    priority: fc.constantFrom('high', 'low'),
    data: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  });
  const body = fc.oneof(
    { weight: 4, arbitrary: event.map((e) => ({ kind: 'E' as const, body: JSON.stringify(e), good: e })) },
    // A record whose CRC is right but whose body is not an event: a writer bug or a collision, not a torn write.
    { weight: 1, arbitrary: fc.oneof(mutatedObject(event), hostileJsonValue()).map((v) => ({ kind: 'E' as const, body: rawJson(v), good: null })) },
    { weight: 1, arbitrary: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), hostileString(40)).map((id) => ({ kind: fc.sample(fc.constantFrom('A' as const, 'D' as const), 1)[0]!, body: id, good: null })) },
  );
  const journal = fc.tuple(fc.array(body, { maxLength: 6 }), fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean()))).map(([recs, damage]) => {
    let bytes = Buffer.concat(recs.map((r) => encodeRecord(r.kind, Buffer.from(r.body, 'utf8'))));
    if (damage && bytes.length) {
      const [at, x, cut] = damage;
      bytes = cut ? bytes.subarray(0, at % bytes.length) : Buffer.from(bytes.map((b, j) => (j === at % bytes.length ? b ^ x : b)));
    }
    return { recs, bytes };
  });
  let n = 0;
  await fuzzTarget(
    t,
    'outbox-replay',
    journal,
    async ({ bytes }) => {
      const dir = join(root, String(++n));
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'seg-0000000001.log'), bytes);
      const outbox = new Outbox({ dir, clock, logger });
      try {
        await outbox.open();
        for (const e of outbox.peek(100)) {
          // What the drain needs to publish it: an id to de-duplicate and acknowledge by, a type that makes a topic, a priority, a data object.
          const w = wire(e) as unknown as Record<string, unknown>;
          const publishable =
            typeof w.id === 'string' &&
            w.id !== '' &&
            typeof w.type === 'string' &&
            checkPublish(scheme.event(w.type), e.size, 1) === null &&
            typeof w.ts === 'number' &&
            Number.isFinite(w.ts) &&
            (w.priority === 'high' || w.priority === 'low') &&
            typeof w.data === 'object' &&
            w.data !== null &&
            !Array.isArray(w.data);
          expect(publishable, `replay yielded an event that cannot be published: ${JSON.stringify(w).slice(0, 200)}`);
        }
        // Still writable after replay: a new event goes in and comes out.
        const added = await outbox.add({ type: 'alarm', priority: 'high', data: { n } });
        expect(added.ok && outbox.has(added.value.id), 'the outbox does not take a new event after replay');
        return outbox.stats().corruptBytes > 0 ? rejected('corrupt_records') : ACCEPTED;
      } finally {
        await outbox.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
    { shortRuns: 200, codes: new Set(['corrupt_records']), ceilingMs: 5000 },
  );
  t.same(await readdir(root), [], 'every case cleaned up');
});
