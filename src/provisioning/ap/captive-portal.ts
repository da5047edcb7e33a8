/**
 * The captive portal for phones without the app (provisioning.md §6.5
 * "Browser/captive-portal fallback", issue 8 item 3), as a fastify plugin the
 * provisioning server registers next to /prov/v1.
 *
 * - The OS connectivity probes (§2.4) get a 302 to `http://<gateway>/`, so
 *   the phone opens its captive-portal sheet; a client holding an app
 *   session (and everyone in app mode) gets the exact "online" answer
 *   instead, so the sheet never covers the app (A8).
 * - Any other request naming a host that is not the gateway is redirected
 *   there (A9): with wildcard DNS every name resolves to the camera.
 * - `GET /` is the setup form; `POST /portal/connect` hands the fields to
 *   deps.connect(), which checks the label code under the shared lockout
 *   (A12) and starts the join; `GET /portal/status` and the no-JS
 *   `GET /portal/progress` report how it goes.
 *
 * Handlers only translate HTTP ↔ deps; parsing, the probe policy, the words
 * and the HTML live in the captive-portal-* modules next to this one.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AccessPoint } from '../../network/wifi-scan.js';
import { CONNECT_BODY_LIMIT, parseConnectForm, parseConnectJson, type ConnectField, type ConnectRequest } from './captive-portal-form.js';
import { isLockout, isWrongCode, pickLanguage, reasonText, refusalText, stringsFor } from './captive-portal-messages.js';
import { networkChoices, renderAppModePage, renderPortalPage, renderProgressPage, type FormValues, type PortalState } from './captive-portal-page.js';
import { isGatewayHost, portalUrl, probeAnswer, PROBE_PATHS } from './captive-portal-probes.js';
import { PORTAL_JS } from './portal-assets/portal-script.js';
import { PORTAL_CSS } from './portal-assets/portal-style.js';
import type { PortalLanguage, PortalStrings } from './portal-assets/portal-strings.js';

export type { ConnectRequest } from './captive-portal-form.js';

/** deps.connect()'s answer. `code` is the device's refusal code (see REFUSAL_STATUS). */
export type ConnectOutcome = { ok: true } | { ok: false; code: string; retryAfterMs?: number };

export interface PortalStatus {
  state: PortalState;
  /** Why the last join failed (auth_failed, ap_not_found, dhcp_timeout, no_internet…); null otherwise. */
  reason: string | null;
}

/** What the portal needs from the device; all of it injected. */
export interface CaptivePortalDeps {
  /** Host (and port, if not 80) the portal is reached at: '192.168.4.1', or '127.0.0.1:41234' in tests. */
  gateway: string;
  /** The networks around, usually the scan cached before the AP started, and its age in seconds. */
  scan(): Promise<{ ageS: number; aps: AccessPoint[] }>;
  /**
   * Check the setup code (SRP verifier, shared lockout with /prov/v1) and
   * validate the Wi-Fi fields; on ok, start joining. Contract: once this
   * resolves `{ ok: true }`, status() describes this attempt (no longer a
   * previous failure). Refusal codes with their own wording and HTTP status:
   * `wrong_code` or `code_wrong` (403; 429 when it carries retryAfterMs,
   * i.e. this guess started the lockout), `locked_out` with retryAfterMs
   * (429), `code_malformed` (400), `busy` (409),
   * the payload validation codes (`psk_too_short`, `ssid_too_long`,
   * `password_required`, `wep_unsupported`…; 400). Anything else reads as a
   * generic "check your entries" (400).
   */
  connect(req: ConnectRequest): Promise<ConnectOutcome>;
  status(): PortalStatus;
  /** config device.language; a phone's Accept-Language wins when the portal speaks it. */
  language(): string;
  /** The client at this IP holds an authenticated app session: its probes get "online". */
  appSessionClient(ip: string): boolean;
  /** 'app': the app is setting the camera up; probes answer "online" and the form is off. */
  mode(): 'portal' | 'app';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probe routes answer any Host: the probe is sent to captive.apple.com & co. */
    captiveProbe?: boolean;
  }
}

/**
 * No script or style from anywhere but the camera, none inline; no framing;
 * forms post only back here. (The JSON strings block is data, not script.)
 */
export const PORTAL_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

/** HTTP status for a refusal code from the form check or deps.connect(). */
const REFUSAL_STATUS: Record<string, number> = { wrong_code: 403, code_wrong: 403, portal_disabled: 403, busy: 409, locked_out: 429, internal: 500 };

