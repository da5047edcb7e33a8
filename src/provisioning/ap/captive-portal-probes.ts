/**
 * The captive-portal probe policy (provisioning.md §2.4, §6.5, vectors A8/A9):
 * which URL each operating system fetches to decide whether a network is
 * "online", what it must get back to believe it, and when we tell it the
 * truth (a portal: 302 to our page) versus "online". Pure: the plugin asks
 * and writes the answer.
 */

/** A reply the plugin writes verbatim. */
export type ProbeAnswer =
  | { kind: 'redirect'; location: string }
  | { kind: 'online'; status: 200 | 204; contentType: string | null; body: string };

/** The "online" answer each probe path expects, byte for byte. */
const ONLINE: Record<string, Extract<ProbeAnswer, { kind: 'online' }>> = {
  // Apple CNA (captive.apple.com): 200 with "Success" in the body; this is the exact page Apple serves.
  '/hotspot-detect.html': html('<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>'),
  '/library/test/success.html': html('<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>'),
  // Android (connectivitycheck.gstatic.com and friends): 204 and nothing else; any 200 means "portal".
  '/generate_204': { kind: 'online', status: 204, contentType: null, body: '' },
  '/gen_204': { kind: 'online', status: 204, contentType: null, body: '' },
  // Windows NCSI: the body text is compared exactly.
  '/connecttest.txt': text('Microsoft Connect Test'),
  '/ncsi.txt': text('Microsoft NCSI'),
  // Windows opens /redirect in a browser only when it decided there is a portal; online there is nothing to show.
  '/redirect': { kind: 'online', status: 204, contentType: null, body: '' },
  // Firefox: captivedetect.canonicalContent is compared exactly (modules/libpref/init/all.js).
  '/canonical.html': html('<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'),
  '/success.txt': text('success\n'),
  // NetworkManager's connectivity check (GNOME nmcheck, Arch): response "NetworkManager is online".
  '/check_network_status.txt': text('NetworkManager is online\n'),
};

function html(body: string): Extract<ProbeAnswer, { kind: 'online' }> {
  return { kind: 'online', status: 200, contentType: 'text/html; charset=utf-8', body };
}

function text(body: string): Extract<ProbeAnswer, { kind: 'online' }> {
  return { kind: 'online', status: 200, contentType: 'text/plain; charset=utf-8', body };
}

/** The probe paths, in the order provisioning.md §6.5 lists them. */
export const PROBE_PATHS: readonly string[] = Object.keys(ONLINE);

export function isProbePath(path: string): boolean {
  return Object.hasOwn(ONLINE, path);
}

/** `http://<gateway>/`: where every redirect points. */
export function portalUrl(gateway: string): string {
  return `http://${gateway}/`;
}

/**
 * True when `host` (the Host header) names the gateway: same host, and the
 * same port (80 when the gateway names none). Case-insensitive. A missing
 * header (HTTP/1.0) is foreign: we cannot tell what the client meant.
 */
export function isGatewayHost(host: string | undefined, gateway: string): boolean {
  if (host === undefined) return false;
  const a = splitHostPort(host.trim().toLowerCase());
  const b = splitHostPort(gateway.toLowerCase());
  return a.host === b.host && a.port === b.port;
}

function splitHostPort(value: string): { host: string; port: string } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(value);
  if (!m) return { host: value, port: '80' };
  return { host: m[1]!, port: m[2] ? m[2] : '80' };
}

export interface ProbeContext {
  path: string;
  gateway: string;
  mode: 'portal' | 'app';
  /** The client holds an authenticated app session (deps.appSessionClient). */
  appSession: boolean;
}

/**
 * What a probe gets. In app mode, and for a client that holds an app
 * session, the exact "online" answer: the OS then keeps the network and does
 * not cover the app with its captive-portal sheet (§6.5 per-client policy).
 * Otherwise a 302 to the portal, whatever host the probe was sent to.
 * Null for a path that is no probe.
 */
export function probeAnswer(ctx: ProbeContext): ProbeAnswer | null {
  const online = Object.hasOwn(ONLINE, ctx.path) ? ONLINE[ctx.path]! : null;
  if (!online) return null;
  if (ctx.mode === 'app' || ctx.appSession) return online;
  return { kind: 'redirect', location: portalUrl(ctx.gateway) };
}
