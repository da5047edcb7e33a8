import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import type { AccessPoint } from '../../../src/network/wifi-scan.js';
import {
  captivePortal,
  type CaptivePortalDeps,
  type ConnectOutcome,
  type ConnectRequest,
  type PortalStatus,
} from '../../../src/provisioning/ap/captive-portal.js';
import { PHONE_VIEWPORT, launchBrowser, phonePage, type PhonePage } from '../../helpers/browser.js';

/**
 * The captive portal in a real browser (Debian's Chromium, headless, 360×740
 * phone viewport) against the plugin on 127.0.0.1, with a scripted camera
 * behind it: a fixed scan, a connect() that answers as told, and a status
 * that advances one step per poll. Screenshots of every state land in
 * test-artifacts/captive-portal/ (git-ignored).
 */
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/captive-portal/', import.meta.url));

/** Label codes with a valid check character (Luhn mod 32), so they reach connect(). */
const CODE = '7KQ2M9XWV';
const OTHER_CODE = 'K3PX8RTD9';

const ONLINE: PortalStatus = { state: 'online', reason: null };
const CONNECTING: PortalStatus = { state: 'connecting', reason: null };
const CONNECTED: PortalStatus = { state: 'connected', reason: null };

let bssid = 0;
function ap(ssid: string, signal: number, security: string[] = ['WPA2']): AccessPoint {
  bssid += 1;
  return { ssid, hidden: ssid === '', bssid: `AA:BB:CC:00:00:${bssid.toString(16).padStart(2, '0').toUpperCase()}`, signal, channel: 6, security };
}

const STREET: AccessPoint[] = [
  ap('HomeNet', 82),
  ap('HomeNet', 41),
  ap('Neighbour', 55, ['WPA2', 'WPA3']),
  ap('Cafe Free', 38, []),
  ap('Corp', 70, ['WPA2', '802.1X']),
  ap('', 66),
];

interface ScriptedCamera {
  deps: CaptivePortalDeps;
  connects: ConnectRequest[];
}

/**
 * `connect(req, n)` answers the n-th call (1-based); an accepted connect
 * replays `afterConnect`, one status per status() call, the last one
 * sticking (the page polls, so each poll is one step: no timers in the fake).
 */
function scriptedCamera(opts: { aps?: AccessPoint[]; connect?: (req: ConnectRequest, n: number) => ConnectOutcome; afterConnect?: PortalStatus[] } = {}): ScriptedCamera {
  const connects: ConnectRequest[] = [];
  let current: PortalStatus = { state: 'idle', reason: null };
  let queue: PortalStatus[] = [];
  const deps: CaptivePortalDeps = {
    gateway: 'set by servePortal',
    scan: async () => ({ ageS: 4, aps: opts.aps ?? STREET }),
    connect: async (req) => {
      connects.push(req);
      const outcome = opts.connect?.(req, connects.length) ?? { ok: true };
      if (outcome.ok) {
        current = CONNECTING;
        queue = [...(opts.afterConnect ?? [CONNECTING, CONNECTED, ONLINE])];
      }
      return outcome;
    },
    status: () => {
      current = queue.shift() ?? current;
      return current;
    },
    language: () => 'en',
    appSessionClient: () => false,
    mode: () => 'portal',
  };
  return { deps, connects };
}

/** The plugin on its own fastify on 127.0.0.1; the gateway is that host:port, as the integrator's is 192.168.4.1. */
async function servePortal(t: Test, camera: ScriptedCamera): Promise<string> {
  const app = Fastify();
  await app.register(captivePortal(camera.deps));
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  camera.deps.gateway = `127.0.0.1:${address.port}`;
  return `http://${camera.deps.gateway}`;
}

const shots: string[] = [];
async function snap(page: Page, name: string): Promise<void> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  shots.push(path);
}

/** Nothing wider than the phone: a 360 px screen never scrolls sideways. */
async function fitsPhone(t: Test, page: Page): Promise<void> {
  const width = (await page.evaluate('document.documentElement.scrollWidth')) as number;
  t.ok(width <= PHONE_VIEWPORT.width, `page width ${width} px ≤ ${PHONE_VIEWPORT.width} px`);
}

function clean(t: Test, phone: PhonePage, expectedFailedLoads: number[] = []): void {
  t.same(phone.problems, [], 'no script error, CSP violation or dialog in the page');
  t.same(
    phone.failedLoads.map((line) => Number(/status of (\d+)/.exec(line)?.[1])),
    expectedFailedLoads,
    'error statuses only where a refusal was expected',
  );
}

const chooseNetwork = (page: Page, ssid: string) => page.locator('.nets label').filter({ has: page.locator('.name', { hasText: ssid }) }).first().click();

await rm(ARTIFACTS, { recursive: true, force: true });
await mkdir(ARTIFACTS, { recursive: true });
t.comment(`screenshots: ${ARTIFACTS}`);
const browser = await launchBrowser(t);

