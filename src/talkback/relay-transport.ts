import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import WebSocket from 'ws';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { TalkTransport } from './transport.js';
import { WS_TALK_LIMITS, wrapWebSocket } from './ws-transport.js';

/**
 * The talkback path through the cloud relay: a WSS client to the URL the
 * cloud names for the session, authenticated with the session token.
 *
 * Security rules, because the URL comes from the network:
 * - `wss:` only, no userinfo, no fragment, ≤ 2048 characters;
 * - TLS always verified, hostname included (Node's checkServerIdentity), TLS ≥ 1.2;
 *   `ca` adds trust to Node's bundled roots, it never replaces verification;
 * - the token travels in `Authorization: Bearer` (never the URL) and is never
 *   logged; log lines name the relay host only;
 * - no redirects (a 3xx is a refusal), no compression (audio does not
 *   compress, and compressing next to a secret invites CRIME-style attacks).
 *
 * Failure codes: relay_url_invalid (the URL or token breaks the rules),
 * relay_unreachable (DNS, refused, reset, or a 5xx answer — worth a retry),
 * relay_rejected (any other non-101 answer: 401/403 token refused, 404 no
 * such session, 3xx; or a handshake that breaks the WebSocket protocol),
 * relay_tls_failed (certificate or TLS handshake), relay_timeout (no open
 * socket within connectTimeoutMs).
 */

export type RelayConnectCode = 'relay_url_invalid' | 'relay_unreachable' | 'relay_rejected' | 'relay_tls_failed' | 'relay_timeout';

export type RelayConnectResult = { ok: true; transport: TalkTransport } | { ok: false; code: RelayConnectCode; message: string };

export interface RelayConnectOptions {
  url: string;
  /** The session token from the cloud; sent as a bearer header only. */
  token: string;
  /** Extra trust (PEM) on top of Node's bundled roots; undefined = bundled roots only. */
  ca?: Buffer | undefined;
  connectTimeoutMs: number;
  clock: Clock;
  logger: Logger;
  /** Default 10 s. */
  pingIntervalMs?: number;
}

export const MAX_RELAY_URL_CHARS = 2048;

/** A token that can go into a header as-is: visible ASCII, bounded (RFC 9110 field-value, RFC 6750 b64token-ish). */
const HEADER_TOKEN = /^[\x21-\x7e]{1,4096}$/;

/** TLS/certificate failures as Node and OpenSSL name them. */
const TLS_ERROR = /CERT|SSL|TLS|SIGNATURE|ISSUER|EPROTO|ALTNAME|HOSTNAME_MISMATCH|DH_KEY/;

type Failure = { ok: false; code: RelayConnectCode; message: string };

function failure(code: RelayConnectCode, message: string): Failure {
  return { ok: false, code, message };
}

/** Checks a relay URL; null when it may be used. */
export function relayUrlProblem(url: string): string | null {
  if (typeof url !== 'string' || url.length === 0) return 'relay URL is empty';
  if (url.length > MAX_RELAY_URL_CHARS) return `relay URL is longer than ${MAX_RELAY_URL_CHARS} characters`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'relay URL is not a URL';
  }
  if (u.protocol !== 'wss:') return 'relay URL must be wss://';
  if (u.username || u.password || /^wss:\/\/[^/?#]*@/i.test(url)) return 'relay URL must not carry user information';
  if (u.hash || url.includes('#')) return 'relay URL must not have a fragment';
  if (!u.hostname) return 'relay URL has no host';
  return null;
}

function classifyError(err: Error & { code?: string }): Failure {
  const code = err.code ?? '';
  if (TLS_ERROR.test(code) || /certificate|SSL routines|tls/i.test(err.message)) return failure('relay_tls_failed', `TLS to the relay failed (${code || 'handshake'})`);
  if (code.startsWith('WS_ERR_') || /Sec-WebSocket|Invalid WebSocket frame|subprotocol|Unexpected server response/i.test(err.message)) {
    return failure('relay_rejected', 'the relay answered with something that is not a WebSocket handshake');
  }
  return failure('relay_unreachable', `relay not reachable (${code || 'connection failed'})`);
}

export function connectRelay(opts: RelayConnectOptions): Promise<RelayConnectResult> {
  const problem = relayUrlProblem(opts.url);
  if (problem) return Promise.resolve(failure('relay_url_invalid', problem));
  if (typeof opts.token !== 'string' || !HEADER_TOKEN.test(opts.token)) return Promise.resolve(failure('relay_url_invalid', 'session token is not a valid header value'));
  const url = new URL(opts.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const logger = opts.logger.child({ svc: 'talkback', transport: 'relay' });

  return new Promise<RelayConnectResult>((resolve) => {
    let settled = false;
    let ws: WebSocket | undefined;
    const settle = (r: RelayConnectResult): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      if (!r.ok) {
        logger.warn({ host, code: r.code, reason: r.message }, 'talkback: relay connection failed');
        ws?.terminate();
      } else logger.info({ host }, 'talkback: relay connected');
      resolve(r);
    };
    const timer = opts.clock.setTimeout(() => settle(failure('relay_timeout', `no relay connection within ${opts.connectTimeoutMs} ms`)), opts.connectTimeoutMs);
    try {
      ws = new WebSocket(opts.url, {
        headers: { authorization: `Bearer ${opts.token}` },
        ...(opts.ca ? { ca: [...rootCertificates, opts.ca.toString('utf8')] } : {}),
        ...(isIP(host) ? {} : { servername: host }),
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
        maxPayload: WS_TALK_LIMITS.maxPayloadBytes,
        perMessageDeflate: false,
        followRedirects: false,
      });
    } catch (err) {
      settle(failure('relay_url_invalid', `relay URL refused by the WebSocket client (${(err as Error).name})`));
      return;
    }
    const socket = ws;
    // Kept for the socket's whole connecting life: ws emits late errors (an aborted handshake) after we settled.
    const onError = (err: Error & { code?: string }) => settle(classifyError(err));
    socket.on('error', onError);
    socket.once('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      settle(status >= 500 ? failure('relay_unreachable', `relay answered ${status}`) : failure('relay_rejected', `relay refused the session (${status})`));
    });
    socket.once('open', () => {
      if (settled) return;
      socket.off('error', onError);
      const transport = wrapWebSocket(socket, {
        kind: 'relay',
        clock: opts.clock,
        logger,
        ...(opts.pingIntervalMs !== undefined ? { pingIntervalMs: opts.pingIntervalMs } : {}),
      });
      settle({ ok: true, transport });
    });
  });
}
