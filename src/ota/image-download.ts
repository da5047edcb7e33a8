/**
 * Download a firmware image over HTTPS onto the spool, resumably: the one
 * place that fetches OTA images. The body is streamed chunk by chunk into the
 * file (append), never held in memory: a 200 MB image on a 128 MB camera.
 *
 * Resume: whatever is on disk is the truth. Each attempt stats the file and
 * asks for `Range: bytes=N-`; a server that ignores ranges (200) or answers
 * for another offset or another image size (206 with a different
 * Content-Range) gets a fresh download from byte 0. 416 with the whole image
 * on disk means it is already complete.
 *
 * Failures are values with a code (`DownloadErrorCode`). Retried, with
 * exponential backoff and equal jitter on the injected clock: connection
 * errors, resets, a body stalled for `timeoutMs`, 5xx and 429 (Retry-After
 * honoured). Not retried: other 4xx (a presigned URL that expired answers
 * 403; only the cloud can mint a new one), a wrong size, no space.
 *
 * The URL's query is a credential (the presigned signature): logs and
 * messages name host and path only.
 */
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { rootCertificates } from 'node:tls';
import { open, rm, stat, statfs, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';

export type DownloadErrorCode =
  | 'size_mismatch'
  | 'image_too_large'
  | 'no_space'
  | 'network'
  | 'aborted'
  /** The spool could not be written (EIO, EROFS…) for a reason other than space. */
  | 'io_error'
  /** Not an https: URL. */
  | 'invalid_url'
  /** A final HTTP answer: 4xx other than 416/429, or an unexpected 1xx/3xx. */
  | `http_${number}`;

export type DownloadResult =
  | { ok: true; bytes: number; resumedFrom: number; attempts: number }
  | { ok: false; code: DownloadErrorCode; message: string; bytes: number };

export interface DownloadRetry {
  /** Failed attempts in a row (none adding bytes) before giving up with `network`. */
  attempts: number;
  /** First delay; doubles per failure up to maxMs, half of it random. */
  minMs: number;
  maxMs: number;
}

export interface DownloadOptions {
  url: string;
  /** The spool file; appended to, created when missing. */
  file: string;
  /** From the signed manifest: the image is exactly this long. */
  expectedSize: number;
  /** The device's limit (its image partition). */
  maxBytes: number;
  /** Free bytes that must remain on the spool's file system after the image. */
  minFreeBytes: number;
  /** Extra trusted CA (PEM), added to Node's roots. */
  ca?: Buffer;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  /** Bytes of the image on disk, after each chunk written (not throttled). */
  onProgress?: (bytes: number) => void;
  retry?: DownloadRetry;
  /** No response or no body bytes for this long → the attempt fails (and is retried). */
  timeoutMs?: number;
}

export const DEFAULT_DOWNLOAD_RETRY: DownloadRetry = { attempts: 6, minMs: 2_000, maxMs: 120_000 };
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

/** fsync this often while writing, so a power cut loses at most this much of a resumable download. */
const SYNC_EVERY_BYTES = 4 * 1024 * 1024;
/** A Retry-After longer than this is clamped: a misbehaving server must not park the job for days. */
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** How one attempt ended; the loop in downloadImage decides what comes next. */
type Attempt =
  | { kind: 'done' }
  | { kind: 'restart'; why: string }
  | { kind: 'retry'; why: string; retryAfterMs?: number }
  | { kind: 'fail'; code: DownloadErrorCode; message: string; remove?: boolean };


export async function downloadImage(opts: DownloadOptions): Promise<DownloadResult> {
  const { file, expectedSize, clock, logger, signal } = opts;
  const retry = opts.retry ?? DEFAULT_DOWNLOAD_RETRY;
  let u: URL;
  try {
    u = new URL(opts.url);
  } catch {
    return { ok: false, code: 'invalid_url', message: 'image URL is not a URL', bytes: 0 };
  }
  if (u.protocol !== 'https:') return { ok: false, code: 'invalid_url', message: 'image URL must be https', bytes: 0 };
  const where = `${u.host}${u.pathname}`;
  const log = logger.child({ image: where });

  let onDisk = await sizeOnDisk(file);
  const fail = (code: DownloadErrorCode, message: string): DownloadResult => ({ ok: false, code, message, bytes: onDisk });
  if (expectedSize > opts.maxBytes) return fail('image_too_large', `image of ${expectedSize} bytes exceeds the device's ${opts.maxBytes}`);
  if (signal?.aborted) return fail('aborted', 'download aborted');
  if (onDisk > expectedSize) {
    log.warn({ onDisk, expectedSize }, 'spool file longer than the image: starting over');
    await truncateFile(file);
    onDisk = 0;
  }
  const resumable = onDisk;

  const space = await statfs(dirname(file)).catch(() => null);
  if (space) {
    const free = space.bavail * space.bsize;
    const needed = expectedSize - onDisk + opts.minFreeBytes;
    if (free < needed) return fail('no_space', `the image needs ${needed} bytes free (incl. ${opts.minFreeBytes} reserve), ${free} are`);
  }

  let attempts = 0;
  let failures = 0;
  let resumedFrom = resumable;
  let best = onDisk;
  for (;;) {
    attempts++;
    const from = onDisk;
    const restarted = (): void => {
      resumedFrom = 0;
      log.warn({ from }, 'server ignored the range: downloading from the start');
    };
    const outcome = await attempt(u, from, opts, restarted).catch((err: unknown): Attempt => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') return { kind: 'fail', code: 'no_space', message: 'the spool filled up while downloading' };
      return { kind: 'fail', code: 'io_error', message: `cannot write the spool file: ${code ?? String(err)}` };
    });
    onDisk = await sizeOnDisk(file);
    if (outcome.kind === 'done') {
      log.info({ bytes: onDisk, attempts, resumedFrom }, 'image downloaded');
      return { ok: true, bytes: onDisk, resumedFrom, attempts };
    }
    if (outcome.kind === 'fail') {
      if (outcome.remove) {
        await rm(file, { force: true });
        onDisk = 0;
      }
      if (outcome.code === 'aborted') log.info({ bytes: onDisk }, 'download aborted');
      else log.warn({ code: outcome.code, bytes: onDisk, attempts }, `download failed: ${outcome.message}`);
      return fail(outcome.code, outcome.message);
    }
    if (outcome.kind === 'restart') {
      // No backoff: the server answered; it just cannot continue our bytes.
      log.warn({ from, why: outcome.why }, 'cannot resume: downloading from the start');
      await truncateFile(file);
      onDisk = 0;
      resumedFrom = 0;
      continue;
    }
    // retry: an attempt that added bytes resets the count; one that did not uses up one try.
    if (onDisk > best) {
      best = onDisk;
      failures = 1;
    } else failures++;
    if (failures >= retry.attempts) {
      log.warn({ bytes: onDisk, attempts }, `download gave up: ${outcome.why}`);
      return fail('network', `download from ${u.host} failed ${failures} times in a row: ${outcome.why}`);
    }
    const nominal = Math.min(retry.maxMs, retry.minMs * 2 ** Math.min(failures - 1, 30));
    const delayMs = Math.max(Math.round(nominal / 2 + Math.random() * (nominal / 2)), outcome.retryAfterMs ?? 0);
    const slept = sleep(clock, delayMs, signal);
    log.warn({ why: outcome.why, bytes: onDisk, attempt: attempts, delayMs }, 'download retry');
    if (!(await slept)) return fail('aborted', 'download aborted');
  }
}