/** The field a device refusal code is about, so the page can mark it. */
function refusalField(code: string): ConnectField {
  if (isWrongCode(code) || code === 'locked_out' || code.startsWith('code_')) return 'code';
  if (code.startsWith('ssid_') || code === 'wep_unsupported' || code === 'eap_unsupported') return 'ssid';
  if (code.startsWith('psk_') || code.startsWith('password_')) return 'password';
  return null;
}

const CSS = Buffer.from(PORTAL_CSS);
const JS = Buffer.from(PORTAL_JS);

export function captivePortal(deps: CaptivePortalDeps): FastifyPluginAsync {
  return async (app) => {
    const langOf = (req: FastifyRequest): PortalLanguage => {
      const query = (req.query ?? {}) as Record<string, unknown>;
      return pickLanguage({
        query: typeof query.lang === 'string' ? query.lang : undefined,
        acceptLanguage: req.headers['accept-language'],
        device: deps.language(),
      });
    };

    // Encapsulated: these apply to the portal's routes only, not to /prov/v1.
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.config.captiveProbe) return;
      if (!isGatewayHost(req.headers.host, deps.gateway)) {
        return reply.header('cache-control', 'no-store').redirect(portalUrl(deps.gateway), 302);
      }
    });
    app.addHook('onSend', async (_req, reply, payload) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header('content-security-policy', PORTAL_CSP);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });
    // JSON (the page's script) and urlencoded forms (no script) only; text/plain is no way in.
    app.removeContentTypeParser('text/plain');
    // The raw text, parsed by parseConnectForm: a malformed form is our field error, not a parser 500.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: CONNECT_BODY_LIMIT }, (_req, body, done) => {
      done(null, body);
    });
    app.setErrorHandler((err: { statusCode?: number }, req, reply) => {
      const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) req.log.error({ err }, 'captive portal request failed');
      const code = status === 413 ? 'too_large' : status === 415 ? 'unsupported_media_type' : status === 500 ? 'internal' : 'bad_request';
      return reply.code(status).send({ ok: false, code, field: null, message: refusalText(stringsFor(langOf(req)), code) });
    });

    for (const path of PROBE_PATHS) {
      app.get(path, { config: { captiveProbe: true } }, async (req, reply) => {
        const answer = probeAnswer({ path, gateway: deps.gateway, mode: deps.mode(), appSession: deps.appSessionClient(req.ip) });
        reply.header('cache-control', 'no-store');
        if (!answer || answer.kind === 'redirect') return reply.redirect(answer?.location ?? portalUrl(deps.gateway), 302);
        if (answer.contentType) reply.type(answer.contentType);
        return reply.code(answer.status).send(answer.status === 204 ? undefined : answer.body);
      });
    }

    // RFC 8908 Captive Portal API (advertised by DHCP option 114, RFC 8910).
    app.get('/captive-portal/api', async (req, reply) => {
      const captive = deps.mode() === 'portal' && !deps.appSessionClient(req.ip);
      reply.type('application/captive+json').header('cache-control', 'no-store');
      // A Buffer, so fastify adds no charset parameter: the media type is sent exactly as RFC 8908 registers it.
      return reply.send(Buffer.from(JSON.stringify(captive ? { captive: true, 'user-portal-url': portalUrl(deps.gateway) } : { captive: false })));
    });

    app.get('/portal/portal.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(CSS));
    app.get('/portal/portal.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(JS));

    // Browsers and CNA sheets ask for it on every page; an empty answer keeps their consoles and our logs quiet.
    app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('cache-control', 'max-age=86400').send());

    const html = (reply: FastifyReply, status: number, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').header('vary', 'Accept-Language').send(body);

    const scanChoices = async (req: FastifyRequest) => {
      try {
        const { ageS, aps } = await deps.scan();
        return { ok: true as const, ageS, networks: networkChoices(aps) };
      } catch (err) {
        req.log.warn({ code: (err as { code?: unknown }).code ?? null }, 'captive portal: no scan for the network list');
        return { ok: false as const, ageS: null, networks: [] };
      }
    };

    const formPage = async (req: FastifyRequest, reply: FastifyReply, status: number, extra: { error?: { message: string; field: ConnectField }; values?: FormValues } = {}) => {
      const lang = langOf(req);
      const { networks } = await scanChoices(req);
      return html(reply, status, renderPortalPage({ lang, strings: stringsFor(lang), networks, status: deps.status(), ...extra }));
    };

    app.get('/', async (req, reply) => {
      if (deps.mode() === 'app') {
        const lang = langOf(req);
        return html(reply, 200, renderAppModePage({ lang, strings: stringsFor(lang) }));
      }
      return formPage(req, reply, 200);
    });

    const disabled = (req: FastifyRequest, reply: FastifyReply) =>
      reply.code(403).send({ ok: false, code: 'portal_disabled', field: null, message: refusalText(stringsFor(langOf(req)), 'portal_disabled') });

    app.get('/portal/networks', async (req, reply) => {
      if (deps.mode() === 'app') return disabled(req, reply);
      const scan = await scanChoices(req);
      if (!scan.ok) return reply.code(503).send({ ok: false, code: 'scan_failed', ageS: null, networks: [] });
      return reply.send({ ok: true, ageS: scan.ageS, networks: scan.networks });
    });

    app.get('/portal/status', async (req, reply) => {
      if (deps.mode() === 'app') return disabled(req, reply);
      const { state, reason } = deps.status();
      const strings = stringsFor(langOf(req));
      return reply.send({ state, reason, message: state === 'failed' ? reasonText(strings, reason) : null });
    });

    app.get('/portal/progress', async (req, reply) => {
      const lang = langOf(req);
      const strings = stringsFor(lang);
      if (deps.mode() === 'app') return html(reply, 403, renderAppModePage({ lang, strings }));
      return html(reply, 200, renderProgressPage({ lang, strings, status: deps.status() }));
    });

    app.post('/portal/connect', { bodyLimit: CONNECT_BODY_LIMIT }, async (req, reply) => {
      const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
      const strings: PortalStrings = stringsFor(langOf(req));
      const refuse = async (code: string, field: ConnectField, retryAfterMs?: number) => {
        const locked = isLockout(code, retryAfterMs);
        const status = locked ? 429 : (REFUSAL_STATUS[code] ?? 400);
        if (locked && retryAfterMs !== undefined && retryAfterMs > 0) reply.header('retry-after', String(Math.ceil(retryAfterMs / 1000)));
        const message = refusalText(strings, code, retryAfterMs);
        if (!isForm) {
          return reply.code(status).send({
            ok: false,
            code,
            field,
            message,
            ...(retryAfterMs !== undefined ? { retryAfterS: Math.ceil(retryAfterMs / 1000) } : {}),
          });
        }
        if (code === 'portal_disabled') {
          const lang = langOf(req);
          return html(reply, status, renderAppModePage({ lang, strings: stringsFor(lang) }));
        }
        return formPage(req, reply, status, { error: { message, field }, values: formValues(req.body as string) });
      };

      if (deps.mode() === 'app') return refuse('portal_disabled', null);
      const parsed = isForm ? parseConnectForm(req.body as string) : parseConnectJson(req.body);
      if (!parsed.ok) return refuse(parsed.code, parsed.field);

      let outcome: ConnectOutcome;
      try {
        outcome = await deps.connect(parsed.value);
      } catch (err) {
        req.log.error({ code: (err as { code?: unknown }).code ?? null }, 'captive portal: connect failed');
        return refuse('internal', null);
      }
      if (!outcome.ok) return refuse(outcome.code, refusalField(outcome.code), outcome.retryAfterMs);
      if (isForm) return reply.code(303).header('location', '/portal/progress').send();
      return reply.code(202).send({ ok: true });
    });

    // Everything else: a foreign Host was already redirected by the hook; on the gateway it does not exist.
    app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: '/*',
      bodyLimit: CONNECT_BODY_LIMIT,
      handler: async (req, reply) => reply.code(404).type('text/plain; charset=utf-8').send(stringsFor(langOf(req)).notFound),
    });
  };
}

/** What to fill back into the form after a refusal: the choice, the typed name, the code; never the password. */
function formValues(body: string): FormValues {
  const params = new URLSearchParams(body.slice(0, CONNECT_BODY_LIMIT));
  const hidden = ['1', 'on', 'true', 'yes'].includes(params.get('hidden') ?? '');
  return {
    ssid: hidden ? '' : (params.get('ssid') ?? ''),
    hiddenSsid: params.get('hiddenSsid') ?? '',
    code: (params.get('code') ?? '').slice(0, 20),
  };
}
