import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { captivePortal, type CaptivePortalDeps } from '../../../../src/provisioning/ap/captive-portal.js';
import { isGatewayHost, isProbePath, PROBE_PATHS, probeAnswer } from '../../../../src/provisioning/ap/captive-portal-probes.js';

/**
 * The probe policy of provisioning.md §2.4/§6.5 and vectors A8/A9: every OS
 * probe sends a phone without the app to the portal, and tells the truth
 * ("online", byte-exact) to a client holding an app session and in app mode;
 * any request for a foreign host goes to the gateway.
 */
const GATEWAY = '192.168.4.1';
const APP_CLIENT = '192.168.4.23';

async function portal(t: Test, mode: 'portal' | 'app' = 'portal') {
  const deps: CaptivePortalDeps = {
    gateway: GATEWAY,
    scan: async () => ({ ageS: 0, aps: [] }),
    connect: async () => ({ ok: true }),
    status: () => ({ state: 'idle', reason: null }),
    language: () => 'en',
    appSessionClient: (ip) => ip === APP_CLIENT,
    mode: () => mode,
  };
  const app = Fastify();
  await app.register(captivePortal(deps));
  t.teardown(() => app.close());
  return app;
}

/** The hosts each OS actually sends its probe to (provisioning.md §2.4); wildcard DNS brings them all to the camera. */
const PROBES: { os: string; host: string; path: string; status: number; type: string | null; body: string }[] = [
  { os: 'iOS/macOS', host: 'captive.apple.com', path: '/hotspot-detect.html', status: 200, type: 'text/html', body: '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>' },
  { os: 'iOS (old)', host: 'www.apple.com', path: '/library/test/success.html', status: 200, type: 'text/html', body: '<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>' },
  { os: 'Android', host: 'connectivitycheck.gstatic.com', path: '/generate_204', status: 204, type: null, body: '' },
  { os: 'Android (old)', host: 'clients3.google.com', path: '/gen_204', status: 204, type: null, body: '' },
  { os: 'Windows 10/11', host: 'www.msftconnecttest.com', path: '/connecttest.txt', status: 200, type: 'text/plain', body: 'Microsoft Connect Test' },
  { os: 'Windows (old)', host: 'www.msftncsi.com', path: '/ncsi.txt', status: 200, type: 'text/plain', body: 'Microsoft NCSI' },
  { os: 'Windows browser', host: 'www.msftconnecttest.com', path: '/redirect', status: 204, type: null, body: '' },
  { os: 'Firefox', host: 'detectportal.firefox.com', path: '/canonical.html', status: 200, type: 'text/html', body: '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>' },
  { os: 'Firefox (old)', host: 'detectportal.firefox.com', path: '/success.txt', status: 200, type: 'text/plain', body: 'success\n' },
  { os: 'NetworkManager', host: 'nmcheck.gnome.org', path: '/check_network_status.txt', status: 200, type: 'text/plain', body: 'NetworkManager is online\n' },
];

t.test('the probe list covers every path provisioning.md §6.5 names, plus NetworkManager', async (t) => {
  t.same([...PROBE_PATHS].sort(), PROBES.map((p) => p.path).sort());
  for (const p of ['/', '/portal/status', '/generate_204/x', '/GENERATE_204', '/hotspot-detect.htm']) t.notOk(isProbePath(p), `${p} is no probe`);
});

t.test('policy: a portal for phones without a session; the truth for app sessions and in app mode', async (t) => {
  for (const { path } of PROBES) {
    t.same(probeAnswer({ path, gateway: GATEWAY, mode: 'portal', appSession: false }), { kind: 'redirect', location: 'http://192.168.4.1/' }, `${path}: portal`);
    t.equal(probeAnswer({ path, gateway: GATEWAY, mode: 'portal', appSession: true })?.kind, 'online', `${path}: app session`);
    t.equal(probeAnswer({ path, gateway: GATEWAY, mode: 'app', appSession: false })?.kind, 'online', `${path}: app mode`);
  }
  t.equal(probeAnswer({ path: '/index.html', gateway: GATEWAY, mode: 'portal', appSession: false }), null);
});

t.test('A8 portal mode: each OS probe, sent to its own host, is redirected to http://192.168.4.1/ and never cached', async (t) => {
  const app = await portal(t);
  for (const p of PROBES) {
    const res = await app.inject({ url: p.path, headers: { host: p.host } });
    t.equal(res.statusCode, 302, `${p.os} ${p.host}${p.path} → 302`);
    t.equal(res.headers.location, 'http://192.168.4.1/');
    t.equal(res.headers['cache-control'], 'no-store');
  }
  const viaGateway = await app.inject({ url: '/generate_204', headers: { host: GATEWAY } });
  t.equal(viaGateway.statusCode, 302, 'also when the probe names the gateway itself');
});

