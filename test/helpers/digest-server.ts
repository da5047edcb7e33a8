import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { parseAuthenticate } from '../../src/alarm/digest-auth.js';

/**
 * A local snapshot endpoint behind HTTP Digest (RFC 7616, qop=auth), the way
 * streamers serve their ONVIF snapshot URI. Checks the response hash, the
 * nonce it issued and a strictly increasing nonce count; knobs for the
 * failure modes the capture must survive (slow answers, cached bytes, stale
 * headers, stale nonces).
 */
export interface DigestServerOptions {
  user: string;
  password: string;
  algorithm?: 'MD5' | 'SHA-256';
  realm?: string;
  /** The body of each 200 answer; called per request. */
  image: () => Buffer;
  contentType?: string;
  /** Delay before answering an authenticated request (not the challenge). */
  delayMs?: number;
  /** Extra headers on the 200 answer (Last-Modified, Age…). */
  headers?: () => Record<string, string>;
}

export interface DigestServer {
  url: string;
  /** Every request: whether it carried Authorization, and the answer status. */
  requests: Array<{ authorized: boolean; status: number; cacheControl: string | undefined; nc?: string }>;
  /** Forget issued nonces: the next pre-emptive answer gets `stale=true`. */
  expireNonces(): void;
  set(opts: Partial<DigestServerOptions>): void;
  close(): Promise<void>;
}

export async function startDigestServer(initial: DigestServerOptions): Promise<DigestServer> {
  const opts: DigestServerOptions = { algorithm: 'MD5', realm: 'camera', contentType: 'image/jpeg', ...initial };
  const nonces = new Map<string, number>(); // nonce → last nc
  const requests: DigestServer['requests'] = [];
  const pending = new Set<ServerResponse>();
  const H = (s: string): string => createHash(opts.algorithm === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex');

  const challenge = (res: ServerResponse, stale: boolean): void => {
    const nonce = randomBytes(12).toString('hex');
    nonces.set(nonce, 0);
    res.setHeader(
      'WWW-Authenticate',
      `Digest realm="${opts.realm}", qop="auth", nonce="${nonce}", opaque="op4que", algorithm=${opts.algorithm}${stale ? ', stale=true' : ''}`,
    );
    res.statusCode = 401;
    res.end('unauthorized');
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const header = req.headers.authorization;
    const record = { authorized: header !== undefined, status: 0, cacheControl: req.headers['cache-control'] as string | undefined } as DigestServer['requests'][number];
    requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    const c = header ? parseAuthenticate([header])[0] : undefined;
    if (!c || c.scheme !== 'digest') return challenge(res, false);
    const p = c.params;
    record.nc = p.nc;
    const last = nonces.get(p.nonce ?? '');
    if (last === undefined) return challenge(res, true);
    const nc = parseInt(p.nc ?? '0', 16);
    const ha1 = H(`${p.username}:${opts.realm}:${opts.password}`);
    const ha2 = H(`${req.method}:${p.uri}`);
    const expected = H(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
    if (p.username !== opts.user || p.response !== expected || p.uri !== req.url || p.opaque !== 'op4que' || !(nc > last)) {
      return challenge(res, false);
    }
    nonces.set(p.nonce!, nc);
    const answer = (): void => {
      pending.delete(res);
      if (res.destroyed) return;
      const body = opts.image();
      res.writeHead(200, { 'content-type': opts.contentType!, 'content-length': body.length, ...(opts.headers?.() ?? {}) });
      res.end(body);
    };
    if (opts.delayMs) {
      pending.add(res);
      setTimeout(answer, opts.delayMs).unref();
    } else answer();
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/onvif/snapshot.jpg?channel=1`,
    requests,
    expireNonces: () => nonces.clear(),
    set: (o) => Object.assign(opts, o),
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of pending) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
