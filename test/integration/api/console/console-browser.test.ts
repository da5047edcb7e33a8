import t, { type Test } from 'tap';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { EventEmitter, once } from 'node:events';
import { mkdir, rm, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { consolePlugin } from '../../../../src/api/console/console-plugin.js';
import { fillPolygon, parseRegions, type MotionRegion } from '../../../../src/media/motion/regions.js';
import { PHONE_VIEWPORT, laptopPage, launchBrowser, phonePage, type PhonePage } from '../../../helpers/browser.js';

/**
 * The technician console in a real browser (Debian's Chromium, headless) at
 * 1280×800 and 360×740, against the console plugin on 127.0.0.1 (plain HTTP:
 * TLS belongs to the API server) next to a stand-in /v1 that insists on the
 * Bearer token and records what it is sent. Screenshots of every view land in
 * test-artifacts/console/ (git-ignored).
 */
const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/console/', import.meta.url));
const TOKEN = 'tch.v1.eyJkZXYiOiJjYW0tMDAxIiwicm9sZSI6InRlY2huaWNpYW4ifQ.c2lnbmF0dXJl';
/** Attacker-influenced text (a neighbour's SSID, a logged request path): must stay text. */
const EVIL_SSID = '<img src=x onerror=alert(1)>';
const EVIL_LOG = '<script>alert("log")</script> follow-marker';

/** What the stand-in API was sent; `wire` emits 'snapshot', 'zones', 'wifi' and 'follow' as they happen. */
interface FakeApi {
  wire: EventEmitter;
  snapshots: number;
  zonePuts: unknown[];
  wifiPuts: unknown[];
  followers: Set<ServerResponse>;
  unauthorized: number;
  zones: MotionRegion[];
}

const JPEG = await (async () => {
  const width = 640, height = 360;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = (x * 255) / width;
      rgb[i + 1] = (y * 255) / height;
      rgb[i + 2] = x > 400 && x < 520 && y > 120 && y < 300 ? 230 : 60;
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
})();

const LOG_LINES = [
  { level: 30, time: Date.UTC(2025, 0, 2, 3, 4, 5), msg: 'camera-agent started', version: '0.1.0' },
  { level: 40, time: Date.UTC(2025, 0, 2, 3, 4, 6), msg: 'cloud link down', code: 'connect_timeout' },
];

const AUDIT = [
  { audit: 1, seq: 1, ts: Date.UTC(2025, 0, 2, 3, 0, 0), who: 'device', action: 'audit_erased', from: null, result: 'ok' },
  { audit: 1, seq: 2, ts: Date.UTC(2025, 0, 2, 3, 5, 0), who: 'anonymous', action: 'login_failed', from: '192.168.1.x', result: 'denied', code: 'token_invalid' },
  { audit: 1, seq: 3, ts: Date.UTC(2025, 0, 2, 3, 6, 0), who: { token: 'tk_1a2b', role: 'technician' }, action: 'login', from: '192.168.1.x', result: 'ok', details: { via: 'cloud_token' } },
];

function sseOpen(req: FastifyRequest, reply: FastifyReply, into: Set<ServerResponse>, wire: EventEmitter): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  res.write(': open\n\n');
  into.add(res);
  req.raw.on('close', () => {
    into.delete(res);
    wire.emit('sse-closed');
  });
  return res;
}

