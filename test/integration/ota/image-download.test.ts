import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { ManualClock, systemClock, type Clock } from '../../../src/core/clock.js';
import { downloadImage, type DownloadOptions } from '../../../src/ota/image-download.js';
import { createPki, type TestPki } from '../../helpers/pki.js';
import { startImageServer, type ImageServer } from '../../helpers/image-server.js';
import { tempDir } from '../../helpers/tmp.js';
import { WatchedList } from '../../helpers/watched-list.js';

/**
 * Firmware image download against a real HTTPS server on 127.0.0.1 that
 * cuts, stalls, ignores ranges and fails on request: what the server saw
 * (Range headers, statuses) is asserted, and the result's SHA-256.
 */

const run = promisify(execFile);
const SIZE = 1_000_003; // odd on purpose: cut points fall inside TLS records and write chunks
const IMAGE = randomBytes(SIZE);
const SHA = sha(IMAGE);
const SECRET = 'c2lnbmF0dXJlLXNlY3JldA';
const FAST_RETRY = { attempts: 4, minMs: 1, maxMs: 4 };

let pki: TestPki;
t.before(async () => {
  pki = await createPki(await tempDir(t, 'ota-pki-'));
});

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

interface Rig {
  server: ImageServer;
  dir: string;
  file: string;
  url: string;
  logs: WatchedList<Record<string, unknown> & { msg: string }>;
  progress: number[];
  download(patch?: Partial<DownloadOptions>): ReturnType<typeof downloadImage>;
}

async function rig(t: Test, image: Buffer = IMAGE, dir?: string): Promise<Rig> {
  const server = await startImageServer(t, pki.server);
  server.setImage('/fw/image.bin', image);
  const d = dir ?? (await tempDir(t, 'ota-dl-'));
  const logs = new WatchedList<Record<string, unknown> & { msg: string }>();
  const logger = pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
  const url = server.url('/fw/image.bin', { 'X-Amz-Expires': '3600', 'X-Amz-Signature': SECRET });
  const progress: number[] = [];
  const file = join(d, 'image.bin');
  return {
    server,
    dir: d,
    file,
    url,
    logs,
    progress,
    download: (patch = {}) =>
      downloadImage({
        url,
        file,
        expectedSize: SIZE,
        maxBytes: 64 * 1024 * 1024,
        minFreeBytes: 0,
        ca: pki.ca,
        clock: systemClock,
        logger,
        onProgress: (b) => progress.push(b),
        retry: FAST_RETRY,
        ...patch,
      }),
  };
}

function offset(fraction: number): number {
  return Math.floor(fraction * SIZE);
}

/** Resolves when onProgress first reports at least `bytes`. */
function progressReaches(bytes: number): { onProgress: (b: number) => void; reached: Promise<void> } {
  let hit!: () => void;
  const reached = new Promise<void>((resolve) => (hit = resolve));
  return { onProgress: (b) => void (b >= bytes && hit()), reached };
}

/** Waits for the downloader's n-th "download retry" log line and returns its delay. */
async function retryDelay(r: Rig, n: number): Promise<number> {
  const hits = await r.logs.waitFor((l) => l.msg === 'download retry', n, 10_000, (f) => `saw ${f} retries, want ${n}`);
  return hits[n - 1]!.delayMs as number;
}

/** A tmpfs of `bytes` (the sandbox runs as root); null where mounting is not allowed. */
async function smallFs(t: Test, bytes: number): Promise<string | null> {
  const dir = await tempDir(t, 'ota-tmpfs-');
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  } catch {
    return null;
  }
  t.teardown(() => run('umount', [dir]).catch(() => undefined));
  return dir;
}

t.test('a whole image downloads in one request, its bytes intact, and the presigned query never reaches a log line', async (t) => {
  const r = await rig(t);
  const result = await r.download();
  t.same(result, { ok: true, bytes: SIZE, resumedFrom: 0, attempts: 1 });
  t.equal(sha(await readFile(r.file)), SHA);
  t.match(r.server.requests, [{ range: undefined, status: 200, bytes: SIZE }]);
  t.equal(r.server.requests.length, 1);
  t.equal(r.progress.at(-1), SIZE, 'progress ends at the size');
  t.ok(r.progress.every((b, i) => i === 0 || b > r.progress[i - 1]!), 'progress only grows');
  const text = r.logs.items.map((l) => JSON.stringify(l)).join('\n');
  t.match(text, /127\.0\.0\.1:\d+\/fw\/image\.bin/, 'host and path are logged');
  t.notOk(text.includes(SECRET) || text.includes('X-Amz'), 'no query in the logs');
});

