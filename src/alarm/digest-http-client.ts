import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { digestAuthorization, pickDigestChallenge, type DigestChallenge, type DigestCredentials } from './digest-auth.js';
import { fail, ok, type Result } from './snapshot-error.js';

/**
 * A small HTTP GET client that answers Digest challenges (digest-auth.ts).
 *
 * The challenge (realm, nonce, opaque, algorithm) is cached per origin, so
 * after the first exchange each snapshot is one round trip: we answer the
 * cached nonce pre-emptively with an incremented nonce count (RFC 7616
 * §3.4). Nothing else is cached — least of all a response body.
 *
 * node-onvif's fetchSnapshot() is not used: its Digest state is a module
 * singleton shared by every device, it has no timeout of its own below 3 s
 * and no size limit (test-rigs.md §1).
 */
export interface HttpBody {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface DigestGetOptions {
  /** Whole-request budget, challenge round trip included. */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Larger bodies are cut off and reported as snapshot_invalid_image. */
  maxBodyBytes: number;
}

export interface DigestHttpClientOptions {
  credentials: DigestCredentials;
  /** Client nonce source; random 16 bytes by default (tests pass a fixed one). */
  cnonce?: () => string;
}

interface CachedChallenge {
  challenge: DigestChallenge;
  nc: number;
}

type RawResult = { status: number; headers: IncomingHttpHeaders; body: Buffer; wwwAuthenticate: string[] };

export class DigestHttpClient {
  readonly #challenges = new Map<string, CachedChallenge>();

  constructor(private readonly opts: DigestHttpClientOptions) {}

  /** Forget every cached challenge (new credentials, or the streamer restarted). */
  forgetChallenges(): void {
    this.#challenges.clear();
  }

  async get(url: string, options: DigestGetOptions): Promise<Result<HttpBody>> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return fail('snapshot_http_error', 'snapshot URI is not a valid URL');
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      return fail('snapshot_http_error', `snapshot URI scheme ${target.protocol} is not http(s)`);
    }
    // Credentials never travel in the URL (they would be logged by proxies
    // and by us); they are only used to answer the challenge.
    target.username = '';
    target.password = '';
    const origin = target.origin;
    const uri = `${target.pathname}${target.search}`;
    const deadline = Date.now() + options.timeoutMs;

    // At most: one pre-emptive try with the cached nonce, then one answer to
    // a fresh challenge (plus one more if that nonce went stale in between).
    // A 401 to an answer of a challenge we got in this very call means the
    // credentials are wrong.
    let freshChallenge = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const cached = this.#challenges.get(origin);
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const answering = cached !== undefined;
      if (cached) {
        cached.nc += 1;
        headers.authorization = digestAuthorization(cached.challenge, this.opts.credentials, {
          method: 'GET',
          uri,
          nc: cached.nc,
          cnonce: this.#cnonce(),
        });
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return fail('snapshot_timeout', `snapshot request took longer than ${options.timeoutMs} ms`);
      const res = await request(target, headers, remaining, options.maxBodyBytes);
      if (!res.ok) {
        if (res.error.code === 'snapshot_timeout') {
          return fail('snapshot_timeout', `snapshot request took longer than ${options.timeoutMs} ms`);
        }
        return res;
      }
      const { status } = res.value;
      if (status === 401) {
        const challenge = pickDigestChallenge(res.value.wwwAuthenticate);
        if (challenge === null) {
          this.#challenges.delete(origin);
          return fail('snapshot_unauthorized', 'snapshot URI asks for an authentication scheme we do not speak (Digest MD5/SHA-256 with qop=auth)');
        }
        if (answering && freshChallenge && !challenge.stale) {
          this.#challenges.delete(origin);
          return fail('snapshot_unauthorized', 'snapshot URI refused the configured credentials');
        }
        this.#challenges.set(origin, { challenge, nc: 0 });
        freshChallenge = true;
        continue;
      }
      if (status === 403) {
        this.#challenges.delete(origin);
        return fail('snapshot_unauthorized', 'snapshot URI answered 403 Forbidden');
      }
      if (status !== 200) return fail('snapshot_http_error', `snapshot URI answered HTTP ${status}`);
      return ok({ status, headers: res.value.headers, body: res.value.body });
    }
    this.#challenges.delete(origin);
    return fail('snapshot_unauthorized', 'snapshot URI kept asking for authentication');
  }

  #cnonce(): string {
    return this.opts.cnonce ? this.opts.cnonce() : randomBytes(16).toString('hex');
  }
}

function request(target: URL, headers: Record<string, string>, timeoutMs: number, maxBodyBytes: number): Promise<Result<RawResult>> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: Result<RawResult>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const mod = target.protocol === 'https:' ? https : http;
    const req = mod.request(target, { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          req.destroy();
          settle(fail('snapshot_invalid_image', `snapshot body is larger than ${maxBodyBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        settle(
          ok({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            wwwAuthenticate: res.headersDistinct['www-authenticate'] ?? [],
          }),
        );
      });
      res.on('error', (err) => settle(fail('snapshot_network_error', `snapshot response failed: ${err.message}`)));
      res.on('aborted', () => settle(fail('snapshot_network_error', 'snapshot response was cut off')));
    });
    // A deadline on the whole exchange, not an idle timeout: a server that
    // trickles one byte a second must not hold the alarm.
    const timer = setTimeout(() => {
      settle(fail('snapshot_timeout', 'timeout'));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      settle(fail('snapshot_network_error', `snapshot URI unreachable: ${err.code ?? err.message}`)),
    );
    req.end();
  });
}
