import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { Outbox } from '../../../src/cloud/outbox.js';
import { encodeRecord } from '../../../src/cloud/record-framing.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * Found by the fuzz harness (test/resilience/fuzz/cloud-requests.test.ts,
 * outbox-replay): an E record whose CRC is right but whose body is JSON that
 * is not an event (a writer bug, a CRC collision on flash) was replayed as a
 * pending event without id or type, which the drain would then publish.
 */
t.test('a journal record with a valid CRC but a body that is not an event is counted as corrupt, not replayed', async (t) => {
  const dir = await tempDir(t, 'outbox-shape-');
  const clock = new ManualClock();
  const good = { id: 'a'.repeat(32), type: 'alarm', ts: clock.now(), priority: 'high', data: { n: 1 } };
  const bodies = ['"just a string"', 'null', '[]', '{}', JSON.stringify({ ...good, id: 'b'.repeat(32), type: 'a/b' }), JSON.stringify({ ...good, id: 'c'.repeat(32), data: [] }), JSON.stringify({ ...good, id: 'd'.repeat(32), priority: 'urgent' })];
  const records = [encodeRecord('E', Buffer.from(JSON.stringify(good))), ...bodies.map((b) => encodeRecord('E', Buffer.from(b)))];
  await writeFile(join(dir, 'seg-0000000001.log'), Buffer.concat(records));
  const outbox = new Outbox({ dir, clock, logger: pino({ level: 'silent' }) });
  await outbox.open();
  t.teardown(() => outbox.close());
  t.same(
    outbox.peek(10).map((e) => e.id),
    [good.id],
    'only the well-formed event is pending',
  );
  t.equal(outbox.stats().corruptBytes, bodies.reduce((n, b) => n + Buffer.byteLength(b), 0), 'the others are counted as corrupt bytes');
});