t.test('picks a network from the scan, types password and setup code, sees the success state', async (t) => {
  const camera = scriptedCamera();
  const base = await servePortal(t, camera);
  const phone = await phonePage(t, browser);
  const { page } = phone;
  await page.goto(`${base}/`);

  t.same(
    await page.locator('.nets .name').allTextContents(),
    ['HomeNet', 'Corp', 'Neighbour', 'Cafe Free', 'Other network (hidden)'],
    'one row per SSID, strongest first, the hidden AP only as "Other network"',
  );
  t.ok(await page.locator('input[value="Corp"]').isDisabled(), 'an enterprise network is listed but cannot be chosen');
  t.equal(await page.locator('.nets li').nth(0).locator('svg.lock').count(), 1, 'a lock on a protected network');
  t.equal(await page.locator('.nets li').nth(3).locator('svg.lock').count(), 0, 'no lock on the open one');
  await fitsPhone(t, page);
  await snap(page, '01-form');

  await chooseNetwork(page, 'HomeNet');
  await page.fill('#password', 'correct horse battery');
  await page.click('#pw-toggle');
  t.equal(await page.getAttribute('#password', 'type'), 'text', '"Show" reveals the password');
  t.equal(await page.textContent('#pw-toggle'), 'Hide');
  await page.locator('#code').pressSequentially('7kq2 m9xw v');
  t.equal(await page.inputValue('#code'), '7KQ2-M9XW-V', 'the code is grouped as printed on the label while typing');
  await snap(page, '02-filled');

  await page.click('#submit');
  await page.locator('#done').waitFor({ state: 'visible' });
  t.match(await page.textContent('#done h2'), 'Your camera is online');
  t.ok(await page.locator('#setup').isHidden(), 'the form is gone');
  await fitsPhone(t, page);
  await snap(page, '03-success');
  t.same(camera.connects, [{ ssid: 'HomeNet', password: 'correct horse battery', hidden: false, code: CODE }], 'connect() got the choice and the canonical code');
  clean(t, phone);
});

t.test('a wrong Wi-Fi password: the failure in words, and "Try again" brings back the form with the password cleared', async (t) => {
  const camera = scriptedCamera({ afterConnect: [CONNECTING, { state: 'failed', reason: 'auth_failed' }] });
  const base = await servePortal(t, camera);
  const phone = await phonePage(t, browser);
  const { page } = phone;
  await page.goto(`${base}/`);
  await chooseNetwork(page, 'HomeNet');
  await page.fill('#password', 'not the password');
  await page.fill('#code', CODE);
  await page.click('#submit');
  await page.locator('#failed').waitFor({ state: 'visible' });
  t.match(await page.textContent('#failed-text'), /Wi-Fi password is wrong/);
  await fitsPhone(t, page);
  await snap(page, '04-failed-wrong-password');

  await page.click('#retry');
  await page.locator('#setup').waitFor({ state: 'visible' });
  t.equal(await page.inputValue('#password'), '', 'the wrong password is cleared');
  t.equal(await page.evaluate('document.activeElement.id'), 'password', 'and focused for the next try');
  t.ok(await page.locator('input[value="HomeNet"]').isChecked(), 'the network stays chosen');
  clean(t, phone);
});

t.test('a mistyped code is caught at once; a wrong setup code, then "too many attempts — try again in N minutes"', async (t) => {
  const camera = scriptedCamera({
    connect: (_req, n) => (n === 1 ? { ok: false, code: 'code_wrong' } : { ok: false, code: 'locked_out', retryAfterMs: 4 * 60_000 + 10_000 }),
  });
  const base = await servePortal(t, camera);
  const phone = await phonePage(t, browser);
  const { page } = phone;
  await page.goto(`${base}/`);
  await chooseNetwork(page, 'HomeNet');
  await page.fill('#password', 'correct horse battery');

  await page.fill('#code', 'K3PX-8RTD-8');
  await page.click('#submit');
  await page.locator('#notice').waitFor({ state: 'visible' });
  t.match(await page.textContent('#notice'), /typo/);
  t.equal(camera.connects.length, 0, 'a code failing its check character never reaches the lockout');

  await page.fill('#code', OTHER_CODE);
  await page.click('#submit');
  await page.locator('#notice', { hasText: 'setup code is not right' }).waitFor();
  t.equal(await page.getAttribute('#code', 'aria-invalid'), 'true', 'the code field is marked');
  t.ok(await page.locator('#setup').isVisible(), 'the form stays');
  await fitsPhone(t, page);
  await snap(page, '05-wrong-code');

  await page.click('#submit');
  await page.locator('#notice', { hasText: 'Too many attempts' }).waitFor();
  t.match(await page.textContent('#notice'), 'Try again in 5 minutes', '4 min 10 s is rounded up to whole minutes');
  await snap(page, '06-locked-out');
  t.equal(camera.connects.length, 2);
  t.equal(camera.connects[0]?.code, OTHER_CODE);
  clean(t, phone, [400, 403, 429]);
});