/**
 * One HTTP request: resolves with what to do next; rejects only with
 * file-system errors. `onRestart` is told when a 200 replaces the bytes on disk.
 */
async function attempt(u: URL, from: number, opts: DownloadOptions, onRestart: () => void): Promise<Attempt> {
  const { file, expectedSize, clock, signal } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (from > 0) headers.range = `bytes=${from}-`;
  const reqOpts: RequestOptions = {
    method: 'GET',
    headers,
    // A fresh connection per attempt: a kept-alive socket is exactly what a cut leaves half dead.
    agent: false,
    ...(opts.ca ? { ca: [...rootCertificates, opts.ca.toString('utf8')] } : {}),
  };

  const req = request(u, reqOpts);
  // Why we cut the request ourselves: the response stream then only says "aborted".
  let stopped: 'aborted' | 'stalled' | null = null;
  const stop = (why: 'aborted' | 'stalled'): void => {
    stopped ??= why;
    req.destroy();
  };
  let lastByteAt = clock.monotonic();
  let watchdog: Timer | null = null;
  const watch = (ms: number): void => {
    watchdog = clock.setTimeout(() => {
      const idle = clock.monotonic() - lastByteAt;
      if (idle >= timeoutMs) stop('stalled');
      else watch(timeoutMs - idle);
    }, ms);
  };
  watch(timeoutMs);
  const onAbort = (): void => stop('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  const outcomeOf = (err: Error): Attempt => {
    if (stopped === 'aborted') return { kind: 'fail', code: 'aborted', message: 'download aborted' };
    if (stopped === 'stalled') return { kind: 'retry', why: `no data for ${timeoutMs} ms` };
    // The error code only: a message may quote the request.
    return { kind: 'retry', why: (err as NodeJS.ErrnoException).code ?? err.message };
  };

  let fh: FileHandle | null = null;
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      // Kept for the request's whole life: an 'error' without a listener would crash the process.
      req.on('error', reject);
      req.end();
    }).catch((err: unknown) => err as Error);
    if (res instanceof Error) return outcomeOf(res);
    lastByteAt = clock.monotonic();

    const status = res.statusCode ?? 0;
    const decision = judgeResponse(res, status, from, opts);
    if (decision) {
      res.resume();
      return decision;
    }
    // 200: the whole image, whatever was asked; 206 checked to continue exactly at `from`.
    let written = status === 200 ? 0 : from;
    fh = await open(file, 'a');
    if (status === 200 && from > 0) {
      await fh.truncate(0);
      onRestart();
    }
    let unsynced = 0;
    const take = async (chunk: Buffer): Promise<Attempt | null> => {
      if (written + chunk.length > expectedSize) {
        return { kind: 'fail', code: 'size_mismatch', message: `${u.host} sent more than the expected ${expectedSize} bytes`, remove: true };
      }
      await writeAll(fh!, chunk);
      written += chunk.length;
      unsynced += chunk.length;
      if (unsynced >= SYNC_EVERY_BYTES) {
        await fh!.sync();
        unsynced = 0;
      }
      opts.onProgress?.(written);
      return null;
    };
    // When the server closes mid-body, Node destroys the response with its
    // buffer (up to a TLS record) still unread. Read that out as the socket
    // ends, so the resume point is every byte that arrived, not ~16 KB less.
    const salvaged: Buffer[] = [];
    res.socket?.once('end', () => {
      if (res.complete) return;
      for (let c: Buffer | null; (c = res.read() as Buffer | null) !== null; ) salvaged.push(c);
    });
    let broken: Error | null = null;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        lastByteAt = clock.monotonic();
        const stop = await take(chunk);
        if (stop) return stop;
      }
    } catch (err) {
      if (isFsError(err)) throw err;
      broken = err as Error;
    }
    for (const chunk of salvaged.splice(0)) {
      const stop = await take(chunk);
      if (stop) return stop;
    }
    if (broken) return outcomeOf(broken);
    if (written !== expectedSize) {
      return { kind: 'fail', code: 'size_mismatch', message: `${u.host} sent ${written} of the expected ${expectedSize} bytes`, remove: true };
    }
    await fh.sync();
    return { kind: 'done' };
  } finally {
    (watchdog as Timer | null)?.cancel();
    signal?.removeEventListener('abort', onAbort);
    req.destroy();
    if (fh) {
      // Whatever was written stays (it is the resume point): flush it before the next attempt stats the file.
      await fh.sync().catch(() => undefined);
      await fh.close().catch(() => undefined);
    }
  }
}

