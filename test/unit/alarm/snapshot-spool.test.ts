import t, { type Test } from 'tap';
import pino from 'pino';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../../src/core/clock.js';
import { SnapshotSpool, type SpoolLimits } from '../../../src/alarm/snapshot-spool.js';
import { spoolRetryDelayMs } from '../../../src/alarm/spool-backoff.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const TEST_KEY = new Uint8Array(32).fill(0x5a);

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
    key: async () => TEST_KEY,
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
  t.same((await readdir(dir)).sort(), ['ev1.img', 'ev1.meta', 'ev1.thumb']);
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
  await writeFile(join(dir, 'half.img'), 'x');
  await writeFile(join(dir, 'half.thumb'), 'y');
  await writeFile(join(dir, '.half.meta.123.abcd.tmp'), '{');
  await writeFile(join(dir, 'bad.img'), 'truncated');
  const { spool: again } = await open(t, {}, clock, dir);
  t.same(again.ids(), ['good']);
  t.equal(again.stats().partialCleaned, 1);
  t.equal(again.stats().dropped.corrupt, 1);
  t.same((await readdir(dir)).sort(), ['good.img', 'good.meta', 'good.thumb']);
});

t.test('bytes that changed on flash are caught by the hash at take', async (t) => {
  const { spool, clock, dir } = await open(t);
  await spool.add(entry('a', clock.now()));
  await spool.add(entry('b', clock.now() + 1));
  const sealed = await readFile(join(dir, 'a.img'));
  await writeFile(join(dir, 'a.img'), Buffer.alloc(sealed.length, 0)); // same size, other bytes
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

t.test('spooled snapshots are sealed on flash: no image byte run, no metadata in clear', async (t) => {
  const { spool, clock, dir } = await open(t);
  const marker = Buffer.from('PERSON-IN-FRAME-7f3a');
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), marker, Buffer.alloc(500, 0x41)]);
  t.ok((await spool.add({ ...entry('ev1', clock.now()), jpeg })).ok);
  for (const name of await readdir(dir)) {
    const bytes = await readFile(join(dir, name));
    t.equal(bytes.subarray(0, 4).toString('latin1'), 'CASP', `${name} has the sealed-file magic`);
    t.equal(bytes.indexOf(marker), -1, `${name} does not hold the image content`);
    t.equal(bytes.indexOf(Buffer.from([0xff, 0xd8, 0xff])), -1, `${name} does not start a JPEG anywhere`);
    t.equal(bytes.indexOf(Buffer.from('"createdAt"')), -1, `${name} holds no metadata in clear`);
  }
  const taken = await spool.takeNextDue();
  t.ok(taken.ok && taken.value?.jpeg.equals(jpeg), 'the image comes back byte for byte');
});

t.test('after the key is destroyed (unbind erase) old entries are unreadable and dropped, new ones use the new key', async (t) => {
  const dir = dataLayout(await tempDir(t)).spoolDir;
  const clock = new ManualClock();
  let key: Uint8Array | null = new Uint8Array(32).fill(1);
  const make = () =>
    new SnapshotSpool({ dir, key: async () => key, clock, logger, limits: () => ({ maxBytes: 1_000_000, maxCount: 100, retentionMs: 24 * HOUR, purgeIntervalMs: 60_000 }) });
  const first = make();
  await first.start();
  await first.add(entry('old', clock.now()));
  first.stop();

  key = null; // erased, no new key yet
  const noKey = make();
  t.ok((await noKey.start()).ok);
  t.same(noKey.ids(), [], 'an entry under a destroyed key is not loaded');
  t.same(await readdir(dir), [], 'and its files are deleted');
  const refused = await noKey.add(entry('x', clock.now()));
  t.equal(!refused.ok && refused.error.code, 'spool_key_unavailable', 'no key: the snapshot is refused, never written in clear');
  t.same(await readdir(dir), []);
  noKey.stop();

  key = new Uint8Array(32).fill(2);
  const second = make();
  await second.start();
  t.ok((await second.add(entry('new', clock.now()))).ok);
  // The entry written under key 2 cannot be read under key 3 (a later erase): dropped as corrupt at take.
  key = new Uint8Array(32).fill(3);
  const r = await second.takeNextDue();
  t.equal(r.ok && r.value, null, 'nothing is handed out');
  t.equal(second.stats().dropped.corrupt, 1);
  second.stop();
});

t.test('a file moved to another entry or another role fails authentication', async (t) => {
  const { spool, clock, dir } = await open(t);
  await spool.add(entry('a', clock.now()));
  await spool.add(entry('b', clock.now() + 1));
  // Same length on purpose: the thumbnail sizes match, only the AAD (id) differs.
  await writeFile(join(dir, 'a.thumb'), await readFile(join(dir, 'b.thumb')));
  const r = await spool.takeNextDue();
  t.ok(r.ok && r.value?.meta.id === 'b', "a's swapped thumbnail is caught; b is delivered");
  t.equal(spool.stats().dropped.corrupt, 1);
});

t.test('entries an older agent left in clear are sealed at start (no alarm lost by an update) and their clear files deleted', async (t) => {
  const dir = dataLayout(await tempDir(t)).spoolDir;
  const { mkdir } = await import('node:fs/promises');
  const { createHash } = await import('node:crypto');
  await mkdir(dir, { recursive: true });
  const clock = new ManualClock();
  const jpeg = Buffer.from('old-clear-jpeg-bytes');
  const thumb = Buffer.from('old-thumb');
  const fm = (b: Buffer) => ({ bytes: b.length, sha256: createHash('sha256').update(b).digest('hex'), width: 1, height: 1 });
  const v1 = { v: 1, id: 'old', createdAt: clock.now(), spooledAt: clock.now(), source: 'onvif', lowRes: false, image: fm(jpeg), thumbnail: fm(thumb), attempts: 2, nextAttemptAt: clock.now() };
  await writeFile(join(dir, 'old.jpg'), jpeg);
  await writeFile(join(dir, 'old.thumb.jpg'), thumb);
  await writeFile(join(dir, 'old.json'), JSON.stringify(v1));
  await writeFile(join(dir, 'bad.jpg'), 'x');
  await writeFile(join(dir, 'bad.thumb.jpg'), 'y');
  await writeFile(join(dir, 'bad.json'), JSON.stringify({ ...v1, id: 'bad' }));
  await writeFile(join(dir, 'half.jpg'), 'no metadata');
  const { spool } = await open(t, {}, clock, dir);
  t.same(spool.ids(), ['old'], 'the good legacy entry is carried over; the bad and the half one are not');
  t.same((await readdir(dir)).sort(), ['old.img', 'old.meta', 'old.thumb'], 'no clear file is left');
  const taken = await spool.takeNextDue();
  t.ok(taken.ok && taken.value?.jpeg.equals(jpeg) && taken.value.meta.attempts === 2, 'same bytes and attempt count');
});
