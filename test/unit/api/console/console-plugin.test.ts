import t from 'tap';
import Fastify from 'fastify';
import { Script } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { CONSOLE_HTML } from '../../../../src/api/console/assets/console-page.js';
import { CONSOLE_JS } from '../../../../src/api/console/assets/console-script.js';
import { CONSOLE_ASSETS, CONSOLE_CSP, consolePlugin } from '../../../../src/api/console/console-plugin.js';

/** The console plugin on a bare fastify, driven with inject(): what crosses the wire for each asset. */
async function consoleApp() {
  const app = Fastify();
  await app.register(consolePlugin);
  // A sibling route, as the API server's /v1 routes are: the console's headers must not reach it.
  app.get('/v1/ping', async () => ({ ok: true }));
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

t.test('the page is served at / with the security headers, never cached, no token needed', async (t) => {
  const app = await consoleApp();
  const res = await app.inject({ method: 'GET', url: '/' });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(res.headers['cache-control'], 'no-store');
  t.match(res.headers, SECURITY_HEADERS);
  t.equal(res.body, CONSOLE_HTML);
});

t.test("routeConfig reaches every console route's config (how the API server marks them public)", async (t) => {
  const app = Fastify();
  const seen = new Map<string, unknown>();
  app.addHook('onRequest', async (req) => { seen.set(req.url, (req.routeOptions.config as { scope?: unknown }).scope); });
  await app.register(consolePlugin, { routeConfig: { scope: 'public' } as never });
  await app.ready();
  t.teardown(() => app.close());
  for (const url of [...CONSOLE_ASSETS.map((a) => a.path), '/console']) {
    await app.inject({ method: 'GET', url });
    t.equal(seen.get(url), 'public', url);
  }
});

t.test('the CSP is the one the console was built for', async (t) => {
  const directives = new Map(CONSOLE_CSP.split(';').map((d) => { const [name, ...values] = d.trim().split(/\s+/); return [name, values.join(' ')]; }));
  t.equal(directives.get('default-src'), "'self'");
  t.equal(directives.get('img-src'), "'self' blob:");
  t.equal(directives.get('connect-src'), "'self'");
  t.equal(directives.get('frame-ancestors'), "'none'");
  t.notOk(/unsafe-inline|unsafe-eval|\*/.test(CONSOLE_CSP), 'nothing inline, no eval, no wildcard');
});

t.test('each asset has its type, the security headers and revalidates by ETag', async (t) => {
  const app = await consoleApp();
  for (const a of CONSOLE_ASSETS.filter((x) => x.path !== '/')) {
    const res = await app.inject({ method: 'GET', url: a.path });
    t.equal(res.statusCode, 200, a.path);
    t.equal(res.headers['content-type'], a.type, `${a.path} type`);
    t.equal(res.headers['cache-control'], 'no-cache', `${a.path} revalidates`);
    t.match(res.headers, SECURITY_HEADERS, `${a.path} headers`);
    t.equal(res.rawPayload.length, a.body.length);
    const again = await app.inject({ method: 'GET', url: a.path, headers: { 'if-none-match': String(res.headers.etag) } });
    t.equal(again.statusCode, 304, `${a.path} unchanged → 304`);
    t.equal(again.rawPayload.length, 0);
  }
});

t.test('/console and /console/ lead to the page; an unknown asset is a 404', async (t) => {
  const app = await consoleApp();
  for (const url of ['/console', '/console/']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 302, url);
    t.equal(res.headers.location, '/');
  }
  t.equal((await app.inject({ method: 'GET', url: '/console/../../etc/passwd' })).statusCode, 404);
  t.equal((await app.inject({ method: 'GET', url: '/console/app.js' })).statusCode, 404);
});

t.test("the console's headers stay on its own routes", async (t) => {
  const app = await consoleApp();
  const res = await app.inject({ method: 'GET', url: '/v1/ping' });
  t.equal(res.statusCode, 200);
  t.notOk(res.headers['content-security-policy'], 'the API routes set their own headers');
});

t.test('the whole console stays under its size budget', async (t) => {
  const raw = CONSOLE_ASSETS.reduce((n, a) => n + a.body.length, 0);
  const gz = CONSOLE_ASSETS.reduce((n, a) => n + gzipSync(a.body).length, 0);
  t.comment(`console: ${raw} bytes, ${gz} gzipped`);
  t.ok(raw < 60 * 1024, `${raw} bytes < 60 KB`);
});

t.test('the page has no inline script, style or handler (CSP would block them)', async (t) => {
  const scripts = [...CONSOLE_HTML.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  t.equal(scripts.length, 1);
  for (const [, attrs, body] of scripts) {
    t.match(attrs, /src="\/console\/console\.js"/);
    t.equal(body, '', 'script element has no body');
  }
  t.notOk(/<style\b/i.test(CONSOLE_HTML), 'no <style>');
  t.notOk(/\sstyle=/i.test(CONSOLE_HTML), 'no style attribute');
  t.notOk(/\son[a-z]+=/i.test(CONSOLE_HTML), 'no on* handler attribute');
  t.notOk(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(CONSOLE_HTML + CONSOLE_JS), 'no URL outside the camera (no CDN)');
});

t.test('the script parses and never builds markup from strings', async (t) => {
  t.doesNotThrow(() => new Script(CONSOLE_JS, { filename: 'console.js' }));
  for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setAttribute(\'style\'', 'srcdoc']) {
    t.notOk(CONSOLE_JS.includes(sink), `no ${sink}`);
  }
  t.notOk(/localStorage/.test(CONSOLE_JS), 'the token is never kept beyond the tab');
});

t.test('every element the script looks up exists in the page', async (t) => {
  const ids = new Set([...CONSOLE_JS.matchAll(/\$\('([a-z0-9-]+)'\)/g)].map((m) => m[1]));
  for (const view of ['login', 'status', 'snapshot', 'zones', 'wifi', 'logs', 'audit']) ids.add(`v-${view}`);
  t.ok(ids.size > 40, `${ids.size} ids`);
  const missing = [...ids].filter((id) => !CONSOLE_HTML.includes(`id="${id}"`));
  t.same(missing, []);
});
