import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../../log/logger.js';
import { isWifiScanError } from '../../network/wifi-scan.js';
import { decodeUtf8 } from '../payload/utf8.js';
import { BODY_FIELD, checkBody, type FieldError, type ObjectSchema } from './body-schema.js';
import { decodeBase64Strict, type Envelope } from './envelope.js';
import { ProvActionError, type ProvisioningActions } from './prov-actions.js';
import {
  BIND_SCHEMA,
  BODY_LIMIT_BYTES,
  EMPTY_SCHEMA,
  ENVELOPE_SCHEMA,
  INIT_SCHEMA,
  parseBind,
  parseWifiConfig,
  scanEntry,
  VERIFY_SCHEMA,
  WIFI_CONFIG_SCHEMA,
} from './prov-bodies.js';
import type { ProvisioningSessions, SessionError, SessionErrorCode } from './prov-session.js';

/**
 * The `/prov/v1` HTTP API (provisioning.md §6.5 table) over the session
 * layer (prov-session.ts) and the device actions (prov-actions.ts). Handlers
 * only translate: check the body, open the envelope, call one action, seal
 * the answer. The same plugin serves the soft-AP (192.168.4.1:80) and the
 * LAN bind of an online-unbound camera (§6.6); whoever starts it picks the
 * address.
 *
 *   GET  info                 plain           → {pv, model, sn4, fw, sec, caps, state, lastError}
 *   POST session/init         plain {I, A}    → {sid, s, B}          429 + Retry-After while locked out
 *   POST session/verify       plain {sid, M1} → {M2[, sig, spki]}    401 = wrong code (counted)
 *   POST wifi/scan | wifi/config | bind | apply | status | reset | finish
 *        Authorization: Prov1 <sid>, body {seq, ct} → 200 {seq, ct}
 *
 * Errors are `{"error":{"code","message","fields"?,"retryAfterMs"?}}`.
 * Before an envelope is opened (no/unknown session, bad envelope, replay)
 * the error is plain JSON; once it has opened, every answer — errors with
 * field lists included — is sealed, so nothing about the contents (not even
 * "the SSID is 33 bytes") crosses the air in clear. A 401 carries
 * `WWW-Authenticate: Prov1`.
 *
 * No CORS: a web page in the phone's browser cannot send JSON here (the
 * preflight is never answered), so a malicious page cannot drive the API.
 */
export const PROV_API_PREFIX = '/prov/v1';
export const DEFAULT_CAPS: readonly string[] = ['scan', 'hidden', 'sae', 'bind', 'tz'];

export interface ProvisioningApiDeps {
  sessions: ProvisioningSessions;
  actions: ProvisioningActions;
  logger?: Logger;
  /** `caps` in /info; default DEFAULT_CAPS. */
  caps?: readonly string[];
}

export interface ApiError {
  code: string;
  message: string;
  fields?: FieldError[];
  retryAfterMs?: number;
}

const SESSION_STATUS: Record<SessionErrorCode, number> = {
  locked_out: 429,
  identity_mismatch: 400,
  srp_invalid_public_key: 400,
  srp_invalid_scrambler: 400,
  srp_proof_mismatch: 401,
  too_many_sessions: 503,
  session_unknown: 401,
  session_not_verified: 401,
  envelope_replayed: 400,
  envelope_auth_failed: 400,
};

const SESSION_FIELD: Partial<Record<SessionErrorCode, string>> = {
  identity_mismatch: 'I',
  srp_invalid_public_key: 'A',
  envelope_replayed: 'seq',
};

/** Thrown by the schema check fastify runs; mapped to 400 with the field list. */
class BodyRejected extends Error {
  readonly statusCode = 400;

  constructor(readonly fields: FieldError[]) {
    super('the request body is not valid');
  }
}

const AUTHORIZATION = /^Prov1 ([A-Za-z0-9+/]{22}==)$/;

/** Retry-After is whole seconds (RFC 9110 §10.2.3); never 0 while still locked. */
function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

function errorBody(error: ApiError): { error: ApiError } {
  return { error };
}