/** The console plugin plus a stand-in /v1 on one fastify, as the API server will host them. */
async function serveConsole(t: Test): Promise<{ base: string; api: FakeApi }> {
  const api: FakeApi = { wire: new EventEmitter(), snapshots: 0, zonePuts: [], wifiPuts: [], followers: new Set(), unauthorized: 0, zones: [] };
  const eventStreams = new Set<ServerResponse>();
  // SSE responses are never idle: close them with the server.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(consolePlugin);
  await app.register(async (v1) => {
    v1.addHook('onRequest', async (req, reply) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        api.unauthorized += 1;
        return reply.code(401).send({ code: 'token_invalid', message: 'A valid technician token is required.' });
      }
    });
    v1.get('/health', async () => ({
      status: 'ok',
      checks: [
        { name: 'cloud', status: 'ok' },
        { name: 'video', status: 'ok', detail: '1920x1080 @ 15 fps' },
        { name: 'storage', status: 'warn', message: '83% used' },
        { name: 'clock', status: 'ok' },
        { name: 'memory', status: 'ok' },
      ],
    }));
    v1.get('/device', async () => ({ deviceId: 'cam-001', model: 'CA-200', versions: { agent: '0.1.0' }, network: { ssid: EVIL_SSID, ip: '192.168.1.20' } }));
    v1.get('/events', async (req, reply) => {
      sseOpen(req, reply, eventStreams, api.wire).write(`event: state\ndata: ${JSON.stringify({ type: 'state', ts: Date.now(), state: 'online' })}\n\n`);
    });
    v1.get('/snapshot.jpg', async (_req, reply) => {
      api.snapshots += 1;
      api.wire.emit('snapshot');
      return reply.type('image/jpeg').header('cache-control', 'no-store').send(JPEG);
    });
    v1.get('/motion/zones', async () => ({ zones: api.zones }));
    v1.put('/motion/zones', async (req, reply) => {
      api.zonePuts.push(req.body);
      const parsed = parseRegions((req.body as { zones?: unknown } | null)?.zones, 'zone');
      if (!parsed.ok) return reply.code(400).send({ code: 'invalid_zones', message: parsed.message });
      api.zones = parsed.regions;
      api.wire.emit('zones');
      return { applied: ['motion.zones'], staged: [], restartRequired: [] };
    });
    v1.get('/wifi/scan', async () => ({
      networks: [
        { ssid: 'HomeNet', hidden: false, bssid: 'AA:BB:CC:00:00:01', signal: 82, channel: 6, security: ['WPA2'] },
        { ssid: EVIL_SSID, hidden: false, bssid: 'AA:BB:CC:00:00:02', signal: 64, channel: 11, security: ['WPA2', 'WPA3'] },
        { ssid: 'Cafe Free', hidden: false, bssid: 'AA:BB:CC:00:00:04', signal: 50, channel: 1, security: [] },
        { ssid: '', hidden: true, bssid: 'AA:BB:CC:00:00:03', signal: 40, channel: 1, security: ['WPA2'] },
      ],
    }));
    v1.put('/wifi', async (req, reply) => {
      api.wifiPuts.push(req.body);
      api.wire.emit('wifi');
      return reply.code(202).send({ applied: [], staged: ['wifi'], restartRequired: [] });
    });
    v1.get('/logs', async (req, reply) => {
      if ((req.query as { follow?: string }).follow === '1') {
        sseOpen(req, reply, api.followers, api.wire);
        api.wire.emit('follow');
        return;
      }
      return reply.type('application/x-ndjson').send(LOG_LINES.map((l) => JSON.stringify(l)).join('\n') + '\n');
    });
    v1.get('/audit', async () => ({ entries: AUDIT }));
  }, { prefix: '/v1' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { base: `http://127.0.0.1:${address.port}`, api };
}

/** Resolves when `ready()` holds, re-checking on each `event`; fails after 10 s. */
async function until(api: FakeApi, event: string, ready: () => boolean): Promise<void> {
  const signal = AbortSignal.timeout(10_000);
  while (!ready()) await once(api.wire, event, { signal });
}

