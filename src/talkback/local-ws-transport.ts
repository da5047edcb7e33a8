import type { ServerOptions, WebSocket } from 'ws';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { TalkTransport } from './transport.js';
import { WS_TALK_LIMITS, wrapWebSocket } from './ws-transport.js';

/**
 * The talkback path for a technician on the LAN: a WebSocket the local API
 * accepted on `GET /v1/talkback/ws` (src/api/server/local-api.ts does the
 * HTTP side: auth, Origin, audit). Same keep-alive and back-pressure rules
 * as the relay (ws-transport.ts).
 *
 * Browsers cannot set headers on a WebSocket, so the token may come as a
 * subprotocol: the client offers `camera-agent.talk.v1, bearer.<token>`
 * and the server selects `camera-agent.talk.v1`, never the token one.
 */

/** The subprotocol a talk client offers and the server selects. */
export const TALK_SUBPROTOCOL = 'camera-agent.talk.v1';
/** Prefix of the offered subprotocol that carries the bearer token (browsers). */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/**
 * Close codes (RFC 6455 §7.4.2: 4000–4999 are the application's) for a
 * session the camera refused; the close reason is the refusal code itself.
 */
export const TALK_CLOSE_CODES: Readonly<Record<string, number>> = {
  talkback_disabled: 4001,
  busy: 4002,
  privacy_mode: 4003,
  invalid_codec: 4004,
  audio_busy: 4005,
  audio_device_failed: 4006,
};
/** Any other refusal. */
export const TALK_CLOSE_OTHER = 4000;

/** The close code for a refusal code. */
export function talkCloseCode(code: string): number {
  return Object.prototype.hasOwnProperty.call(TALK_CLOSE_CODES, code) ? TALK_CLOSE_CODES[code]! : TALK_CLOSE_OTHER;
}

/** Options for the `ws` server that accepts talk sockets (noServer: the API's HTTPS server hands them over). */
export const LOCAL_WS_SERVER_OPTIONS: Readonly<ServerOptions> = {
  noServer: true,
  clientTracking: false,
  maxPayload: WS_TALK_LIMITS.maxPayloadBytes,
  perMessageDeflate: false,
  // The token subprotocol is never echoed: only ours is ever selected.
  handleProtocols: (offered) => (offered.has(TALK_SUBPROTOCOL) ? TALK_SUBPROTOCOL : false),
};

/**
 * The subprotocols offered in a `Sec-WebSocket-Protocol` value, split into
 * the bearer token(s) and the rest (order kept). A token cannot contain `,`
 * or spaces, so the split is exact.
 */
export function splitOfferedProtocols(header: string | string[] | undefined): { tokens: string[]; others: string[] } {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const tokens: string[] = [];
  const others: string[] = [];
  for (const p of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    if (p.toLowerCase().startsWith(BEARER_SUBPROTOCOL_PREFIX)) tokens.push(p.slice(BEARER_SUBPROTOCOL_PREFIX.length));
    else others.push(p);
  }
  return { tokens, others };
}

export interface LocalWsTransportOptions {
  clock: Clock;
  logger: Logger;
  /** Default 10 s. */
  pingIntervalMs?: number;
}

/** An accepted, open talk socket as a TalkTransport of kind `local`. */
export function localWsTransport(ws: WebSocket, opts: LocalWsTransportOptions): TalkTransport {
  return wrapWebSocket(ws, {
    kind: 'local',
    clock: opts.clock,
    logger: opts.logger.child({ svc: 'talkback', transport: 'local' }),
    ...(opts.pingIntervalMs !== undefined ? { pingIntervalMs: opts.pingIntervalMs } : {}),
  });
}
