/**
 * The stand-in for a presigned-URL object store: an HTTPS server (the test
 * PKI's server certificate for 127.0.0.1) that stores every PUT body by
 * path. `failNext(n, status)` makes the next n PUTs fail, to test retries.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { WatchedList } from './watched-list.js';

export interface StoredUpload {
  path: string;
  query: string;
  body: Buffer;
  contentType: string | undefined;
  at: number;
}

export interface UploadServer {
  origin: string;
  uploads: StoredUpload[];
  /** Every PUT, failed or not, with its status and time. */
  attempts: Array<{ path: string; status: number; at: number }>;
  failNext(n: number, status?: number): void;
  waitFor(pred: (u: StoredUpload) => boolean, timeoutMs?: number, count?: number): Promise<StoredUpload[]>;
  close(): Promise<void>;
}

export async function startUploadServer(t: Test, tls: { cert: Buffer; key: Buffer }): Promise<UploadServer> {
  const stored = new WatchedList<StoredUpload>();
  const uploads = stored.items;
  const attempts: UploadServer['attempts'] = [];
  let failing = 0;
  let failStatus = 503;
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      if (req.method !== 'PUT') {
        res.writeHead(405).end();
        return;
      }
      if (failing > 0) {
        failing--;
        attempts.push({ path: url.pathname, status: failStatus, at: Date.now() });
        res.writeHead(failStatus).end('try later');
        return;
      }
      attempts.push({ path: url.pathname, status: 200, at: Date.now() });
      stored.push({ path: url.pathname, query: url.search, body: Buffer.concat(chunks), contentType: req.headers['content-type'], at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  t.teardown(close);
  return {
    origin: `https://127.0.0.1:${port}`,
    uploads,
    attempts,
    failNext(n, status = 503) {
      failing = n;
      failStatus = status;
    },
    waitFor(pred, timeoutMs = 10_000, count = 1) {
      return stored.waitFor(pred, count, timeoutMs, (found) => `timed out waiting for ${count} upload(s); have ${found}`);
    },
    close,
  };
}
