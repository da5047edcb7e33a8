/**
 * The stand-in for the CDN / object store that serves firmware images at
 * presigned URLs: HTTPS with the test PKI's server certificate for
 * 127.0.0.1, `Range: bytes=N-` answered with 206 + Content-Range (416 past
 * the end), and knobs to misbehave the way real networks and servers do:
 * cut the connection part-way (`cutAfter`), stop sending without closing
 * (`stallAfter`), ignore ranges, fail the next requests with a status, or
 * send no Content-Length. Images are streamed from disk when given as a
 * file (the bench serves 200 MB).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { WatchedList } from './watched-list.js';

export type ImageSource = Buffer | { file: string };

export interface ImageRequest {
  path: string;
  /** The Range header as received; undefined when none. */
  range: string | undefined;
  status: number;
  /** Body bytes sent so far. */
  bytes: number;
}

/** A position in the image: a fraction (0 < x < 1) of its size, or an absolute byte offset (≥ 1). */
export type ImageOffset = number;

export interface ImageServer {
  origin: string;
  url(path: string, query?: string | Record<string, string>): string;
  setImage(path: string, src: ImageSource): void;
  /** The next response (one per call, in order) closes the connection once the image offset is reached. */
  cutAfter(at: ImageOffset): void;
  /** The next response (one per call) stops sending at that offset and keeps the connection open. */
  stallAfter(at: ImageOffset): void;
  /** Answer range requests with 200 and the whole image, as some servers do. */
  ignoreRange(on: boolean): void;
  /** Send the body chunked, without Content-Length. */
  omitLength(on: boolean): void;
  failNext(n: number, status?: number, retryAfter?: string): void;
  requests: ImageRequest[];
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<ImageRequest[]>;
  close(): Promise<void>;
}

export interface ImageServerOptions {
  /** Bytes per write when streaming (default 64 KB). */
  chunkBytes?: number;
}

/** Bench processes have no tap Test: pass null and call close() yourself. */
export async function startImageServer(t: Test | null, tls: { cert: Buffer; key: Buffer }, opts: ImageServerOptions = {}): Promise<ImageServer> {
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  const images = new Map<string, ImageSource>();
  const log = new WatchedList<ImageRequest>();
  const cuts: Array<{ at: ImageOffset; stall: boolean }> = [];
  let rangeIgnored = false;
  let lengthOmitted = false;
  let failing = 0;
  let failStatus = 503;
  let failRetryAfter: string | undefined;

  const sizeOf = async (src: ImageSource): Promise<number> => (Buffer.isBuffer(src) ? src.length : (await stat(src.file)).size);
  const offset = (at: ImageOffset, size: number): number => (at > 0 && at < 1 ? Math.floor(at * size) : Math.floor(at));

  const serve = async (res: ServerResponse, entry: ImageRequest, src: ImageSource, start: number, end: number, size: number): Promise<void> => {
    const cut = cuts.shift();
    const stopAt = cut ? Math.min(end + 1, Math.max(start, offset(cut.at, size))) : end + 1;
    const source = Buffer.isBuffer(src)
      ? chunksOf(src, start, stopAt, chunkBytes)
      : stopAt > start
        ? createReadStream(src.file, { start, end: stopAt - 1, highWaterMark: chunkBytes })
        : [];
    let flushed: Promise<void> = Promise.resolve();
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (res.destroyed) return;
      entry.bytes += chunk.length;
      let ok = true;
      flushed = new Promise<void>((resolve) => (ok = res.write(chunk, () => resolve())));
      if (!ok) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (!cut) {
      res.end();
      return;
    }
    // Let what was written reach the socket, then cut (or just stop talking).
    await flushed;
    if (!cut.stall) res.socket?.destroy();
  };

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const range = req.headers.range;
    const entry: ImageRequest = { path: url.pathname, range, status: 0, bytes: 0 };
    const answer = (status: number, headers: Record<string, string | number> = {}): void => {
      entry.status = status;
      res.writeHead(status, headers);
    };
    void (async () => {
      const src = images.get(url.pathname);
      if (req.method !== 'GET') {
        answer(405);
        res.end();
      } else if (failing > 0) {
        failing--;
        answer(failStatus, failRetryAfter ? { 'retry-after': failRetryAfter } : {});
        res.end('try later');
      } else if (!src) {
        answer(404);
        res.end('no such image');
      } else {
        const size = await sizeOf(src);
        const m = range && !rangeIgnored ? /^bytes=(\d+)-$/.exec(range) : null;
        const start = m ? Number(m[1]) : 0;
        if (m && start >= size) {
          answer(416, { 'content-range': `bytes */${size}` });
          res.end();
        } else {
          const length = size - start;
          const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
          if (!lengthOmitted) headers['content-length'] = length;
          if (m) headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
          answer(m ? 206 : 200, headers);
          log.push(entry);
          await serve(res, entry, src, start, size - 1, size);
          return;
        }
      }
      log.push(entry);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `https://127.0.0.1:${port}`;
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  t?.teardown(close);
  return {
    origin,
    url(path, query) {
      const q = typeof query === 'string' ? query : query ? new URLSearchParams(query).toString() : '';
      return `${origin}${path}${q ? `?${q}` : ''}`;
    },
    setImage: (path, src) => void images.set(path, src),
    cutAfter: (at) => void cuts.push({ at, stall: false }),
    stallAfter: (at) => void cuts.push({ at, stall: true }),
    ignoreRange: (on) => void (rangeIgnored = on),
    omitLength: (on) => void (lengthOmitted = on),
    failNext(n, status = 503, retryAfter) {
      failing = n;
      failStatus = status;
      failRetryAfter = retryAfter;
    },
    requests: log.items,
    waitForRequests: (count, timeoutMs = 10_000) => log.waitFor(() => true, count, timeoutMs, (found) => `timed out waiting for ${count} image request(s); have ${found}`),
    close,
  };
}

function* chunksOf(buf: Buffer, start: number, stop: number, size: number): Generator<Buffer> {
  for (let i = start; i < stop; i += size) yield buf.subarray(i, Math.min(stop, i + size));
}
