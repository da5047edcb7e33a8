import t from 'tap';
import Fastify from 'fastify';
import { Script } from 'node:vm';
import type { AccessPoint } from '../../../../src/network/wifi-scan.js';
import { captivePortal, PORTAL_CSP, type CaptivePortalDeps } from '../../../../src/provisioning/ap/captive-portal.js';
import {
  escapeHtml,
  MAX_NETWORKS,
  networkChoices,
  renderPortalPage,
  renderProgressPage,
  scriptJson,
  securityOf,
} from '../../../../src/provisioning/ap/captive-portal-page.js';
import { PORTAL_JS } from '../../../../src/provisioning/ap/portal-assets/portal-script.js';
import { PORTAL_CSS } from '../../../../src/provisioning/ap/portal-assets/portal-style.js';
import { PORTAL_STRINGS } from '../../../../src/provisioning/ap/portal-assets/portal-strings.js';

/**
 * SSIDs are whatever a neighbour's beacon says: the page must show them as
 * text, in attributes and in text, and the page must stay small and
 * self-contained (no CDN, nothing inline that a strict CSP would block).
 */
const en = PORTAL_STRINGS.en;
const IDLE = { state: 'idle', reason: null } as const;

let n = 0;
function ap(ssid: string, signal = 60, security: string[] = ['WPA2'], hidden = false): AccessPoint {
  n += 1;
  return { ssid, hidden, bssid: `AA:BB:CC:DD:00:${(n % 256).toString(16).padStart(2, '0').toUpperCase()}`, signal, channel: 1, security };
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</script><!--',
  '&lt;b&gt; &amp; &#60;',
  '{ssid} {message}',
];

t.test('escapeHtml: the five characters that matter, nothing else touched', async (t) => {
  t.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  t.equal(escapeHtml('Café ☕ واي فاي 📷'), 'Café ☕ واي فاي 📷', 'UTF-8 passes through (the page is utf-8)');
  t.equal(escapeHtml('&amp;'), '&#38;amp;', 'an entity in an SSID is shown as typed, not decoded');
});

t.test('scriptJson: no data can close the strings block or open a comment', async (t) => {
  const json = scriptJson({ a: '</script><script>alert(1)</script>', b: '<!-- -->', c: 'a\u2028b&' });
  t.notMatch(json, /[<>&\u2028]/);
  t.same(JSON.parse(json), { a: '</script><script>alert(1)</script>', b: '<!-- -->', c: 'a\u2028b&' }, 'still the same JSON');
});