const shots: string[] = [];
async function snap(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

async function fitsWidth(t: Test, page: Page, width: number, view: string): Promise<void> {
  const scroll = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  t.ok(scroll <= width, `${view}: page width ${scroll} px ≤ ${width} px`);
}

const visibleText = (page: Page, selector: string) => page.locator(selector).innerText();

/**
 * Waits until an <img> has decoded a picture. A function, not a string: the
 * page's CSP (rightly) forbids the eval() Playwright would poll a string with.
 */
async function pictureShown(page: Page, id: string): Promise<number> {
  type Doc = { getElementById(id: string): { naturalWidth: number } | null };
  const handle = await page.waitForFunction((imgId) => {
    const img = (globalThis as unknown as { document: Doc }).document.getElementById(imgId);
    return img !== null && img.naturalWidth > 0 ? img.naturalWidth : false;
  }, id);
  return (await handle.jsonValue()) as number;
}

/** One technician's visit: sign in, dashboard, live picture, a new zone, Wi-Fi, logs (with live follow), audit. */
async function visit(t: Test, tab: PhonePage, label: string, width: number): Promise<void> {
  const { page } = tab;
  const { base, api } = await serveConsole(t);
  await page.goto(`${base}/`);

  await page.locator('#token').fill('not-the-right-token');
  await page.locator('#login').click();
  await page.locator('#login-msg', { hasText: 'refused this token' }).waitFor();
  await snap(page, `${label}-1-login-refused`);
  await page.locator('#token').fill(TOKEN);
  await page.locator('#login').click();

  await page.locator('#v-status').waitFor();
  await page.locator('#health li').nth(4).waitFor();
  t.equal(await page.locator('#health li').count(), 5, 'five health checks listed');
  t.match(await visibleText(page, '#health'), /storage[\s\S]*83% used/);
  await page.locator('#device td', { hasText: EVIL_SSID }).waitFor();
  await page.locator('#events li').first().waitFor();
  t.equal(await page.locator('#who').innerText(), 'cam-001', 'the header names the camera');
  t.equal(await page.evaluate("sessionStorage.getItem('camera-console.token')"), TOKEN, 'the token is kept for this tab only');
  await fitsWidth(t, page, width, 'status');
  await snap(page, `${label}-2-status`);

  await page.locator('a[href="#snapshot"]').click();
  t.equal(await pictureShown(page, 'snap-img'), 640, 'the live snapshot is shown');
  t.match(await page.evaluate("document.getElementById('snap-img').src"), /^blob:/, 'fetched with the token, shown from a blob: URL');
  const before = api.snapshots;
  await page.locator('#snap-every').selectOption('1');
  await until(api, 'snapshot', () => api.snapshots > before);
  t.pass('the picture refreshes on its own');
  await fitsWidth(t, page, width, 'snapshot');
  await snap(page, `${label}-3-snapshot`);

  await page.locator('a[href="#zones"]').click();
  t.equal(await pictureShown(page, 'zone-img'), 640, 'the zone editor draws over the live picture');
  const svg = page.locator('#zone-svg');
  const box = await svg.boundingBox();
  if (!box) throw new Error('zone editor not laid out');
  const corners: Array<[number, number]> = [[0.6, 0.3], [0.85, 0.3], [0.85, 0.85], [0.6, 0.85]];
  for (const [x, y] of corners) await svg.click({ position: { x: x * box.width, y: y * box.height } });
  t.equal(await page.locator('#zone-count').innerText(), '4 points');
  await page.locator('#zone-name').fill('driveway');
  await page.locator('#zone-save').click();
  await until(api, 'zones', () => api.zonePuts.length > 0);
  const sent = parseRegions((api.zonePuts[0] as { zones: unknown }).zones, 'zone');
  t.ok(sent.ok, 'the detector accepts what the console sent');
  if (sent.ok) {
    const [zone] = sent.regions;
    t.equal(zone?.name, 'driveway');
    t.equal(zone?.points.length, 4);
    for (const [i, [x, y]] of (zone?.points ?? []).entries()) {
      t.ok(x >= 0 && x <= 1 && y >= 0 && y <= 1, `point ${i + 1} normalised: ${x}, ${y}`);
      t.ok(Math.abs(x - corners[i]![0]) < 0.01 && Math.abs(y - corners[i]![1]) < 0.01, `point ${i + 1} where it was clicked`);
    }
    // Rasterised as the detector does on its 160×90 working frame: the picture's right-hand block is in the zone, the left is not.
    const mask = new Uint8Array(160 * 90);
    fillPolygon(mask, 160, 90, zone?.points ?? [], 1);
    t.equal(mask[50 * 160 + 115], 1, 'a pixel inside the drawn zone is watched');
    t.equal(mask[50 * 160 + 40], 0, 'a pixel outside it is not');
  }
  await page.locator('#zone-list li', { hasText: 'driveway' }).waitFor();
  t.equal(await page.locator('#zone-svg polygon.zone').count(), 1, 'the saved zone is drawn over the picture');
  await fitsWidth(t, page, width, 'zones');
  await snap(page, `${label}-4-zones`);

  await page.locator('a[href="#wifi"]').click();
  await page.locator('#wifi-list .ssid', { hasText: EVIL_SSID }).click();
  t.equal(await page.locator('#wifi-ssid').inputValue(), EVIL_SSID, 'a scanned SSID fills the form as text');
  t.equal(await page.locator('#wifi-auth').inputValue(), 'wpa');
  t.equal(await page.locator('#wifi-list img').count(), 0, 'an SSID never becomes markup');
  await page.locator('#wifi-password').fill('correct horse battery');
  await page.locator('#wifi-join').click();
  await until(api, 'wifi', () => api.wifiPuts.length > 0);
  t.same(api.wifiPuts[0], { ssid: EVIL_SSID, auth: 'wpa', password: 'correct horse battery' }, 'auth chosen from what the AP advertises');
  await page.locator('#wifi-msg', { hasText: 'Accepted' }).waitFor();
  await fitsWidth(t, page, width, 'wifi');
  await snap(page, `${label}-5-wifi`);

  await page.locator('a[href="#logs"]').click();
  await page.locator('#log-lines .line', { hasText: 'camera-agent started' }).waitFor();
  t.equal(await page.locator('#log-lines .line').count(), LOG_LINES.length, 'the stored lines are shown');
  await page.locator('#logs-follow').click();
  await until(api, 'follow', () => api.followers.size > 0);
  await page.locator('#follow-state', { hasText: 'following' }).waitFor();
  for (const res of api.followers) res.write(`data: ${JSON.stringify({ level: 30, time: Date.now(), msg: EVIL_LOG })}\n\n`);
  await page.locator('#log-lines .line', { hasText: 'follow-marker' }).waitFor();
  t.match(await page.locator('#log-lines .line').last().innerText(), EVIL_LOG, 'a followed line appears live, as text');
  t.equal(await page.locator('#log-lines script').count(), 0);
  await fitsWidth(t, page, width, 'logs');
  await snap(page, `${label}-6-logs`);

  await page.locator('a[href="#audit"]').click();
  await page.locator('#audit-rows tr').nth(AUDIT.length - 1).waitFor();
  t.match(await page.locator('#audit-rows tr').first().innerText(), /tk_1a2b \(technician\)[\s\S]*login/, 'newest record first');
  await fitsWidth(t, page, width, 'audit');
  await snap(page, `${label}-7-audit`);
  await until(api, 'sse-closed', () => api.followers.size === 0);
  t.pass('leaving the logs view stops following');

  await page.locator('#signout').click();
  await page.locator('#v-login').waitFor();
  t.equal(await page.evaluate("sessionStorage.getItem('camera-console.token')"), null, 'signing out forgets the token');

  t.equal(api.unauthorized, 1, 'every request carried the token except the deliberately wrong sign-in');
  t.same(tab.problems, [], 'no script error, CSP violation or dialog in the page');
  t.same(tab.failedLoads.map((line) => Number(/status of (\d+)/.exec(line)?.[1])), [401], 'the only error status is the refused token');
}

await rm(ARTIFACTS, { recursive: true, force: true });
await mkdir(ARTIFACTS, { recursive: true });
t.comment(`screenshots: ${ARTIFACTS}`);
const browser = await launchBrowser(t);

t.test('on a laptop (1280×800) a technician signs in, watches, draws a zone, fixes Wi-Fi and reads logs', async (t) => {
  await visit(t, await laptopPage(t, browser), 'laptop', 1280);
});

t.test('on a phone (360×740) the same visit works and nothing scrolls sideways', async (t) => {
  await visit(t, await phonePage(t, browser), 'phone', PHONE_VIEWPORT.width);
});

t.test('the screenshots are saved as test artifacts', async (t) => {
  t.equal(shots.length, 14);
  for (const path of shots) {
    const s = await stat(path);
    t.ok(s.isFile() && s.size > 1000, `${path.slice(ARTIFACTS.length)}: ${s.size} bytes`);
  }
});