/** Everything decidable from the status line and headers; null = write the body. */
function judgeResponse(res: IncomingMessage, status: number, from: number, opts: DownloadOptions): Attempt | null {
  const { expectedSize, maxBytes } = opts;
  const length = res.headers['content-length'] === undefined ? null : Number(res.headers['content-length']);
  if (status === 200) {
    if (length !== null && length > maxBytes) return { kind: 'fail', code: 'image_too_large', message: `server offers ${length} bytes, the device takes at most ${maxBytes}`, remove: true };
    if (length !== null && length !== expectedSize) return { kind: 'fail', code: 'size_mismatch', message: `server offers ${length} bytes, the manifest says ${expectedSize}`, remove: true };
    return null;
  }
  if (status === 206) {
    const range = parseContentRange(res.headers['content-range']);
    if (range && range.total !== null && range.total > maxBytes) return { kind: 'fail', code: 'image_too_large', message: `server holds ${range.total} bytes, the device takes at most ${maxBytes}`, remove: true };
    if (range && range.start === from && range.total === expectedSize) return null;
    const why = `asked from ${from}, got content-range ${res.headers['content-range'] ?? 'none'}`;
    // From 0 there is nothing to start over from: the server's image is not ours.
    if (from === 0) return { kind: 'fail', code: 'size_mismatch', message: `unusable partial answer: ${why}`, remove: true };
    return { kind: 'restart', why };
  }
  if (status === 416) {
    const range = parseContentRange(res.headers['content-range']);
    if (from === expectedSize && (!range || range.total === null || range.total === expectedSize)) return { kind: 'done' };
    if (from === 0) return { kind: 'fail', code: 'http_416', message: `${new URL(opts.url).host} answered HTTP 416 to a plain GET` };
    return { kind: 'restart', why: `416 for bytes=${from}-` };
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers['retry-after'], opts.clock.now());
    return { kind: 'retry', why: `HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: 'fail', code: `http_${status}`, message: `${new URL(opts.url).host} answered HTTP ${status}` };
}

function isFsError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'syscall' in err && ['write', 'fsync', 'open', 'ftruncate'].includes(String((err as NodeJS.ErrnoException).syscall));
}

/** `bytes a-b/T`, `bytes a-b/*` or `bytes * /T`. */
export function parseContentRange(value: string | undefined): { start: number | null; total: number | null } | null {
  const m = value ? /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i.exec(value.trim()) : null;
  if (!m) return null;
  return { start: m[1] === undefined ? null : Number(m[1]), total: m[3] === '*' ? null : Number(m[3]) };
}

/** Retry-After: delta seconds or an HTTP date; clamped to [0, MAX_RETRY_AFTER_MS]. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const ms = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - nowMs;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  // write(2) may be short when the disk fills; the next call then reports ENOSPC.
  let off = 0;
  while (off < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
    off += bytesWritten;
  }
}

async function sizeOnDisk(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function truncateFile(file: string): Promise<void> {
  const fh = await open(file, 'a');
  try {
    await fh.truncate(0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Resolves true after ms on the clock, false at once if the signal aborts first. */
function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
