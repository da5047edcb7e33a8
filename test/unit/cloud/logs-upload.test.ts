import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { logsUploadHandler, LOG_CHUNK_BYTES } from '../../../src/cloud/ops/logs-upload.js';
import type { Clock } from '../../../src/core/clock.js';

/** Timers that fire on the next turn: retries happen without real waiting. */
const fastClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn) => {
    const h = setImmediate(fn);
    return { cancel: () => clearImmediate(h) };
  },
  setInterval: () => ({ cancel: () => undefined }),
};

const ctx = { transaction: 'tx-1', issuedAt: Date.now() };

t.test('without a URL the log goes as numbered gzip chunks, newest lines kept', async (t) => {
  const chunks: Array<Record<string, unknown>> = [];
  // Random hex does not compress, so several chunks are needed.
  const lines = Array.from({ length: 3000 }, (_, i) => `${i} ${randomBytes(48).toString('hex')}`);
  const h = logsUploadHandler({ lines: () => lines, publishChunk: async (c) => (chunks.push(c), true), clock: fastClock });
  const r = await h({}, ctx);
  t.equal(r.ok, true);
  t.ok(chunks.length > 1, 'more than one chunk');
  t.ok(chunks.every((c) => Buffer.from(String(c.content), 'base64').length <= LOG_CHUNK_BYTES));
  const text = gunzipSync(Buffer.concat(chunks.map((c) => Buffer.from(String(c.content), 'base64')))).toString();
  t.equal(text.split('\n').length - 1, 3000);
  t.same(chunks.map((c) => c.index), chunks.map((_, i) => i));
  const limited = logsUploadHandler({ lines: () => lines, publishChunk: async () => true, clock: fastClock });
  const l = await limited({ maxLines: 10 }, ctx);
  t.equal(l.ok && (l.data as { lines: number }).lines, 10);
});

t.test('a full outbox is reported, not ignored', async (t) => {
  const h = logsUploadHandler({ lines: () => ['a'], publishChunk: async () => false, clock: fastClock });
  const r = await h({}, ctx);
  t.same(r.ok ? null : r.error.code, 'outbox_full');
});

t.test('HTTPS PUT: retried on 5xx and network errors, not on 4xx, never plain HTTP', async (t) => {
  const statuses = [503, 500, 200];
  let calls = 0;
  const h = logsUploadHandler({
    lines: () => ['x'],
    publishChunk: async () => true,
    clock: fastClock,
    put: async () => ({ status: statuses[calls++]! }),
  });
  const r = await h({ url: 'https://bucket/x?sig=1' }, ctx);
  t.equal(r.ok, true);
  t.equal(calls, 3);

  let forbidden = 0;
  const expired = logsUploadHandler({ lines: () => ['x'], publishChunk: async () => true, clock: fastClock, put: async () => (forbidden++, { status: 403 }) });
  const e = await expired({ url: 'https://bucket/x' }, ctx);
  t.equal(e.ok ? null : e.error.code, 'upload_failed');
  t.equal(forbidden, 1, 'an expired URL is not retried');

  const down = logsUploadHandler({ lines: () => ['x'], publishChunk: async () => true, clock: fastClock, put: async () => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })) });
  const d = await down({ url: 'https://bucket/x' }, ctx);
  t.match(d.ok ? '' : d.error.message, /ECONNREFUSED/);

  const plain = await down({ url: 'http://bucket/x' }, ctx);
  t.equal(plain.ok ? null : plain.error.code, 'invalid_args');
});

t.test('the audit trail goes first, whole, with every log upload', async (t) => {
  const { logsUploadHandler } = await import('../../../src/cloud/ops/logs-upload.js');
  const { ManualClock } = await import('../../../src/core/clock.js');
  const { gunzipSync } = await import('node:zlib');
  const chunks: Array<Record<string, unknown>> = [];
  const handler = logsUploadHandler({
    lines: () => ['{"msg":"one"}', '{"msg":"two"}'],
    auditLines: async () => ['{"audit":1,"seq":1,"action":"login"}'],
    publishChunk: async (d) => (chunks.push(d), true),
    clock: new ManualClock(),
  });
  const r = await handler({ maxLines: 1 }, { transaction: 'x', issuedAt: 0 });
  t.ok(r.ok);
  const text = gunzipSync(Buffer.concat(chunks.map((c) => Buffer.from(String(c.content), 'base64')))).toString();
  t.match(text, /"audit":1/, 'the audit line is in the upload');
  t.match(text, /two/, 'then the newest log line');
  t.notMatch(text, /"one"/, 'maxLines limits the log lines, not the audit trail');
});
