import t from 'tap';
import { AlarmRateLimit } from '../../../src/alarm/alarm-rate-limit.js';
import { CHUNK_HEADER_BYTES, joinChunks, parseChunkHeader, snapshotMessages } from '../../../src/alarm/snapshot-chunks.js';
import { alarmEventData } from '../../../src/alarm/alarm-payloads.js';
import { frameChangeScore } from '../../../src/alarm/frame-change.js';
import { checkJson } from '../../../src/cloud/json-check.js';
import { alarmEventDataSchema } from '../../../src/cloud/payload-schemas.js';

t.test('the rate limit lets maxPerMinute alarms through in any rolling minute and counts the rest', async (t) => {
  const l = new AlarmRateLimit(() => 3);
  t.same([0, 1000, 2000, 3000].map((ms) => l.take(ms)), [true, true, true, false]);
  t.equal(l.suppressed, 1);
  t.equal(l.take(59_999), false, 'still inside the minute of the first');
  t.equal(l.take(60_000), true, 'the first one has left the window');
  t.equal(l.take(60_500), false);
});

t.test('a JPEG that fits is one bare message; a larger one is headed chunks that reassemble', async (t) => {
  const small = Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]);
  const one = snapshotMessages(small, 1024);
  t.equal(one.length, 1);
  t.same(one[0], small, 'bare bytes, no header');
  t.equal(parseChunkHeader(one[0]!), null, 'a bare JPEG has no chunk header');
  const big = Buffer.alloc(10_000, 7);
  big[0] = 0xff;
  const parts = snapshotMessages(big, 4096);
  t.equal(parts.length, Math.ceil(10_000 / (4096 - CHUNK_HEADER_BYTES)));
  t.ok(parts.every((p) => p.length <= 4096), 'every chunk within the limit');
  t.match(parseChunkHeader(parts[1]!), { index: 1, count: parts.length, total: 10_000 });
  t.same(joinChunks([...parts].reverse().concat(parts[0]!)), big, 'any order, duplicates tolerated');
  t.equal(joinChunks(parts.slice(1)), null, 'incomplete');
  const bad = Buffer.from(parts[0]!);
  bad[CHUNK_HEADER_BYTES] = bad[CHUNK_HEADER_BYTES]! ^ 1;
  t.equal(joinChunks([bad, ...parts.slice(1)]), null, 'hash mismatch refused');
});

t.test('the alarm event carries references, never image bytes, and matches its schema', async (t) => {
  const base = { alarmId: 'a'.repeat(32), kind: 'motion' as const, at: 1_700_000_000_000, score: 3.14159, zones: ['door'], snapshotTopic: (id: string) => `cam/X/snapshot/${id}` };
  const mqtt = alarmEventData({ ...base, snapshots: true, delivery: 'mqtt' });
  t.same(mqtt.snapshot, { state: 'pending', delivery: 'mqtt', topic: `cam/X/snapshot/${'a'.repeat(32)}` });
  t.same(mqtt.thumbnail.topic, `cam/X/snapshot/${'a'.repeat(32)}/thumb`);
  t.equal(mqtt.score, 3.14);
  const https = alarmEventData({ ...base, snapshots: true, delivery: 'https' });
  t.same(https.snapshot, { state: 'pending', delivery: 'https' });
  const off = alarmEventData({ ...base, snapshots: false, delivery: 'mqtt' });
  t.same([off.snapshot, off.thumbnail], [{ state: 'off' }, { state: 'off' }], 'snapshots off: not even a topic');
  for (const d of [mqtt, https, off]) t.same(checkJson(alarmEventDataSchema, d), [], 'valid against event-data.alarm.json');
  t.ok(Buffer.byteLength(JSON.stringify(mqtt)) < 1024, 'far below 128 KB');
});

t.test('the ring score ranks frames by how much changed', async (t) => {
  const a = new Uint8Array(64 * 64).fill(50);
  const b = new Uint8Array(a);
  for (let i = 0; i < 64 * 32; i++) b[i] = 200;
  t.equal(frameChangeScore(null, a, 64, 64), 0);
  t.equal(frameChangeScore(a, a, 64, 64), 0);
  t.equal(frameChangeScore(a, b, 64, 64), 50);
});