t.test('a hidden network typed by name', async (t) => {
  const camera = scriptedCamera({ afterConnect: [CONNECTED, ONLINE] });
  const base = await servePortal(t, camera);
  const phone = await phonePage(t, browser);
  const { page } = phone;
  await page.goto(`${base}/`);
  t.ok(await page.locator('#hiddenSsid').isHidden(), 'the name field is folded away until "Other network" is chosen');
  await page.click('label[for="net-other"]');
  await page.locator('#hiddenSsid').waitFor({ state: 'visible' });
  await page.fill('#hiddenSsid', ' Lab Net 2.4 ');
  await page.fill('#password', 'hidden-but-not-secret');
  await page.fill('#code', '7kq2m9xwv');
  await fitsPhone(t, page);
  await snap(page, '07-hidden-network');
  await page.click('#submit');
  await page.locator('#done').waitFor({ state: 'visible' });
  t.same(camera.connects, [{ ssid: ' Lab Net 2.4 ', password: 'hidden-but-not-secret', hidden: true, code: CODE }], 'typed name byte-exact (spaces kept), hidden: true');
  clean(t, phone);
});

t.test('SSIDs that are markup are shown as text, run nothing, and reach connect() byte-exact', async (t) => {
  // ≤ 32 bytes each: a longer one would (rightly) be refused as ssid_too_long before it ever mattered.
  const hostile = ['<script>alert(1)</script>', '"><img src=x onerror=alert(2)>', "Café ☕ 'q' &amp;"];
  const camera = scriptedCamera({ aps: hostile.map((ssid, i) => ap(ssid, 90 - i * 10)), afterConnect: [ONLINE] });
  const base = await servePortal(t, camera);
  const phone = await phonePage(t, browser);
  const { page } = phone;
  await page.goto(`${base}/`);
  t.same((await page.locator('.nets .name').allTextContents()).slice(0, 3), hostile, 'the exact SSIDs, as text');
  t.equal(await page.locator('main script, main img, .nets iframe').count(), 1, 'no element made from an SSID (the one script is the strings block)');
  t.same(phone.problems, [], 'nothing ran: no alert dialog, no error');
  await fitsPhone(t, page);
  await snap(page, '08-hostile-ssids');

  await chooseNetwork(page, '<script>alert(1)</script>');
  await page.fill('#password', 'correct horse battery');
  await page.fill('#code', CODE);
  await page.click('#submit');
  await page.locator('#done').waitFor({ state: 'visible' });
  t.equal(camera.connects[0]?.ssid, hostile[0], 'the form carried the SSID unchanged');
  clean(t, phone);
});

t.test('without JavaScript, in German: the form posts, a refusal comes back as the form, the result page refreshes itself to success', async (t) => {
  const camera = scriptedCamera({
    connect: (_req, n) => (n === 1 ? { ok: false, code: 'code_wrong' } : { ok: true }),
    afterConnect: [CONNECTING, ONLINE],
  });
  const base = await servePortal(t, camera);
  const phone = await phonePage(t, browser, { locale: 'de-DE', javaScriptEnabled: false });
  const { page } = phone;
  await page.goto(`${base}/`);
  t.equal(await page.textContent('h1'), 'Kamera mit dem WLAN verbinden', 'German from Accept-Language');
  t.ok(await page.locator('#pw-toggle').isHidden(), 'no Show button without the script');

  await chooseNetwork(page, 'HomeNet');
  await page.fill('#password', 'correct horse battery');
  await page.fill('#code', 'k3px 8rtd 9');
  await page.click('#submit');
  await page.locator('#notice', { hasText: 'Einrichtungscode stimmt nicht' }).waitFor();
  t.ok(await page.locator('input[value="HomeNet"]').isChecked(), 'the network is still chosen');
  t.equal(await page.inputValue('#password'), '', 'the password is never sent back');
  await snap(page, '09-nojs-de-wrong-code');

  await page.fill('#password', 'correct horse battery');
  await page.fill('#code', CODE);
  await page.click('#submit');
  await page.waitForURL('**/portal/progress');
  t.equal(await page.getAttribute('#result', 'data-state'), 'connecting');
  await snap(page, '10-nojs-de-progress');
  await page.locator('#result[data-state="online"]').waitFor({ timeout: 10_000 });
  t.equal(await page.textContent('#result h2'), 'Ihre Kamera ist online');
  await fitsPhone(t, page);
  await snap(page, '11-nojs-de-success');
  t.same(
    camera.connects.map((c) => c.code),
    [OTHER_CODE, CODE],
  );
  t.same(camera.connects[1], { ssid: 'HomeNet', password: 'correct horse battery', hidden: false, code: CODE });
  clean(t, phone, [403]);
});

t.test('the screenshots are saved as test artifacts', async (t) => {
  t.equal(shots.length, 11);
  for (const path of shots) {
    const s = await stat(path);
    t.ok(s.isFile() && s.size > 1000, `${path.slice(ARTIFACTS.length)}: ${s.size} bytes`);
  }
});
