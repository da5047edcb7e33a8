import t, { type Test } from 'tap';
import pino from 'pino';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.js';
import { SnapshotSpool, type SpoolLimits } from '../../../src/alarm/snapshot-spool.js';
import { spoolRetryDelayMs } from '../../../src/alarm/spool-backoff.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;

function entry(id: string, createdAt: number, imageBytes = 1000) {
  return {
    id,
    createdAt,
    source: 'onvif' as const,
    lowRes: false,
    jpeg: Buffer.alloc(imageBytes, id.charCodeAt(id.length - 1)),
    thumbnail: Buffer.alloc(100, 7),
    size: { width: 1280, height: 720 },
    thumbnailSize: { width: 320, height: 180 },
  };
}

async function open(t: Test, limits: Partial<SpoolLimits> = {}, clock = new ManualClock(), dir?: string) {
  const spoolDir = dir ?? dataLayout(await tempDir(t)).spoolDir;
  const spool = new SnapshotSpool({
    dir: spoolDir,
    clock,
    logger,
    limits: () => ({ maxBytes: 1_000_000, maxCount: 100, retentionMs: 24 * HOUR, purgeIntervalMs: 60_000, ...limits }),
  });
  t.teardown(() => spool.stop());
  const started = await spool.start();
  t.ok(started.ok, 'spool starts');
  return { spool, clock, dir: spoolDir };
}

t.test('an entry is taken, failed with backoff, retried and deleted on delivery', async (t) => {
  const { spool, clock, dir } = await open(t);
  const added = await spool.add(entry('ev1', clock.now()));
  t.ok(added.ok);
  t.same((await readdir(dir)).sort(), ['ev1.jpg', 'ev1.json', 'ev1.thumb.jpg']);
  const first = await spool.takeNextDue();
  t.ok(first.ok && first.value);
  if (!first.ok || !first.value) return;
  t.equal(first.value.jpeg.length, 1000);
  t.equal((await spool.takeNextDue()).ok && null, null, 'an entry in flight is not handed out twice');
  const delay = spoolRetryDelayMs(1, { minMs: 5000, maxMs: 600_000 }, () => 0.5);
  const failed = await spool.markFailed('ev1', clock.now() + delay, 'upload 503');
  t.ok(failed.ok && failed.value.attempts === 1);
  const notYet = await spool.takeNextDue();
  t.equal(notYet.ok && notYet.value, null, 'not due before its next attempt');
  t.equal(spool.nextDueAt(), clock.now() + delay);
  clock.advance(delay);
  const again = await spool.takeNextDue();
  t.ok(again.ok && again.value?.meta.attempts === 1, 'due again, attempt count kept');
  t.ok((await spool.markDelivered('ev1')).ok);
  t.same(await readdir(dir), [], 'delivered entry leaves no file');
  t.equal(spool.stats().count, 0);
  t.equal(spool.stats().bytes, 0);
  const unknown = await spool.markDelivered('ev1');
  t.equal(!unknown.ok && unknown.error.code, 'spool_unknown_id');
});

t.test('backoff grows exponentially with jitter and a cap', async (t) => {
  const o = { minMs: 5000, maxMs: 60_000 };
  t.equal(spoolRetryDelayMs(1, o, () => 0), 2500);
  t.equal(spoolRetryDelayMs(1, o, () => 0.999999), 5000);
  t.equal(spoolRetryDelayMs(3, o, () => 0), 10_000);
  t.equal(spoolRetryDelayMs(30, o, () => 1), 60_000);
});

t.test('the spool never grows past its bounds under a flood; oldest dropped first and counted', async (t) => {
  const { spool, clock, dir } = await open(t, { maxCount: 5, maxBytes: 4 * 1300 });
  const each = 1000 + 100; // + ~300 bytes of metadata
  for (let i = 0; i < 40; i++) {
    const r = await spool.add(entry(`ev${String(i).padStart(2, '0')}`, clock.now()));
    t.ok(r.ok);
    clock.advance(10);
    const s = spool.stats();
    t.ok(s.count <= 5 && s.bytes <= 4 * 1300, `after ${i + 1}: ${s.count} entries, ${s.bytes} bytes`);
    const files = await readdir(dir);
    t.equal(files.length, s.count * 3, 'the directory holds exactly the indexed entries');
  }
  t.ok(each > 0);
  const ids = spool.ids();
  t.same(ids, ids.slice().sort(), 'oldest first');
  t.equal(ids.at(-1), 'ev39', 'the newest is kept');
  t.equal(spool.stats().dropped.full, 40 - ids.length);
  const big = await spool.add({ ...entry('huge', clock.now()), jpeg: Buffer.alloc(10_000) });
  t.equal(!big.ok && big.error.code, 'spool_entry_too_large', 'an entry larger than the bound is refused, nothing dropped for it');
  t.equal(spool.ids().length, ids.length);
});

t.test('entries past retention are purged periodically, at start, and never handed out', async (t) => {
  const clock = new ManualClock();
  const { spool, dir } = await open(t, { retentionMs: 2 * HOUR, purgeIntervalMs: 60_000 }, clock);
  await spool.add(entry('old', clock.now()));
  clock.advance(HOUR);
  await spool.add(entry('new', clock.now()));
  clock.advance(HOUR + 60_000); // 'old' is past 2 h; the interval timer fires on the way
  await spool.purgeExpired(); // wait for the timer-started purge queued before it
  t.same(spool.ids(), ['new']);
  t.equal(spool.stats().dropped.expired, 1);
  spool.stop();

  // Restart two hours later with a fresh instance: purge at start.
  clock.advance(2 * HOUR);
  const { spool: again } = await open(t, { retentionMs: 2 * HOUR }, clock, dir);
  t.same(again.ids(), [], 'expired while the agent was down: deleted at start');
  t.same(await readdir(dir), []);
});

t.test('a half-written entry (no metadata) and a corrupt one are removed at start', async (t) => {
  const clock = new ManualClock();
  const { spool, dir } = await open(t, {}, clock);
  await spool.add(entry('good', clock.now()));
  await spool.add(entry('bad', clock.now()));
  spool.stop();
  await writeFile(join(dir, 'half.jpg'), 'x');
  await writeFile(join(dir, 'half.thumb.jpg'), 'y');
  await writeFile(join(dir, '.half.json.123.abcd.tmp'), '{');
  await writeFile(join(dir, 'bad.jpg'), 'truncated');
  const { spool: again } = await open(t, {}, clock, dir);
  t.same(again.ids(), ['good']);
  t.equal(again.stats().partialCleaned, 1);
  t.equal(again.stats().dropped.corrupt, 1);
  t.same((await readdir(dir)).sort(), ['good.jpg', 'good.json', 'good.thumb.jpg']);
});

t.test('bytes that changed on flash are caught by the hash at take', async (t) => {
  const { spool, clock, dir } = await open(t);
  await spool.add(entry('a', clock.now()));
  await spool.add(entry('b', clock.now() + 1));
  await writeFile(join(dir, 'a.jpg'), Buffer.alloc(1000, 0)); // same size, other bytes
  const r = await spool.takeNextDue();
  t.ok(r.ok && r.value?.meta.id === 'b', 'the corrupt entry is skipped');
  t.equal(spool.stats().dropped.corrupt, 1);
});

t.test('ids that are not file names are refused', async (t) => {
  const { spool, clock } = await open(t);
  for (const id of ['../x', '', 'a/b', 'x'.repeat(65), 'a.json']) {
    const r = await spool.add(entry(id, clock.now()));
    t.equal(!r.ok && r.error.code, 'spool_invalid_id', JSON.stringify(id));
  }
});