function sessionError(error: SessionError): ApiError {
  const field = SESSION_FIELD[error.code];
  return {
    code: error.code,
    message: error.message,
    ...(field ? { fields: [{ field, code: error.code, message: error.message }] } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  };
}

function sendError(reply: FastifyReply, status: number, error: ApiError): FastifyReply {
  if (error.retryAfterMs !== undefined) reply.header('retry-after', retryAfterSeconds(error.retryAfterMs));
  if (status === 401) reply.header('www-authenticate', 'Prov1');
  return reply.code(status).send(errorBody(error));
}

/** A framework error (body parsing, size, media type, schema) as our error shape. */
function frameworkError(err: { code?: string; statusCode?: number; message: string }, bodyLimit: number): { status: number; error: ApiError } {
  if (err instanceof BodyRejected) return { status: 400, error: { code: 'invalid_body', message: err.message, fields: err.fields } };
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        error: { code: 'body_too_large', message: `at most ${bodyLimit} bytes`, fields: [{ field: BODY_FIELD, code: 'too_large', message: `at most ${bodyLimit} bytes` }] },
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, error: { code: 'unsupported_media_type', message: 'send Content-Type: application/json' } };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, error: { code: 'invalid_body', message: 'the body is empty', fields: [{ field: BODY_FIELD, code: 'missing', message: 'a JSON object is required' }] } };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, error: { code: 'bad_request', message: 'Content-Length does not match the body' } };
    default:
      break;
  }
  // JSON syntax errors and prototype-poisoning refusals from the JSON parser are plain 400s.
  if (err.statusCode === 400) {
    return { status: 400, error: { code: 'body_not_json', message: 'the body is not valid JSON', fields: [{ field: BODY_FIELD, code: 'bad_json', message: 'not valid JSON' }] } };
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, error: { code: 'bad_request', message: 'the request was refused' } };
  }
  return { status: 500, error: { code: 'internal_error', message: 'internal error' } };
}

/** An action's failure as our error shape; unknown errors lose their message (it might carry data). */
function actionError(err: unknown): { status: number; error: ApiError } {
  if (err instanceof ProvActionError) {
    return {
      status: err.status,
      error: { code: err.code, message: err.message, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) },
    };
  }
  if (isWifiScanError(err)) return { status: 503, error: { code: err.code, message: 'the Wi-Fi scan failed' } };
  return { status: 500, error: { code: 'internal_error', message: 'internal error' } };
}

/** What an encrypted handler returns: the JSON to seal, or the inner body's field errors. */
type Outcome = { ok: true; body: unknown } | { ok: false; fields: FieldError[] };

interface EncryptedRoute {
  path: string;
  schema: ObjectSchema;
  run: (body: Record<string, unknown>) => Promise<Outcome>;
  /** After a 200 answer has been written. */
  answered?: () => void;
}

/**
 * The API as a fastify plugin; register it with `{ prefix: PROV_API_PREFIX }`.
 * It sets its own schema validator, error and not-found handlers inside its
 * prefix only, so other plugins on the same instance (the captive portal)
 * keep the root to themselves.
 */
