import t, { type Test } from 'tap';
import pino from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import { SnapshotSpool } from '../../../src/alarm/snapshot-spool.js';
import { retryIsDue } from '../../../src/alarm/spool-backoff.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * Retry due times are wall-clock ms (they survive a restart); a backward
 * step of the wall clock must not hold them until the clock catches up.
 */
const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const MAX_RETRY_MS = 600_000;

function entry(id: string, createdAt: number) {
  return {
    id,
    createdAt,
    source: 'onvif' as const,
    lowRes: false,
    jpeg: Buffer.alloc(500, 1),
    thumbnail: Buffer.alloc(50, 2),
    size: { width: 640, height: 360 },
    thumbnailSize: { width: 160, height: 90 },
  };
}

async function open(t: Test, clock: ManualClock) {
  const spool = new SnapshotSpool({
    dir: dataLayout(await tempDir(t)).spoolDir,
    key: async () => new Uint8Array(32).fill(0x33),
    clock,
    logger,
    limits: () => ({ maxBytes: 1_000_000, maxCount: 100, retentionMs: 24 * HOUR, purgeIntervalMs: 60_000 }),
  });
  t.teardown(() => spool.stop());
  t.ok((await spool.start()).ok, 'spool starts');
  return spool;
}

t.test('retryIsDue: due at or after its time, and when further ahead than the largest backoff', async (t) => {
  t.ok(retryIsDue(1_000, 1_000, MAX_RETRY_MS), 'due exactly on time');
  t.ok(retryIsDue(1_000, 5_000, MAX_RETRY_MS), 'due when overdue');
  t.notOk(retryIsDue(1_000 + MAX_RETRY_MS, 1_000, MAX_RETRY_MS), 'not due within the largest backoff');
  t.ok(retryIsDue(1_001 + MAX_RETRY_MS, 1_000, MAX_RETRY_MS), 'a due time beyond any backoff was stored before a backward step');
});

t.test('a retry scheduled before a 1 h backward wall-clock step is taken at its time, not an hour later', async (t) => {
  const clock = new ManualClock();
  const spool = await open(t, clock);
  t.ok((await spool.add(entry('ev1', clock.now()))).ok);
  const taken = await spool.takeNextDue(MAX_RETRY_MS);
  t.ok(taken.ok && taken.value, 'taken');
  t.ok((await spool.markFailed('ev1', clock.now() + 5_000, 'request_expired')).ok);
  t.equal((await spool.takeNextDue(MAX_RETRY_MS)).ok && null, null, 'not due before its backoff');
  clock.jumpWall(-HOUR);
  t.equal(spool.nextDueAt(MAX_RETRY_MS), clock.now(), 'nextDueAt says: due now');
  const again = await spool.takeNextDue(MAX_RETRY_MS);
  t.equal(again.ok && again.value?.meta.id, 'ev1', 'taken right after the step');
});

t.test('an entry spooled during an outage is due at once after a backward step', async (t) => {
  const clock = new ManualClock();
  const spool = await open(t, clock);
  t.ok((await spool.add(entry('ev2', clock.now()))).ok);
  clock.jumpWall(-HOUR);
  const taken = await spool.takeNextDue(MAX_RETRY_MS);
  t.equal(taken.ok && taken.value?.meta.id, 'ev2', 'its first attempt is not held for the hour');
});

t.test('a backward step smaller than the largest backoff keeps the backoff (no retry storm)', async (t) => {
  const clock = new ManualClock();
  const spool = await open(t, clock);
  t.ok((await spool.add(entry('ev3', clock.now()))).ok);
  t.ok((await spool.takeNextDue(MAX_RETRY_MS)).ok);
  t.ok((await spool.markFailed('ev3', clock.now() + 60_000, 'upload 503')).ok);
  clock.jumpWall(-120_000);
  t.equal((await spool.takeNextDue(MAX_RETRY_MS)).ok && null, null, 'still waiting: 3 min ahead is within a 10 min backoff');
  t.equal(spool.nextDueAt(MAX_RETRY_MS), clock.now() + 180_000);
  clock.advance(180_000);
  const again = await spool.takeNextDue(MAX_RETRY_MS);
  t.equal(again.ok && again.value?.meta.id, 'ev3', 'due once the wall clock reaches it');
});
