import type { AddressInfo, Socket } from 'node:net';
import { ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { ApiActions } from './api-actions.js';
import type { ApiAudit, ApiAuditAction, ApiAuditEvent, ApiAuth, ApiPrincipal } from './access.js';
import { mapError, sendError } from './api-error.js';
import { EventStreams } from './event-stream.js';
import { buildOpenApi } from './openapi.js';
import { HANDLERS, type HandlerContext } from './route-handlers.js';
import { PUBLIC, ROUTES, type RouteSpec } from './route-table.js';
import { moveSubprotocolToken, TALK_PATH, TalkSockets, type LocalTalkback, type PendingUpgrade } from './talk-socket.js';

/**
 * The local HTTPS API for field technicians (issue 9 §1, §4): fastify over
 * TLS with the device certificate, `/v1` routes from route-table.ts, each
 * behind the injected auth, audited through the injected audit sink, doing
 * its work through the injected actions. The server owns no device state.
 *
 * Access control runs in one global onRequest hook, before any body is
 * read: authenticate (401/429), then the route's declared scope (403; a
 * route without one is never allowed). Unknown paths answer 401 to a caller
 * without a token and 404 to one with a token, so route names are not
 * disclosed to strangers.
 *
 * WebSocket upgrades (`GET /v1/talkback/ws`) are routed through fastify
 * too, over a response object bound to the raw socket (as
 * @fastify/websocket does): the same hook authenticates them, and a refusal
 * is a plain HTTP answer (401/403/429…) after which the socket is closed.
 * Only the route's handler completes an upgrade.
 */

export interface LocalApiLimits {
  /** Largest JSON body; zones (16 × 64 points) and config patches fit in far less. */
  bodyBytes: number;
  /** Request line + headers (Node's maxHeaderSize); over it → 431. */
  headerBytes: number;
  /** Headers beyond this count are dropped by Node. */
  headersCount: number;
  /** Whole request received within this. */
  requestTimeoutMs: number;
  /** Headers received within this (slowloris). */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Idle socket timeout; event streams send a heartbeat well inside it. */
  idleTimeoutMs: number;
  /** Open event streams (`/v1/events`, `/v1/logs?follow=1`) at most. */
  maxStreams: number;
  /** Open TCP connections at most. */
  maxConnections: number;
}

export const LOCAL_API_LIMITS: Readonly<LocalApiLimits> = {
  bodyBytes: 64 * 1024,
  headerBytes: 8 * 1024,
  headersCount: 64,
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxStreams: 4,
  maxConnections: 64,
};

export interface LocalApiOptions {
  /** Device certificate and key (PEM). Clients pin the certificate's fingerprint from the label. */
  cert: string | Buffer;
  key: string | Buffer;
  /**
   * Address to listen on. The integrator decides, from `api.bind` and the
   * binding state: see bindHostFor(). A change means close() and start again.
   */
  bindHost: string;
  /** `api.port`; 0 picks a free port (tests). */
  port: number;
  auth: ApiAuth;
  audit: ApiAudit;
  actions: ApiActions;
  logger?: Logger;
  /** `info.version` of the OpenAPI document. */
  version?: string;
  limits?: Partial<LocalApiLimits>;
  /**
   * Extra fastify plugins on the same server (the web console). Their
   * routes must declare `config.scope` like every route (PUBLIC for static
   * files): the deny-by-default hook treats them the same way.
   */
  plugins?: ReadonlyArray<{ plugin: import('fastify').FastifyPluginAsync<any>; options?: Record<string, unknown> }>;
  /** Talkback sessions for `GET /v1/talkback/ws`; without it the route answers 409 talkback_unavailable. */
  talkback?: LocalTalkback;
  /** Timers of the talk sockets (keep-alive pings); default the system clock. */
  clock?: Clock;
  /** Keep-alive ping period of talk sockets; default 10 s. */
  talkPingIntervalMs?: number;
}

export interface LocalApi {
  url: string;
  port: number;
  /** Open event streams: a technician has the console (or a log follow) open right now. */
  openStreams(): number;
  close(): Promise<void>;
}

/**
 * `api.bind` empty: loopback until the camera is bound to an account, then
 * every interface; an explicit address is used as given (docs/config.md).
 */
export function bindHostFor(apiBind: string, bound: boolean): string {
  if (apiBind) return apiBind;
  return bound ? '::' : '127.0.0.1';
}

const SNAPSHOT_AUDIT_INTERVAL_MS = 60_000;
/** Tokens remembered for "first use = login" and the snapshot audit throttle. */
const MAX_REMEMBERED_TOKENS = 256;

const AUTH_MESSAGES: Record<number, string> = {
  401: 'a valid bearer token is required',
  403: 'not allowed for this token',
  429: 'too many failed attempts; retry later',
};

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiPrincipal | null;
  }
  interface FastifyContextConfig {
    scope?: string;
    audit?: ApiAuditAction;
  }
}

