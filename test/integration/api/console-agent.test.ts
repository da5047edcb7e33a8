import t from 'tap';
import type { Page } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import { laptopPage, launchBrowser } from '../../helpers/browser.js';

/**
 * The technician's console on the compiled agent, in a real browser: sign in
 * with a token the cloud minted, see the live snapshot, draw a zone the
 * motion detector then uses (the next alarm names it), read the logs.
 */
/** Polled with a function: the console's CSP forbids the eval() a string would need. */
async function pictureShown(page: Page, id: string): Promise<number> {
  type Doc = { getElementById(id: string): { naturalWidth: number } | null };
  const handle = await page.waitForFunction((imgId) => {
    const img = (globalThis as unknown as { document: Doc }).document.getElementById(imgId);
    return img !== null && img.naturalWidth > 0 ? img.naturalWidth : false;
  }, id);
  return (await handle.jsonValue()) as number;
}

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console-agent');

t.test('a real browser: token → live snapshot → a zone the detector uses → logs', async (t) => {
  await mkdir(ARTIFACTS, { recursive: true });
  t.comment(`screenshots: ${ARTIFACTS}`);
  const r = await alarmRig(t);
  const d = r.start();
  await waitReady(r, d);
  const base = String((await d.waitForLog('local API and console listening', 10_000)).url);
  const token = (await r.request('api.token', { role: 'technician', subject: 'browser-tech' })).data.token as string;

  const browser = await launchBrowser(t);
  const { page, problems } = await laptopPage(t, browser, { ignoreHTTPSErrors: true, timeoutMs: 15_000 });
  await page.goto(`${base}/`);
  await page.locator('#token').fill(token);
  await page.locator('#login').click();
  await page.locator('#health li').nth(4).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, '1-status.png') });

  await page.locator('a[href="#snapshot"]').click();
  t.ok((await pictureShown(page, 'snap-img')) > 0, 'the live snapshot from the camera is shown');
  await page.screenshot({ path: join(ARTIFACTS, '2-snapshot.png') });

  await page.locator('a[href="#zones"]').click();
  const svg = page.locator('#zone-svg');
  await pictureShown(page, 'zone-img');
  const box = await svg.boundingBox();
  if (!box) throw new Error('zone editor not laid out');
  for (const [x, y] of [[0.02, 0.02], [0.98, 0.02], [0.98, 0.98], [0.02, 0.98]] as const) await svg.click({ position: { x: x * box.width, y: y * box.height } });
  await page.locator('#zone-name').fill('porch');
  await page.locator('#zone-save').click();
  await page.locator('#zone-list li', { hasText: 'porch' }).waitFor();
  await page.screenshot({ path: join(ARTIFACTS, '3-zone.png') });

  const seen = r.alarms().length;
  r.video.enter();
  const alarms = await r.cloud.waitForCount((m) => m.topic === `cam/${r.deviceId}/event/alarm`, seen + 1, 15_000);
  r.video.leave();
  t.same(alarms[seen]!.json().data.zones, ['porch'], 'the detector uses the zone drawn in the browser');

  await page.locator('a[href="#logs"]').click();
  await page.locator('#log-lines .line', { hasText: 'alarm raised' }).first().waitFor();
  await page.screenshot({ path: join(ARTIFACTS, '4-logs.png') });
  t.notOk((await page.locator('#log-lines').innerText()).includes(token), 'the token is not in the logs');
  t.same(problems, [], 'no page errors or CSP violations');
});