export function buildProvisioningApi(deps: ProvisioningApiDeps): FastifyPluginAsync {
  const { sessions, actions, logger } = deps;
  const caps = [...(deps.caps ?? DEFAULT_CAPS)];

  return async (app) => {
    const sids = new WeakMap<FastifyRequest, string>();

    app.setValidatorCompiler(({ schema }) => (data: unknown) => {
      const fields = checkBody(schema as ObjectSchema, data);
      return fields.length > 0 ? { error: new BodyRejected(fields) } : { value: data };
    });

    app.setErrorHandler((err, request, reply) => {
      const bodyLimit = request.routeOptions.bodyLimit ?? BODY_LIMIT_BYTES;
      const mapped = frameworkError(err as { code?: string; statusCode?: number; message: string }, bodyLimit);
      if (mapped.status >= 500) logger?.error({ error: errorFacts(err), route: request.routeOptions.url }, 'provisioning API: internal error');
      return sendError(reply, mapped.status, mapped.error);
    });

    // JSON only: fastify would also parse text/plain, the one body type a web page may POST cross-origin without a preflight.
    app.removeContentTypeParser('text/plain');

    app.setNotFoundHandler((_request, reply) => sendError(reply, 404, { code: 'not_found', message: 'no such provisioning endpoint' }));

    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('cache-control', 'no-store');
      return payload;
    });

    app.get('/info', async () => {
      const info = actions.info();
      return {
        pv: 1,
        model: info.model,
        sn4: info.sn4,
        fw: info.fw,
        sec: [`${sessions.suiteId}/aes-256-gcm`],
        caps,
        state: info.state,
        lastError: info.lastError,
      };
    });

    app.post('/session/init', { schema: { body: INIT_SCHEMA }, bodyLimit: 2048 }, async (request, reply) => {
      const body = request.body as { I: string; A: string };
      const clientPublic = decodeBase64Strict(body.A);
      if (!clientPublic) return sendError(reply, 400, invalidField('A', 'bad_base64', 'A must be canonical base64'));
      const result = sessions.init({ identity: body.I, clientPublic, peer: request.ip });
      if (!result.ok) return sendError(reply, SESSION_STATUS[result.error.code], sessionError(result.error));
      return { sid: result.value.sid, s: b64(result.value.salt), B: b64(result.value.serverPublic) };
    });

    app.post('/session/verify', { schema: { body: VERIFY_SCHEMA }, bodyLimit: 2048 }, async (request, reply) => {
      const body = request.body as { sid: string; M1: string };
      const clientProof = decodeBase64Strict(body.M1);
      if (!clientProof) return sendError(reply, 400, invalidField('M1', 'bad_base64', 'M1 must be canonical base64'));
      const result = await sessions.verify({ sid: body.sid, clientProof });
      if (!result.ok) return sendError(reply, SESSION_STATUS[result.error.code], sessionError(result.error));
      const { serverProof, signature, publicKey } = result.value;
      return { M2: b64(serverProof), ...(signature && publicKey ? { sig: b64(signature), spki: b64(publicKey) } : {}) };
    });

    const encrypted = (route: EncryptedRoute): void => {
      const answered = new WeakSet<FastifyRequest>();
      app.post(
        route.path,
        {
          schema: { body: ENVELOPE_SCHEMA },
          bodyLimit: BODY_LIMIT_BYTES,
          // Before the body is read: nobody without a session gets their body parsed.
          onRequest: async (request, reply) => {
            const header = request.headers.authorization;
            const m = typeof header === 'string' ? AUTHORIZATION.exec(header) : null;
            if (!m) return sendError(reply, 401, { code: 'session_required', message: 'send Authorization: Prov1 <sid> from session/init' });
            const auth = sessions.authenticate(m[1]!);
            if (!auth.ok) return sendError(reply, 401, sessionError(auth.error));
            sids.set(request, m[1]!);
          },
          onResponse: async (request, reply) => {
            if (route.answered && answered.has(request) && reply.statusCode === 200) route.answered();
          },
        },
        async (request, reply) => {
          const envelope = request.body as Envelope;
          const ct = decodeBase64Strict(envelope.ct);
          if (!ct) return sendError(reply, 400, invalidField('ct', 'bad_base64', 'ct must be canonical base64'));
          const opened = sessions.openRequest({
            sid: sids.get(request)!,
            method: request.method,
            path: request.routeOptions.url ?? `${PROV_API_PREFIX}${route.path}`,
            seq: envelope.seq,
            ct,
          });
          if (!opened.ok) return sendError(reply, SESSION_STATUS[opened.error.code], sessionError(opened.error));
          const seal = (status: number, body: unknown): FastifyReply => {
            const error = (body as { error?: ApiError }).error;
            if (error?.retryAfterMs !== undefined) reply.header('retry-after', retryAfterSeconds(error.retryAfterMs));
            return reply.code(status).send(opened.value.seal(Buffer.from(JSON.stringify(body), 'utf8')));
          };

          const text = decodeUtf8(opened.value.plaintext);
          let inner: unknown;
          try {
            inner = text === null ? undefined : JSON.parse(text);
          } catch {
            inner = undefined;
          }
          if (inner === undefined) {
            return seal(400, errorBody({ code: 'body_not_json', message: 'the sealed body is not JSON', fields: [{ field: BODY_FIELD, code: 'bad_json', message: 'not valid JSON' }] }));
          }
          const fields = checkBody(route.schema, inner);
          if (fields.length > 0) return seal(400, errorBody({ code: 'invalid_body', message: 'the request body is not valid', fields }));
          try {
            const outcome = await route.run(inner as Record<string, unknown>);
            if (!outcome.ok) return seal(400, errorBody({ code: 'invalid_body', message: 'the request body is not valid', fields: outcome.fields }));
            answered.add(request);
            return seal(200, outcome.body);
          } catch (err) {
            const mapped = actionError(err);
            if (mapped.status >= 500 && mapped.error.code === 'internal_error') {
              logger?.error({ error: errorFacts(err), route: route.path }, 'provisioning API: action failed');
            }
            return seal(mapped.status, errorBody(mapped.error));
          }
        },
      );
    };

    const ok = (body: unknown): Outcome => ({ ok: true, body });

    encrypted({
      path: '/wifi/scan',
      schema: EMPTY_SCHEMA,
      run: async () => {
        const { ageS, aps } = await actions.scan();
        return ok({ age: Math.max(0, Math.round(ageS)), aps: aps.map(scanEntry) });
      },
    });

    encrypted({
      path: '/wifi/config',
      schema: WIFI_CONFIG_SCHEMA,
      run: async (body) => {
        const creds = parseWifiConfig(body as Parameters<typeof parseWifiConfig>[0]);
        if (!creds.ok) return creds;
        await actions.setWifi(creds.value);
        return ok({ ok: true });
      },
    });

    encrypted({
      path: '/bind',
      schema: BIND_SCHEMA,
      run: async (body) => {
        const binding = parseBind(body as Parameters<typeof parseBind>[0]);
        if (!binding.ok) return binding;
        await actions.setBinding(binding.value);
        return ok({ ok: true });
      },
    });

    encrypted({
      path: '/apply',
      schema: EMPTY_SCHEMA,
      run: async () => {
        const plan = await actions.apply();
        return ok({ ok: true, apWillDrop: plan.apWillDrop, retryAfterMs: plan.retryAfterMs });
      },
      answered: () => actions.applyAnswered?.(),
    });

    encrypted({ path: '/status', schema: EMPTY_SCHEMA, run: async () => ok(actions.status()) });

    encrypted({
      path: '/reset',
      schema: EMPTY_SCHEMA,
      run: async () => {
        await actions.reset();
        return ok({ ok: true });
      },
    });

    encrypted({
      path: '/finish',
      schema: EMPTY_SCHEMA,
      run: async () => {
        await actions.finish();
        return ok({ ok: true });
      },
    });
  };
}