t.test('A8 app session: the client holding one gets the exact "online" answers; another client on the AP still gets the portal', async (t) => {
  const app = await portal(t);
  for (const p of PROBES) {
    const res = await app.inject({ url: p.path, headers: { host: p.host }, remoteAddress: APP_CLIENT });
    t.equal(res.statusCode, p.status, `${p.os}: ${p.status}`);
    t.equal(res.body, p.body, `${p.os}: body byte-exact`);
    if (p.type) t.match(res.headers['content-type'], p.type);
    else t.notOk(res.headers['content-type'], 'no content type on a 204');
    t.equal(res.headers['cache-control'], 'no-store');
    const other = await app.inject({ url: p.path, headers: { host: p.host }, remoteAddress: '192.168.4.24' });
    t.equal(other.statusCode, 302, `${p.os}: a second phone without a session is sent to the portal`);
  }
  const head = await app.inject({ method: 'HEAD', url: '/hotspot-detect.html', headers: { host: 'captive.apple.com' }, remoteAddress: APP_CLIENT });
  t.equal(head.statusCode, 200, 'HEAD works too');
});

t.test('app mode: every probe answers "online", for every client', async (t) => {
  const app = await portal(t, 'app');
  for (const p of PROBES) {
    const res = await app.inject({ url: p.path, headers: { host: p.host }, remoteAddress: '192.168.4.30' });
    t.equal(res.statusCode, p.status, p.os);
    t.equal(res.body, p.body);
  }
});

t.test('A9: a request naming a foreign host is sent to the gateway, whatever its path or method', async (t) => {
  const app = await portal(t);
  for (const [method, url, host] of [
    ['GET', '/', 'evil.example'],
    ['GET', '/some/deep/path?x=1', 'www.example.com'],
    ['GET', '/portal/status', 'evil.example'],
    ['POST', '/portal/connect', 'evil.example'],
    ['GET', '/captive-portal/api', 'evil.example'],
    ['PUT', '/anything', 'evil.example'],
    ['GET', '/', '192.168.4.1:8080'],
    ['GET', '/', '192.168.4.10'],
  ] as const) {
    const res = await app.inject({ method, url, headers: { host }, ...(method === 'POST' ? { payload: { ssid: 'x' } } : {}) });
    t.equal(res.statusCode, 302, `${method} http://${host}${url} → 302`);
    t.equal(res.headers.location, 'http://192.168.4.1/');
  }
  for (const host of ['192.168.4.1', '192.168.4.1:80', ' 192.168.4.1 ']) {
    t.equal((await app.inject({ url: '/', headers: { host } })).statusCode, 200, `Host "${host}" is the gateway`);
  }
  const unknown = await app.inject({ url: '/nothing-here', headers: { host: GATEWAY } });
  t.equal(unknown.statusCode, 404, 'an unknown path on the gateway is a plain 404');
});

t.test('the gateway host check: same host and port, case-insensitive, port 80 implied', async (t) => {
  t.ok(isGatewayHost('192.168.4.1', '192.168.4.1'));
  t.ok(isGatewayHost('192.168.4.1:80', '192.168.4.1'));
  t.ok(isGatewayHost('CAMERA.LOCAL', 'camera.local'));
  t.ok(isGatewayHost('127.0.0.1:41234', '127.0.0.1:41234'));
  t.notOk(isGatewayHost('127.0.0.1', '127.0.0.1:41234'));
  t.notOk(isGatewayHost('127.0.0.1:41235', '127.0.0.1:41234'));
  t.notOk(isGatewayHost('192.168.4.1.evil.example', '192.168.4.1'));
  t.notOk(isGatewayHost('evil.example#192.168.4.1', '192.168.4.1'));
  t.notOk(isGatewayHost(undefined, '192.168.4.1'), 'no Host header (HTTP/1.0) is foreign');
  t.notOk(isGatewayHost('', '192.168.4.1'));
});

t.test('RFC 8908 API: application/captive+json, captive with the portal URL; not captive for app sessions and in app mode', async (t) => {
  const app = await portal(t);
  const res = await app.inject({ url: '/captive-portal/api', headers: { host: GATEWAY } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/captive+json');
  t.same(JSON.parse(res.body), { captive: true, 'user-portal-url': 'http://192.168.4.1/' });
  const session = await app.inject({ url: '/captive-portal/api', headers: { host: GATEWAY }, remoteAddress: APP_CLIENT });
  t.same(JSON.parse(session.body), { captive: false });
  const appMode = await portal(t, 'app');
  t.same(JSON.parse((await appMode.inject({ url: '/captive-portal/api', headers: { host: GATEWAY } })).body), { captive: false });
});

t.test('app mode: the page says to use the app, the form endpoints are off', async (t) => {
  const app = await portal(t, 'app');
  const page = await app.inject({ url: '/', headers: { host: GATEWAY } });
  t.equal(page.statusCode, 200);
  t.match(page.body, 'Setup continues in the app');
  t.notMatch(page.body, '<form', 'no form');
  for (const url of ['/portal/status', '/portal/networks']) {
    const res = await app.inject({ url, headers: { host: GATEWAY } });
    t.equal(res.statusCode, 403, url);
    t.equal(res.json().code, 'portal_disabled');
  }
  const connect = await app.inject({ method: 'POST', url: '/portal/connect', headers: { host: GATEWAY }, payload: { ssid: 'x', code: '7KQ2M9XWV' } });
  t.equal(connect.statusCode, 403);
  t.equal(connect.json().code, 'portal_disabled');
});