t.test('a connection cut at 30 %, 60 % and 90 % is resumed each time from exactly the bytes on disk', async (t) => {
  const r = await rig(t);
  for (const f of [0.3, 0.6, 0.9]) r.server.cutAfter(f);
  const result = await r.download();
  t.same(result, { ok: true, bytes: SIZE, resumedFrom: 0, attempts: 4 });
  t.same(
    r.server.requests.map((q) => [q.range, q.status]),
    [
      [undefined, 200],
      [`bytes=${offset(0.3)}-`, 206],
      [`bytes=${offset(0.6)}-`, 206],
      [`bytes=${offset(0.9)}-`, 206],
    ],
  );
  t.equal(sha(await readFile(r.file)), SHA);
});

for (const f of [0.3, 0.6, 0.9]) {
  t.test(`a download cut at ${f * 100} % and given up resumes in the next call (after a reboot) with Range from the cut`, async (t) => {
    const r = await rig(t);
    r.server.cutAfter(f);
    const first = await r.download({ retry: { attempts: 1, minMs: 1, maxMs: 1 } });
    t.match(first, { ok: false, code: 'network', bytes: offset(f) });
    t.equal((await stat(r.file)).size, offset(f), 'the partial file is kept');
    const second = await r.download();
    t.same(second, { ok: true, bytes: SIZE, resumedFrom: offset(f), attempts: 1 });
    t.same(r.server.requests.at(-1), { path: '/fw/image.bin', range: `bytes=${offset(f)}-`, status: 206, bytes: SIZE - offset(f) });
    t.equal(sha(await readFile(r.file)), SHA);
  });
}

t.test('a server that ignores Range (200 to a range request) gets the file truncated and the whole body', async (t) => {
  const r = await rig(t);
  await writeFile(r.file, IMAGE.subarray(0, offset(0.4)));
  r.server.ignoreRange(true);
  const result = await r.download();
  t.same(result, { ok: true, bytes: SIZE, resumedFrom: 0, attempts: 1 });
  t.match(r.server.requests, [{ range: `bytes=${offset(0.4)}-`, status: 200, bytes: SIZE }]);
  t.equal(sha(await readFile(r.file)), SHA);
});

t.test('a 206 for an image of another size starts over from 0, and then fails with size_mismatch and no file', async (t) => {
  const other = randomBytes(SIZE + 10);
  const r = await rig(t, other);
  await writeFile(r.file, IMAGE.subarray(0, 1000));
  const result = await r.download();
  t.match(result, { ok: false, code: 'size_mismatch', bytes: 0 });
  t.same(
    r.server.requests.map((q) => [q.range, q.status]),
    [
      ['bytes=1000-', 206],
      [undefined, 200],
    ],
  );
  await t.rejects(stat(r.file), { code: 'ENOENT' });
});

t.test('416 for a file already complete is success without a body', async (t) => {
  const r = await rig(t);
  await writeFile(r.file, IMAGE);
  const result = await r.download();
  t.same(result, { ok: true, bytes: SIZE, resumedFrom: SIZE, attempts: 1 });
  t.match(r.server.requests, [{ range: `bytes=${SIZE}-`, status: 416, bytes: 0 }]);
  t.equal(sha(await readFile(r.file)), SHA);
});

t.test('a spool file longer than the image is truncated and the image downloaded from 0', async (t) => {
  const r = await rig(t);
  await writeFile(r.file, randomBytes(SIZE + 5));
  const result = await r.download();
  t.same(result, { ok: true, bytes: SIZE, resumedFrom: 0, attempts: 1 });
  t.match(r.server.requests, [{ range: undefined, status: 200 }]);
  t.equal(sha(await readFile(r.file)), SHA);
});

t.test('size mismatches fail with size_mismatch and leave no file', async (t) => {
  const cases: Array<[string, Buffer, boolean]> = [
    ['Content-Length larger', Buffer.concat([IMAGE, Buffer.from('extra')]), false],
    ['Content-Length smaller', IMAGE.subarray(0, SIZE - 1), false],
    ['chunked, more bytes than expected', Buffer.concat([IMAGE, randomBytes(100_000)]), true],
    ['chunked, fewer bytes than expected', IMAGE.subarray(0, offset(0.5)), true],
  ];
  for (const [name, image, chunked] of cases) {
    await t.test(name, async (t) => {
      const r = await rig(t, image);
      r.server.omitLength(chunked);
      const result = await r.download();
      t.match(result, { ok: false, code: 'size_mismatch', bytes: 0 });
      t.equal(r.server.requests.length, 1, 'no retry');
      t.ok(Math.max(0, ...r.progress) <= SIZE, 'never more than the expected size written');
      await t.rejects(stat(r.file), { code: 'ENOENT' });
    });
  }
});

