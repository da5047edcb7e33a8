import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { LOCAL_WS_SERVER_OPTIONS, localWsTransport, splitOfferedProtocols, talkCloseCode } from '../../talkback/local-ws-transport.js';
import type { TalkTransport } from '../../talkback/transport.js';
import type { ApiAuditAction, ApiAuditEvent } from './access.js';

/**
 * The HTTP side of `GET /v1/talkback/ws`: what happens around the upgrade.
 * Authentication and the scope check are the server's global hook, as for
 * every route (the upgrade request is routed through fastify like any other,
 * see local-api.ts); this module adds what only a WebSocket needs — the
 * token offered as a subprotocol, the Origin check against cross-site
 * WebSocket hijacking — and hands the accepted socket to the talkback
 * feature as a TalkTransport. It never runs a session itself.
 */

/** What the server needs of the talkback feature (src/talkback/talkback-service.ts has it). */
export interface LocalTalkback {
  openLocalSession(
    transport: TalkTransport,
    request: { codec: { name: string; sampleRate?: number }; principal: string; source: string },
  ): Promise<{ ok: true; sessionId: string; done: Promise<{ reason: string; durationMs: number }> } | { ok: false; code: string; message: string }>;
}

export const TALK_PATH = '/v1/talkback/ws';

/** The raw socket and first bytes of an upgrade request, kept until its route decides. */
export interface PendingUpgrade {
  socket: Duplex;
  head: Buffer;
}

/** What the route hands over for one accepted socket. */
export interface TalkRequest {
  codec: { name: string; sampleRate?: number };
  /** Token id of the principal: the part of a token that may be logged. */
  principal: string;
  /** The socket's peer address (not a header). */
  source: string;
  /** Records for the request's principal and source (the route's ctx.audit). */
  audit(action: ApiAuditAction, result: ApiAuditEvent['result'], details?: Record<string, unknown>): void;
}

const VIA = 'local_ws';
/** A close reason is ≤ 123 bytes of UTF-8 (RFC 6455 §5.5); a refusal code fits in far less. */
const MAX_REASON_CHARS = 64;

/**
 * Browsers cannot set headers on a WebSocket: a `bearer.<token>` subprotocol
 * becomes the Authorization header the auth hook reads, and is removed from
 * the offered list so it can never be selected or echoed. A token in both
 * places, or two tokens, is ambiguous: the header is made a repeated one,
 * which auth refuses as an invalid token (never "the first one wins").
 */
export function moveSubprotocolToken(req: IncomingMessage): void {
  const offered = req.headers['sec-websocket-protocol'];
  if (offered === undefined) return;
  const { tokens, others } = splitOfferedProtocols(offered);
  if (!tokens.length) return;
  if (others.length) req.headers['sec-websocket-protocol'] = others.join(', ');
  else delete req.headers['sec-websocket-protocol'];
  const given = req.headers.authorization;
  const fromProtocol = tokens.map((t) => `Bearer ${t}`);
  if (given === undefined && fromProtocol.length === 1) req.headers.authorization = fromProtocol[0]!;
  else (req.headers as Record<string, unknown>).authorization = [...(given === undefined ? [] : [given]), ...fromProtocol];
}

/**
 * Cross-site WebSocket hijacking: a page elsewhere may open a socket to the
 * camera (WebSockets are not bound by CORS), and the browser says where it
 * came from in Origin. With an Origin, it must be this API itself (https,
 * same host and port as the Host header); without one the client is not a
 * browser and the token alone decides.
 */
export function originAllowed(origin: string | string[] | undefined, host: string | string[] | undefined): boolean {
  if (origin === undefined) return true;
  if (typeof origin !== 'string' || typeof host !== 'string' || host === '') return false;
  try {
    const o = new URL(origin);
    const h = new URL(`https://${host}`);
    return o.protocol === 'https:' && o.host === h.host && o.pathname === '/' && !o.username && !o.password;
  } catch {
    // `null` (sandboxed frames, file://) and anything unparseable.
    return false;
  }
}

export interface TalkSocketsOptions {
  talkback?: LocalTalkback | undefined;
  clock?: Clock;
  logger?: Logger | undefined;
  /** Default 10 s (ws-transport.ts). */
  pingIntervalMs?: number;
}

/** The talk sockets of one server: accepts them, hands them on, closes them all when the server closes. */
export class TalkSockets {
  readonly #opts: TalkSocketsOptions;
  readonly #wss: WebSocketServer;
  readonly #open = new Set<TalkTransport>();
  #closing = false;

  constructor(opts: TalkSocketsOptions) {
    this.#opts = opts;
    this.#wss = new WebSocketServer({ ...LOCAL_WS_SERVER_OPTIONS });
  }

  /** False when the agent runs without talkback: the route answers 409 before any upgrade. */
  get available(): boolean {
    return this.#opts.talkback !== undefined && !this.#closing;
  }

  /**
   * Completes the upgrade (ws answers 400 to a request that is not a valid
   * WebSocket handshake) and opens a session on the new socket; audits
   * `talkback_start` and, when the session ends, `talkback_stop`.
   */
  accept(req: IncomingMessage, pending: PendingUpgrade, talk: TalkRequest): void {
    this.#wss.handleUpgrade(req, pending.socket, pending.head, (ws) => void this.#run(ws, talk));
  }

  /** Closes every talk socket (code 1000, reason `closed` for the session); resolves when all are closed. */
  async closeAll(): Promise<void> {
    this.#closing = true;
    await Promise.all([...this.#open].map((t) => t.close()));
  }

  async #run(ws: WebSocket, talk: TalkRequest): Promise<void> {
    const { logger } = this.#opts;
    const talkback = this.#opts.talkback;
    if (!talkback || this.#closing) {
      ws.close(talkCloseCode('talkback_disabled'), 'talkback_disabled');
      return;
    }
    const transport = localWsTransport(ws, {
      clock: this.#opts.clock ?? systemClock,
      // The API runs without a logger in some tests and the bench; the transport always wants one.
      logger: logger ?? pino({ level: 'silent' }),
      ...(this.#opts.pingIntervalMs !== undefined ? { pingIntervalMs: this.#opts.pingIntervalMs } : {}),
    });
    this.#open.add(transport);
    transport.onClose(() => this.#open.delete(transport));
    const details = { via: VIA, codec: talk.codec.name };
    let opened: Awaited<ReturnType<LocalTalkback['openLocalSession']>>;
    try {
      opened = await talkback.openLocalSession(transport, { codec: talk.codec, principal: talk.principal, source: talk.source });
    } catch (err) {
      logger?.error({ err }, 'talkback: opening a local session failed');
      talk.audit('talkback_start', { status: 'failed', code: 'internal_error' }, details);
      ws.close(1011, 'internal_error');
      return;
    }
    if (!opened.ok) {
      const reason = /^[a-z0-9_]{1,64}$/.test(opened.code) ? opened.code.slice(0, MAX_REASON_CHARS) : 'refused';
      talk.audit('talkback_start', { status: 'failed', code: reason }, details);
      ws.close(talkCloseCode(opened.code), reason);
      return;
    }
    talk.audit('talkback_start', { status: 'ok' }, details);
    opened.done.then(
      (end) => talk.audit('talkback_stop', { status: 'ok' }, { via: VIA, reason: end.reason, durationMs: Math.round(end.durationMs) }),
      (err: unknown) => {
        logger?.error({ err }, 'talkback: local session ended with an error');
        talk.audit('talkback_stop', { status: 'failed', code: 'internal_error' }, { via: VIA });
      },
    );
  }
}