/** Bounded insertion-ordered map: the oldest key goes first. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_REMEMBERED_TOKENS) map.delete(map.keys().next().value as string);
}

/** Answers a malformed or oversized request before fastify sees it, in the error envelope. */
function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large'] : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout'] : [400, 'bad_request'];
  const body = JSON.stringify({ error: { code, message: 'request refused' } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

export async function startLocalApi(opts: LocalApiOptions): Promise<LocalApi> {
  const limits: LocalApiLimits = { ...LOCAL_API_LIMITS, ...opts.limits };
  const { auth, audit, actions, logger } = opts;
  const streams = new EventStreams(limits.maxStreams);
  const openapiDoc = buildOpenApi({ version: opts.version ?? '1' });

  const app = Fastify({
    https: {
      cert: opts.cert,
      key: opts.key,
      minVersion: 'TLSv1.2',
      maxHeaderSize: limits.headerBytes,
      // How often Node checks requestTimeout/headersTimeout (default 30 s is too coarse for a slowloris).
      connectionsCheckingInterval: 1000,
    } as import('node:https').ServerOptions,
    logger: false,
    bodyLimit: limits.bodyBytes,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    routerOptions: { maxParamLength: 100 },
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    clientErrorHandler: clientError,
    // A URL that does not decode (a stray "%") never reaches the hooks or the error handler: answer in our envelope, without echoing it.
    frameworkErrors: (_err, _req, reply) => void sendError(reply, 400, 'bad_request', 'request refused'),
    // Refuse, never repair: no type coercion, no silent removal of unknown fields, no defaults.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: true, strictTypes: false } },
  });
  app.server.headersTimeout = limits.headersTimeoutMs;
  app.server.maxHeadersCount = limits.headersCount;
  app.server.maxConnections = limits.maxConnections;

  app.decorateRequest('principal', null);

  const talk = new TalkSockets({
    talkback: opts.talkback,
    logger,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.talkPingIntervalMs !== undefined ? { pingIntervalMs: opts.talkPingIntervalMs } : {}),
  });
  const upgrades = new WeakMap<IncomingMessage, PendingUpgrade>();
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgrades.set(req, { socket, head });
    if ((req.url ?? '').split('?', 1)[0] === TALK_PATH) moveSubprotocolToken(req);
    const res = new ServerResponse(req);
    res.assignSocket(socket as Socket);
    // Answered over HTTP (refused, or not a WebSocket route): nothing more comes on this socket.
    res.on('finish', () => socket.end());
    try {
      app.routing(req, res);
    } catch (err) {
      logger?.warn({ err }, 'local API: routing an upgrade request failed');
      socket.destroy();
    }
  });

  const seenTokens = new Map<string, true>();
  const snapshotAudited = new Map<string, number>();

  const record = (req: FastifyRequest, action: ApiAuditAction, result: ApiAuditEvent['result'], details?: Record<string, unknown>): void => {
    const p = req.principal;
    try {
      audit.record({
        who: p ? { type: 'token', tokenId: p.tokenId, role: p.role } : { type: 'anonymous' },
        action,
        from: req.socket.remoteAddress ?? '',
        result,
        ...(details ? { details } : {}),
      });
    } catch (err) {
      logger?.warn({ err }, 'audit record failed');
    }
  };

  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    const scope = config.scope;
    if (scope === PUBLIC) return;
    const from = req.socket.remoteAddress ?? '';
    const outcome = auth.authenticate(req.headers, from);
    if (!outcome.ok) {
      record(req, 'login_failed', { status: 'denied', code: outcome.code }, { route: req.routeOptions.url ?? '/' });
      if (outcome.status === 401) void reply.header('www-authenticate', 'Bearer');
      return sendError(reply, outcome.status, outcome.code, AUTH_MESSAGES[outcome.status] ?? 'refused', outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {});
    }
    req.principal = outcome.principal;
    if (!seenTokens.has(outcome.principal.tokenId)) {
      remember(seenTokens, outcome.principal.tokenId, true);
      record(req, 'login', { status: 'ok' });
    }
    if (req.is404) return;
    // Deny by default: a route registered without a scope is unreachable.
    if (!scope || !auth.authorize(outcome.principal, scope)) {
      if (config.audit) record(req, config.audit, { status: 'denied', code: 'forbidden' }, { scope: scope ?? 'none' });
      return sendError(reply, 403, 'forbidden', AUTH_MESSAGES[403]!);
    }
  });

  app.setNotFoundHandler(async (_req, reply) => sendError(reply, 404, 'not_found', 'no such route'));

  app.setErrorHandler(async (err, req, reply) => {
    const mapped = mapError(err);
    if (mapped.internal) logger?.error({ err, route: req.routeOptions.url }, 'local API handler failed');
    return sendError(reply, mapped.status, mapped.code, mapped.message, {
      ...(mapped.fields ? { fields: mapped.fields } : {}),
      ...(mapped.retryAfterMs !== undefined ? { retryAfterMs: mapped.retryAfterMs } : {}),
    });
  });

  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('cache-control', reply.getHeader('cache-control') ?? 'no-store');
    return payload;
  });

  // Event streams and talk sockets hold their sockets open; end them first or close() would wait on them.
  app.addHook('preClose', async () => {
    streams.closeAll();
    await talk.closeAll();
  });

  const register = (route: RouteSpec): void => {
    const handler = HANDLERS[route.id];
    app.route({
      method: route.method,
      url: route.path,
      config: { scope: route.scope, ...(route.audit ? { audit: route.audit } : {}) },
      schema: { querystring: route.query, ...(route.body ? { body: route.body } : {}) },
      ...(route.bodyOptional
        ? {
            preValidation: async (req: FastifyRequest) => {
              if (req.body === undefined) req.body = {};
            },
          }
        : {}),
      handler: async (req, reply) => {
        const ctx: HandlerContext = {
          req,
          reply,
          principal: req.principal,
          actions,
          streams,
          openapi: () => openapiDoc,
          upgrade: upgrades.get(req.raw) ?? null,
          talk,
          audit: (action, result, details) => record(req, action, result, details),
          shouldAuditSnapshot: () => {
            const id = req.principal?.tokenId ?? '';
            const now = Date.now();
            const last = snapshotAudited.get(id);
            if (last !== undefined && now - last < SNAPSHOT_AUDIT_INTERVAL_MS) return false;
            remember(snapshotAudited, id, now);
            return true;
          },
        };
        return handler(ctx);
      },
    });
  };
  for (const route of ROUTES) register(route);
  for (const extra of opts.plugins ?? []) await app.register(extra.plugin, extra.options ?? {});

  await app.listen({ host: opts.bindHost, port: opts.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = opts.bindHost.includes(':') ? `[${opts.bindHost}]` : opts.bindHost;
  let closing: Promise<void> | null = null;
  return {
    url: `https://${host}:${port}`,
    port,
    openStreams: () => streams.count,
    close: () => (closing ??= app.close()),
  };
}