t.test('an image larger than the device takes fails with image_too_large: from the manifest without a request, from Content-Length before writing', async (t) => {
  const r = await rig(t, randomBytes(SIZE * 2));
  const manifest = await r.download({ maxBytes: SIZE - 1 });
  t.match(manifest, { ok: false, code: 'image_too_large' });
  t.equal(r.server.requests.length, 0);
  const header = await r.download({ maxBytes: SIZE + 1 });
  t.match(header, { ok: false, code: 'image_too_large' });
  t.equal(r.server.requests.length, 1);
  t.same(r.progress, [], 'nothing written');
});

t.test('403 (an expired presigned URL) fails at once with http_403, no retry, the partial file kept', async (t) => {
  const r = await rig(t);
  await writeFile(r.file, IMAGE.subarray(0, 5000));
  r.server.failNext(1, 403);
  const result = await r.download({ clock: new ManualClock(), retry: { attempts: 5, minMs: 60_000, maxMs: 60_000 } });
  t.match(result, { ok: false, code: 'http_403', bytes: 5000 });
  if (!result.ok) t.notOk(result.message.includes(SECRET), 'no signature in the message');
  t.equal(r.server.requests.length, 1);
  t.equal((await stat(r.file)).size, 5000);
});

t.test('503 and 429 are retried after the backoff, honouring Retry-After, then the download succeeds', async (t) => {
  const r = await rig(t);
  const clock = new ManualClock();
  r.server.failNext(2, 503, '7');
  const done = r.download({ clock, retry: { attempts: 5, minMs: 1000, maxMs: 4000 } });
  const first = await retryDelay(r, 1);
  t.ok(first >= 7000, `Retry-After 7 s honoured (${first} ms)`);
  t.equal(r.server.requests.length, 1, 'nothing before the delay');
  clock.advance(first);
  const second = await retryDelay(r, 2);
  t.ok(second >= 7000);
  clock.advance(second);
  t.same(await done, { ok: true, bytes: SIZE, resumedFrom: 0, attempts: 3 });
  t.same(
    r.server.requests.map((q) => q.status),
    [503, 503, 200],
  );

  const r2 = await rig(t);
  r2.server.failNext(1, 429);
  const done2 = r2.download({ clock, retry: { attempts: 5, minMs: 1000, maxMs: 4000 } });
  const delay = await retryDelay(r2, 1);
  t.ok(delay >= 500 && delay <= 1000, `first backoff within [min/2, min] (${delay} ms)`);
  clock.advance(delay);
  t.match(await done2, { ok: true, attempts: 2 });
});

t.test('a server failing every time ends in network after the configured attempts', async (t) => {
  const r = await rig(t);
  r.server.failNext(100, 502);
  const result = await r.download({ retry: { attempts: 3, minMs: 1, maxMs: 2 } });
  t.match(result, { ok: false, code: 'network', bytes: 0 });
  t.equal(r.server.requests.length, 3);
});

t.test('a body that stalls is given up after timeoutMs and the retry resumes from the bytes received', async (t) => {
  const r = await rig(t);
  const clock = new ManualClock();
  const stallAt = offset(0.5);
  r.server.stallAfter(stallAt);
  const watch = progressReaches(stallAt);
  const done = r.download({ clock, timeoutMs: 30_000, retry: { attempts: 3, minMs: 1000, maxMs: 1000 }, onProgress: watch.onProgress });
  await watch.reached;
  clock.advance(29_999);
  t.equal(r.server.requests.length, 1, 'not yet timed out');
  clock.advance(1);
  clock.advance(await retryDelay(r, 1));
  t.same(await done, { ok: true, bytes: SIZE, resumedFrom: 0, attempts: 2 });
  t.match(r.logs.items.find((l) => l.msg === 'download retry'), { why: 'no data for 30000 ms', bytes: stallAt });
  t.match(r.server.requests[1], { range: `bytes=${stallAt}-`, status: 206 });
  t.equal(sha(await readFile(r.file)), SHA);
});

