import { appendFile, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { Outbox, type OutboxLimits } from '../../../src/cloud/outbox.js';
import { decodeRecords, encodeRecord } from '../../../src/cloud/record-framing.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });

async function openOutbox(dir: string, clock = new ManualClock(), limits: Partial<OutboxLimits> = {}) {
  const o = new Outbox({ dir, clock, logger, limits, ackFlushMs: 10 });
  await o.open();
  return o;
}

t.test('record framing: round trip, and a torn tail is detected by length or CRC', async (t) => {
  const a = encodeRecord('E', Buffer.from('{"id":"a"}'));
  const b = encodeRecord('A', Buffer.from('a'));
  const whole = Buffer.concat([a, b]);
  const d = decodeRecords(whole);
  t.same(d.records.map((r) => [r.kind, r.body.toString()]), [['E', '{"id":"a"}'], ['A', 'a']]);
  t.equal(d.badBytes, 0);
  for (let cut = 1; cut < b.length; cut++) {
    const torn = decodeRecords(whole.subarray(0, a.length + cut));
    if (torn.records.length !== 1 || torn.goodBytes !== a.length) t.fail(`cut at ${cut}`);
  }
  const flipped = Buffer.from(whole);
  flipped[a.length + 9] = flipped[a.length + 9]! ^ 0xff;
  t.equal(decodeRecords(flipped).records.length, 1, 'a flipped bit fails the CRC');
});

t.test('events survive a restart; acknowledged ones do not come back', async (t) => {
  const dir = await tempDir(t, 'outbox-');
  const clock = new ManualClock();
  const o = await openOutbox(dir, clock);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await o.add({ type: 'motion', priority: 'low', data: { i } });
    if (!r.ok) throw new Error(r.error.message);
    ids.push(r.value.id);
  }
  t.match(ids[0], /^[0-9a-f]{32}$/);
  o.ack(ids[0]!);
  o.ack(ids[2]!);
  await o.close();
  const again = await openOutbox(dir, clock);
  t.same(again.peek(10).map((e) => e.id), [ids[1], ids[3], ids[4]], 'pending, in order');
  t.same(again.peek(10, new Set([ids[1]!])).map((e) => e.id), [ids[3], ids[4]], 'skips in-flight ids');
  await again.close();
});

t.test('a torn record at the end (killed mid-write) is dropped and appending continues', async (t) => {
  const dir = await tempDir(t, 'outbox-');
  const o = await openOutbox(dir);
  const kept = await o.add({ type: 'motion', priority: 'high', data: {} });
  await o.add({ type: 'motion', priority: 'high', data: { x: 'y'.repeat(100) } });
  await o.close();
  const seg = join(dir, (await readdir(dir)).find((n) => n.startsWith('seg-'))!);
  await truncate(seg, (await stat(seg)).size - 7);
  const again = await openOutbox(dir);
  t.same(again.peek(10).map((e) => e.id), [kept.ok && kept.value.id]);
  const third = await again.add({ type: 'motion', priority: 'high', data: {} });
  await again.close();
  const last = await openOutbox(dir);
  t.same(last.peek(10).map((e) => e.id), [kept.ok && kept.value.id, third.ok && third.value.id], 'the record after the cut is readable');
  await last.close();
  // Garbage appended (a torn write of a huge length) is also cut.
  await appendFile(seg, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]));
  const fourth = await openOutbox(dir);
  t.equal(fourth.stats().count, 2);
  await fourth.close();
});