/**
 * What of a failure goes into the log: its type and code, not its message.
 * The requests here carry a Wi-Fi password and a binding token, and an
 * action's error message might quote them.
 */
function errorFacts(err: unknown): { type: string; code?: string } {
  if (!(err instanceof Error)) return { type: typeof err };
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { type: err.name, code } : { type: err.name };
}

function invalidField(field: string, code: string, message: string): ApiError {
  return { code: 'invalid_body', message: 'the request body is not valid', fields: [{ field, code, message }] };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

// ---------------------------------------------------------------- the server

/** Another fastify plugin to serve on the same address (the captive portal), registered at the root after the API. */
export type ProvServerPlugin =
  | FastifyPluginAsync
  // `any`: each plugin declares its own options type; this list only passes them through.
  | { plugin: FastifyPluginAsync<any>; options?: Record<string, unknown> };

export interface ProvisioningServerOptions extends ProvisioningApiDeps {
  /** 192.168.4.1 (AP mode), the LAN address (LAN bind) or 127.0.0.1 (tests, demo). */
  host: string;
  /** 80 on the soft-AP; 0 picks a free port. */
  port: number;
  /** Server-wide body limit (the API's routes set their own); default 8 KiB. */
  bodyLimit?: number;
  plugins?: readonly ProvServerPlugin[];
  /**
   * Refuse (421) requests whose Host header this returns false for, before
   * any route runs: the LAN-bind server accepts only the camera's own
   * address or .local name (DNS rebinding).
   */
  hostAllowed?: (host: string | undefined) => boolean;
}

export interface ProvisioningServer {
  /** e.g. http://127.0.0.1:41234 (the bound address and port). */
  url: string;
  port: number;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Start a fastify server with the `/prov/v1` API and any extra plugins.
 * Timeouts are short: the clients are two phones on a hotspot, and a slow
 * sender must not hold one of the few sockets a camera can afford.
 */
export async function startProvisioningServer(options: ProvisioningServerOptions): Promise<ProvisioningServer> {
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? BODY_LIMIT_BYTES,
    requestTimeout: 15_000,
    connectionTimeout: 30_000,
    keepAliveTimeout: 5_000,
    forceCloseConnections: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // A URL that does not decode (a stray "%") never reaches a route or error handler: answer in our shape, without echoing it.
    frameworkErrors: (_err, _request, reply) => void sendError(reply, 400, { code: 'bad_request', message: 'the request URL is malformed' }),
  });
  try {
    const hostAllowed = options.hostAllowed;
    if (hostAllowed) {
      app.addHook('onRequest', async (req, reply) => {
        if (!hostAllowed(req.headers.host)) await reply.code(421).send({ error: { code: 'host_not_allowed', message: "use the camera's IP address or .local name" } });
      });
    }
    await app.register(buildProvisioningApi(options), { prefix: PROV_API_PREFIX });
    // Without other plugins (LAN bind) nobody owns the root: answer it in our shape, not fastify's, which echoes the path.
    // With plugins (the captive portal) the root is theirs, not-found handler included.
    if (!options.plugins?.length) app.setNotFoundHandler((_request, reply) => sendError(reply, 404, { code: 'not_found', message: 'no such endpoint' }));
    for (const entry of options.plugins ?? []) {
      if (typeof entry === 'function') await app.register(entry);
      else await app.register(entry.plugin, entry.options ?? {});
    }
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    // EADDRINUSE, EADDRNOTAVAIL (the AP interface is not up yet), a plugin failing to load.
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    app,
    close: () => app.close(),
  };
}
