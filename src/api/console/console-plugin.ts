/**
 * The technician web console (issue 9 item 5) as a fastify plugin the local
 * API server registers next to /v1: `GET /` is the page, `/console/*` its
 * stylesheet, script and icon.
 *
 * The files are static and carry no device data (the script fetches all of
 * it from /v1 with the technician's Bearer token), so they are served without
 * authentication. Register the plugin without a prefix and without
 * fastify-plugin: its headers hook is meant to stay encapsulated to these
 * routes and not touch /v1.
 *
 * The assets are module strings (src/api/console/assets/), not files: the
 * agent ships as one esbuild bundle and nothing outside dist/ reaches the
 * camera.
 */
import { createHash } from 'node:crypto';
import type { FastifyContextConfig, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_HTML, CONSOLE_ICON_SVG } from './assets/console-page.js';
import { CONSOLE_JS } from './assets/console-script.js';
import { CONSOLE_CSS } from './assets/console-style.js';

/**
 * Script, style and XHR only from the camera, none inline; snapshots are shown
 * from blob: URLs (fetched with the token, which an <img src> cannot send); no
 * framing (clickjacking a reboot button), no <base> or plugin tricks.
 */
export const CONSOLE_CSP =
  "default-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

export interface ConsoleAsset {
  path: string;
  type: string;
  body: Buffer;
  /** Strong validator: the assets change only with the agent version. */
  etag: string;
}

function asset(path: string, type: string, text: string): ConsoleAsset {
  const body = Buffer.from(text, 'utf8');
  return { path, type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Everything the console is made of; the page first. */
export const CONSOLE_ASSETS: readonly ConsoleAsset[] = [
  asset('/', 'text/html; charset=utf-8', CONSOLE_HTML),
  asset('/console/console.css', 'text/css; charset=utf-8', CONSOLE_CSS),
  asset('/console/console.js', 'text/javascript; charset=utf-8', CONSOLE_JS),
  asset('/console/icon.svg', 'image/svg+xml', CONSOLE_ICON_SVG),
];

function send(req: FastifyRequest, reply: FastifyReply, a: ConsoleAsset): FastifyReply {
  // The page must never be served from a cache after sign-out or an update;
  // the assets may be, if they revalidate (ETag → 304 on a slow hotspot link).
  reply.header('cache-control', a.path === '/' ? 'no-store' : 'no-cache').header('etag', a.etag);
  if (a.path !== '/' && req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  return reply.type(a.type).send(a.body);
}

export interface ConsolePluginOptions {
  /**
   * Merged into every console route's `config`: how the host server's
   * deny-by-default access hook learns these routes are public (the local
   * API passes `{ scope: PUBLIC }`).
   */
  routeConfig?: FastifyContextConfig;
}

export const consolePlugin: FastifyPluginAsync<ConsolePluginOptions> = async (app, opts) => {
  const config = { ...(opts.routeConfig ?? {}) };
  // Encapsulated (no fastify-plugin): applies to the console's routes only.
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    return payload;
  });
  for (const a of CONSOLE_ASSETS) app.get(a.path, { config }, async (req, reply) => send(req, reply, a));
  // Bookmarks of the console's folder land on the page.
  for (const path of ['/console', '/console/']) {
    app.get(path, { config }, async (_req, reply) => reply.header('cache-control', 'no-store').redirect('/', 302));
  }
};