t.test('free space is checked before downloading: image + reserve beyond free space → no_space, no request', async (t) => {
  const r = await rig(t);
  const fs = await statfs(r.dir);
  const free = fs.bavail * fs.bsize;
  const result = await r.download({ minFreeBytes: free + 2 ** 30 });
  t.match(result, { ok: false, code: 'no_space', bytes: 0 });
  if (!result.ok) t.match(result.message, /needs \d+ bytes free/);
  t.equal(r.server.requests.length, 0);
});

t.test('on a 1 MB tmpfs: a too-large image is refused up front; ENOSPC while writing keeps the partial file for a resume', async (t) => {
  const dir = await smallFs(t, 1024 * 1024);
  if (!dir) {
    t.pass('skipped: cannot mount a tmpfs here (needs root)');
    return;
  }
  const r = await rig(t, IMAGE, dir);
  t.match(await r.download({ minFreeBytes: 100_000 }), { ok: false, code: 'no_space' }, `${SIZE} bytes do not fit beside a 100 kB reserve`);
  t.equal(r.server.requests.length, 0);

  const small = IMAGE.subarray(0, 600_000);
  r.server.setImage('/fw/image.bin', small);
  const filler = join(dir, 'filler');
  let filled = false;
  const result = await r.download({
    expectedSize: small.length,
    onProgress: () => {
      if (filled) return;
      filled = true;
      // Another writer takes the rest of the file system after our check.
      try {
        writeFileSync(filler, Buffer.alloc(1024 * 1024));
      } catch {
        /* ENOSPC expected: the filler takes what is left */
      }
    },
  });
  t.match(result, { ok: false, code: 'no_space' });
  const kept = (await stat(r.file)).size;
  t.ok(kept > 0 && kept < small.length, `partial file kept (${kept} bytes)`);
  await rm(filler);
  const resumed = await r.download({ expectedSize: small.length });
  t.same(resumed, { ok: true, bytes: small.length, resumedFrom: kept, attempts: 1 });
  t.equal(r.server.requests.at(-1)!.range, `bytes=${kept}-`);
  t.equal(sha(await readFile(r.file)), sha(small));

  // Only the missing bytes count against free space: 100 kB + 400 kB reserve fit, 600 kB + 400 kB would not.
  await writeFile(r.file, small.subarray(0, 500_000));
  t.same(await r.download({ expectedSize: small.length, minFreeBytes: 400_000 }), { ok: true, bytes: small.length, resumedFrom: 500_000, attempts: 1 });
  t.equal(sha(await readFile(r.file)), sha(small));
});

t.test('the abort signal ends the download with aborted: mid-body, during a backoff, and before it starts', async (t) => {
  const r = await rig(t);
  const stopAt = offset(0.5);
  r.server.stallAfter(stopAt);
  const ac = new AbortController();
  const watch = progressReaches(stopAt);
  const done = r.download({ signal: ac.signal, clock: new ManualClock(), onProgress: watch.onProgress });
  await watch.reached;
  ac.abort();
  t.match(await done, { ok: false, code: 'aborted', bytes: stopAt });
  t.equal((await stat(r.file)).size, stopAt, 'partial file kept');

  const clock = new ManualClock();
  r.server.failNext(1, 503);
  const ac2 = new AbortController();
  const done2 = r.download({ signal: ac2.signal, clock, retry: { attempts: 3, minMs: 10_000, maxMs: 10_000 } });
  await retryDelay(r, 1);
  ac2.abort();
  t.match(await done2, { ok: false, code: 'aborted', bytes: stopAt });
  t.equal(clock.pendingTimers(), 0, 'no timer left behind');
  const before = r.server.requests.length;

  const ac3 = new AbortController();
  ac3.abort();
  t.match(await r.download({ signal: ac3.signal }), { ok: false, code: 'aborted' });
  t.equal(r.server.requests.length, before, 'no request');
});

t.test('a non-https URL is refused', async (t) => {
  const dir = await tempDir(t);
  await mkdir(dir, { recursive: true });
  const result = await downloadImage({ url: 'http://127.0.0.1:1/x', file: join(dir, 'f'), expectedSize: 1, maxBytes: 10, minFreeBytes: 0, clock: systemClock as Clock, logger: pino({ level: 'silent' }) });
  t.match(result, { ok: false, code: 'invalid_url' });
});