t.test('drop policy: oldest low-priority first; alarms only when no low one is left', async (t) => {
  const dir = await tempDir(t, 'outbox-');
  const clock = new ManualClock();
  const o = await openOutbox(dir, clock, { maxCount: 3 });
  const add = async (priority: 'high' | 'low', n: number) => {
    clock.advance(1);
    const r = await o.add({ type: 'ev', priority, data: { n } });
    return r.ok ? r.value.id : r.error.code;
  };
  const h1 = await add('high', 1);
  const l1 = await add('low', 2);
  const l2 = await add('low', 3);
  const h2 = await add('high', 4);
  t.same(o.peek(10).map((e) => e.id), [h1, l2, h2], 'the oldest low went');
  const h3 = await add('high', 5);
  t.same(o.peek(10).map((e) => e.id), [h1, h2, h3], 'then the next low');
  t.equal(await add('low', 6), 'outbox_full', 'a low event never evicts an alarm');
  const h4 = await add('high', 7);
  t.same(o.peek(10).map((e) => e.id), [h2, h3, h4], 'with only alarms left, the oldest alarm goes');
  t.same(o.stats().dropped, { lowFull: 2, highFull: 1, expired: 0, refused: 1, total: 4 });
  t.not(l1, h1);
  await o.close();
});

t.test('bounded by bytes and by age', async (t) => {
  const dir = await tempDir(t, 'outbox-');
  const clock = new ManualClock();
  const o = await openOutbox(dir, clock, { maxBytes: 2_000, maxAgeMs: 60_000 });
  for (let i = 0; i < 10; i++) await o.add({ type: 'ev', priority: 'low', data: { pad: 'x'.repeat(300) } });
  t.ok(o.stats().bytes <= 2_000, `bytes ${o.stats().bytes}`);
  t.ok(o.stats().count >= 4);
  clock.advance(61_000);
  await o.add({ type: 'ev', priority: 'high', data: {} });
  const before = o.stats().count;
  t.equal(o.expireOld(), before - 1, 'everything but the fresh event is expired');
  t.equal(o.stats().count, 1);
  t.ok(o.stats().dropped.expired >= 4);
  t.equal((await o.add({ type: 'ev', priority: 'high', data: { pad: 'x'.repeat(140_000) } })).ok, false, 'an event over 128 KB is refused');
  await o.close();
});

t.test('low flash wear: one fsync per add, none per ack; acknowledged segments are deleted', async (t) => {
  const dir = await tempDir(t, 'outbox-');
  const clock = new ManualClock();
  const o = await openOutbox(dir, clock, { segmentBytes: 4_096 });
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const r = await o.add({ type: 'ev', priority: 'low', data: { pad: 'x'.repeat(100) } });
    if (r.ok) ids.push(r.value.id);
  }
  const fsyncsAfterAdds = o.stats().fsyncs;
  t.ok(fsyncsAfterAdds <= 100 + 2 * 5, `fsyncs ${fsyncsAfterAdds} (100 adds + segment roll-overs)`);
  t.ok(o.stats().segments > 2, 'rolled over into several segments');
  for (const id of ids) o.ack(id);
  clock.advance(20);
  await o.add({ type: 'ev', priority: 'low', data: {} });
  t.ok(o.stats().fsyncs - fsyncsAfterAdds <= 3, 'acks added no fsyncs of their own');
  const segs = (await readdir(dir)).filter((n) => n.startsWith('seg-'));
  t.ok(segs.length <= 2, `resolved head segments are gone (${segs.join(', ')})`);
  await o.close();
  const again = await openOutbox(dir);
  t.equal(again.stats().count, 1);
  await again.close();
});

t.test('a head segment holding one straggler is compacted', async (t) => {
  const dir = await tempDir(t, 'outbox-');
  const clock = new ManualClock();
  const o = await openOutbox(dir, clock, { segmentBytes: 2_048 });
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    const r = await o.add({ type: 'ev', priority: 'low', data: { pad: 'x'.repeat(100) } });
    if (r.ok) ids.push(r.value.id);
  }
  const straggler = ids[0]!;
  for (const id of ids.slice(1)) o.ack(id);
  clock.advance(20);
  await o.add({ type: 'ev', priority: 'low', data: {} });
  t.ok(o.stats().segments <= 2, `segments ${o.stats().segments}`);
  await o.close();
  const again = await openOutbox(dir);
  t.ok(again.has(straggler), 'the straggler survived compaction');
  t.equal(again.stats().count, 2);
  await again.close();
});