t.test('hostile SSIDs render as text in the list and in the radio values; no tag or handler comes from them', async (t) => {
  const html = renderPortalPage({ lang: 'en', strings: en, networks: networkChoices(HOSTILE.map((s) => ap(s))), status: IDLE });
  for (const ssid of HOSTILE) {
    t.ok(html.includes(`value="${escapeHtml(ssid)}"`), `${ssid}: escaped in the value attribute`);
    t.ok(html.includes(`>${escapeHtml(ssid)}</span>`), `${ssid}: escaped as text`);
  }
  // The tags as a browser would see them, quoted attribute values blanked (an escaped SSID there is data).
  const tags = html.replace(/="[^"]*"/g, '=""').match(/<[^>]*>/g) ?? [];
  t.same(tags.filter((tag) => /^<\/?(img|iframe|object|embed|base)\b/i.test(tag)), [], 'no element made from the data');
  t.equal(tags.filter((tag) => tag.startsWith('<script')).length, 2, 'exactly two script elements: portal.js and the strings block');
  t.same(tags.filter((tag) => /\son[a-z]+=/i.test(tag)), [], 'no inline event handler (CSP script-src self)');
  t.same(tags.filter((tag) => /\sstyle=/i.test(tag)), [], 'no inline style attribute (CSP style-src self)');
  t.notMatch(html, /<script>alert|<img|<svg onload/, 'the payloads appear only escaped');
  t.notMatch(html, /https?:\/\//, 'nothing loaded from anywhere else: no CDN, no font');
});

t.test('what the user typed comes back escaped after a refusal; the refusal message too', async (t) => {
  const html = renderPortalPage({
    lang: 'en',
    strings: en,
    networks: [],
    status: IDLE,
    error: { message: 'bad <b>', field: 'ssid' },
    values: { ssid: '', hiddenSsid: '"><script>alert(1)</script>', code: '"><x' },
  });
  t.match(html, 'value="&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
  t.match(html, 'value="&#34;&#62;&#60;x"');
  t.match(html, '>bad &#60;b&#62;</div>');
  t.match(html, /id="net-other" value="" data-sec="secured" required checked/, 'the "Other network" choice stays selected');
  t.notMatch(html, /<script>alert/);
  t.match(html, /<ul class="nets" id="nets" aria-invalid="true">/, 'the field is marked');
  t.notMatch(html, /id="password"[^>]*value=/, 'the password is never written into the page');
});

t.test('the last failure is shown on the page in words; a connect in progress links to its progress', async (t) => {
  const failed = renderPortalPage({ lang: 'en', strings: en, networks: [], status: { state: 'failed', reason: 'auth_failed' } });
  t.match(failed, 'The last attempt did not work: The Wi-Fi password is wrong.');
  t.match(failed, '<body data-state="failed">');
  const busy = renderPortalPage({ lang: 'de', strings: PORTAL_STRINGS.de, networks: [], status: { state: 'connecting', reason: null } });
  t.match(busy, '<a href="/portal/progress">Fortschritt anzeigen</a>');
  t.match(busy, '<html lang="de">');
});

t.test('the no-JavaScript progress page refreshes itself while connecting and stops when done', async (t) => {
  const connecting = renderProgressPage({ lang: 'en', strings: en, status: { state: 'connecting', reason: null } });
  t.match(connecting, '<meta http-equiv="refresh" content="2">');
  const online = renderProgressPage({ lang: 'en', strings: en, status: { state: 'online', reason: null } });
  t.notMatch(online, 'http-equiv="refresh"');
  t.match(online, 'Your camera is online');
  const failed = renderProgressPage({ lang: 'en', strings: en, status: { state: 'failed', reason: 'ap_not_found' } });
  t.match(failed, 'The camera could not find this network.');
  t.match(failed, '<a class="button primary" href="/">Try again</a>');
  const unknown = renderProgressPage({ lang: 'en', strings: en, status: { state: 'failed', reason: '<weird>' } });
  t.match(unknown, en.err_join_other, 'an unknown reason reads as the generic sentence, never the code');
  t.notMatch(unknown, '<weird>');
});

t.test('the network list: one row per SSID with its best signal, strongest first, hidden APs left out, bytes kept distinct', async (t) => {
  const list = networkChoices([
    ap('Home', 40),
    ap('Home', 90),
    ap('', 99, ['WPA2'], true),
    ap('Café', 50), // NFC
    ap('Cafe\u0301', 50), // NFD: a different network (S5)
    ap('home', 10), // case differs (S24)
    ap(' space ', 30, []), // S14: never trimmed
  ]);
  t.same(
    list.map((c) => [c.ssid, c.signal, c.bars, c.security]),
    [
      ['Home', 90, 4, 'secured'],
      ['Cafe\u0301', 50, 3, 'secured'],
      ['Café', 50, 3, 'secured'],
      [' space ', 30, 2, 'open'],
      ['home', 10, 1, 'secured'],
    ],
  );
  t.equal(networkChoices(Array.from({ length: 80 }, (_, i) => ap(`net-${i}`, i))).length, MAX_NETWORKS, 'capped');
});

t.test('security words: WPA* needs a password, open and OWE do not, enterprise and WEP cannot be joined', async (t) => {
  t.equal(securityOf(['WPA2']), 'secured');
  t.equal(securityOf(['WPA1', 'WPA2']), 'secured');
  t.equal(securityOf(['WPA3']), 'secured');
  t.equal(securityOf([]), 'open');
  t.equal(securityOf(['OWE']), 'open');
  t.equal(securityOf(['WPA2', '802.1X']), 'unsupported');
  t.equal(securityOf(['WEP']), 'unsupported');
});

t.test('a crowded street of worst-case SSIDs still makes a page well under 50 KB, CSS and script included', async (t) => {
  const worst = '"'.repeat(32); // every byte becomes a 5-byte entity, twice per row
  const aps = Array.from({ length: 60 }, (_, i) => ap(worst.slice(0, 30) + String(i).padStart(2, '0'), 100 - i));
  const html = renderPortalPage({ lang: 'de', strings: PORTAL_STRINGS.de, networks: networkChoices(aps), status: IDLE });
  const total = Buffer.byteLength(html) + Buffer.byteLength(PORTAL_CSS) + Buffer.byteLength(PORTAL_JS);
  t.comment(`worst-case page ${Buffer.byteLength(html)} B + CSS ${Buffer.byteLength(PORTAL_CSS)} B + JS ${Buffer.byteLength(PORTAL_JS)} B = ${total} B`);
  t.ok(total < 50_000, `${total} bytes`);
  const typical = renderPortalPage({ lang: 'en', strings: en, networks: networkChoices([ap('HomeNet', 80), ap('Neighbour', 50)]), status: IDLE });
  t.comment(`typical page ${Buffer.byteLength(typical)} B`);
});

t.test('the page script parses, never writes HTML, and the strings it needs exist in every language', async (t) => {
  t.doesNotThrow(() => new Script(PORTAL_JS, { filename: 'portal.js' }), 'valid JavaScript');
  t.notMatch(PORTAL_JS, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/, 'text only through textContent');
  for (const [lang, strings] of Object.entries(PORTAL_STRINGS)) {
    for (const [key, value] of Object.entries(strings)) t.ok(value.trim() !== '', `${lang}.${key} is not empty`);
    t.same(Object.keys(strings).sort(), Object.keys(en).sort(), `${lang} has exactly the English keys`);
  }
});

t.test('served: the page, CSS and script with strict headers; the network list as JSON keeps the SSID as data', async (t) => {
  const deps: CaptivePortalDeps = {
    gateway: '192.168.4.1',
    scan: async () => ({ ageS: 7, aps: [ap('<script>alert(1)</script>', 80), ap('Open', 20, [])] }),
    connect: async () => ({ ok: true }),
    status: () => ({ state: 'idle', reason: null }),
    language: () => 'en',
    appSessionClient: () => false,
    mode: () => 'portal',
  };
  const app = Fastify();
  await app.register(captivePortal(deps));
  t.teardown(() => app.close());
  const host = { host: '192.168.4.1' };

  const page = await app.inject({ url: '/', headers: host });
  t.equal(page.statusCode, 200);
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(page.headers['content-security-policy'], PORTAL_CSP);
  t.match(PORTAL_CSP, /default-src 'self'/);
  t.notMatch(PORTAL_CSP, /unsafe-inline|unsafe-eval/);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(page.headers['x-frame-options'], 'DENY');
  t.equal(page.headers['cache-control'], 'no-store');
  t.match(page.body, '&#60;script&#62;alert(1)&#60;/script&#62;');
  t.notMatch(page.body, '<script>alert(1)');

  const css = await app.inject({ url: '/portal/portal.css', headers: host });
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8');
  t.equal(css.body, PORTAL_CSS);
  const js = await app.inject({ url: '/portal/portal.js', headers: host });
  t.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  t.equal(js.body, PORTAL_JS);

  const nets = await app.inject({ url: '/portal/networks', headers: host });
  t.equal(nets.headers['content-type'], 'application/json; charset=utf-8');
  t.equal(nets.headers['cache-control'], 'no-store');
  t.same(nets.json(), {
    ok: true,
    ageS: 7,
    networks: [
      { ssid: '<script>alert(1)</script>', signal: 80, bars: 4, security: 'secured' },
      { ssid: 'Open', signal: 20, bars: 1, security: 'open' },
    ],
  });
  t.equal((await app.inject({ url: '/favicon.ico', headers: host })).statusCode, 204);
});

t.test('a failed scan still serves a usable page (type the name) and a 503 on the JSON list', async (t) => {
  const deps: CaptivePortalDeps = {
    gateway: '192.168.4.1',
    scan: async () => {
      throw Object.assign(new Error('radio off'), { code: 'radio_off' });
    },
    connect: async () => ({ ok: true }),
    status: () => ({ state: 'idle', reason: null }),
    language: () => 'en',
    appSessionClient: () => false,
    mode: () => 'portal',
  };
  const app = Fastify();
  await app.register(captivePortal(deps));
  t.teardown(() => app.close());
  const page = await app.inject({ url: '/', headers: { host: '192.168.4.1' } });
  t.equal(page.statusCode, 200);
  t.match(page.body, en.noNetworks);
  t.match(page.body, /id="net-other" value="" data-sec="secured" required checked/, '"Other network" pre-selected');
  const nets = await app.inject({ url: '/portal/networks', headers: { host: '192.168.4.1' } });
  t.equal(nets.statusCode, 503);
  t.equal(nets.json().code, 'scan_failed');
});
