import t from 'tap';
import { ProvClient } from '../../helpers/prov-client.js';
import { HOME, TOKEN, provisioningRig } from '../../helpers/provisioning-rig.js';

/**
 * AP mode with the compiled agent on simulated hardware (a simulated
 * hotspot; the provisioning server on loopback): the app's side of the
 * protected session sends Wi-Fi and a binding token; the camera joins,
 * connects to real Mosquitto and binds. The browser portal path joins
 * without a token. A wrong setup code counts towards the lockout.
 */
const AP_CONFIG = { provisioning: { qr: { enabled: false } }, network: { ap: { startAfterMinutes: 0, port: 0 } } };

async function portalUrl(d: { waitForLog(m: string | RegExp, ms?: number): Promise<Record<string, unknown>> }): Promise<string> {
  const open = await d.waitForLog('hotspot open for provisioning', 20_000);
  return String(open.url);
}

t.test('the app over the hotspot: session with the label code, Wi-Fi + token, apply → joined, online, bound', async (t) => {
  const r = await provisioningRig(t, () => ({ status: 'bound', bindingId: 'b-ap' }));
  const d = await r.start('unused', { config: AP_CONFIG });
  const url = await portalUrl(d);
  const label = await r.label();
  const app = new ProvClient({ baseUrl: url, serial: label.serial });
  const info = await app.request('GET', '/info');
  t.match(info.body, { model: 'CAM100', sn4: label.serial.slice(-4), state: 'unprovisioned' });
  await app.handshake(label.code);
  const scan = await app.call('/wifi/scan');
  t.equal(scan.status, 200);
  t.ok(JSON.stringify(scan.body).includes(Buffer.from(HOME.ssid).toString('base64')), 'the cached scan lists the home network');
  const config = await app.call('/wifi/config', { ssid: Buffer.from(HOME.ssid).toString('base64'), password: HOME.password, auth: 'WPA', hidden: false });
  t.equal(config.status, 200, JSON.stringify(config.body));
  t.equal((await app.call('/bind', { token: TOKEN, region: 'EU', tz: 'Europe/Berlin' })).status, 200);
  const apply = await app.call('/apply');
  t.match(apply.body, { ok: true, apWillDrop: true });
  await d.waitForLog('bound to the account', 30_000);
  t.equal(r.activations.length, 1);
  t.match(r.activations[0], { token: TOKEN, region: 'EU' });
  await d.waitForLog('hotspot closed', 10_000);
  for (const secret of [HOME.password, TOKEN, label.code]) t.notOk(d.stdout().includes(secret), 'no secret in the log');
});

t.test('the browser portal: a wrong setup code is refused; the right one joins without a token', async (t) => {
  const r = await provisioningRig(t);
  const d = await r.start('unused', { config: AP_CONFIG });
  const url = await portalUrl(d);
  const label = await r.label();
  const host = new URL(url).host;
  const post = (code: string) =>
    fetch(`${url}/portal/connect`, { method: 'POST', headers: { 'content-type': 'application/json', host }, body: JSON.stringify({ ssid: HOME.ssid, password: HOME.password, hidden: false, code }) });
  const wrong = label.code.startsWith('0') ? `1${label.code.slice(1)}` : `0${label.code.slice(1)}`;
  const refused = await post(wrong);
  t.ok(refused.status === 403 || refused.status === 400, `wrong or malformed code refused (${refused.status})`);
  const ok = await post(label.code);
  t.ok(ok.status >= 200 && ok.status < 300, `accepted (${ok.status}: ${await ok.clone().text()})`);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online', 20_000, 'online');
  t.equal(r.activations.length, 0, 'the portal carries no token');
  t.notOk(d.stdout().includes(HOME.password));
});

t.test('LAN bind: online but unbound after a WIFI: code; the app binds over the home network; DNS-rebinding hosts refused', async (t) => {
  const { encodeWifiUri } = await import('../../../src/provisioning/payload/index.js');
  const wifi = encodeWifiUri({ ssid: HOME.ssid, auth: 'wpa', password: HOME.password });
  if (!wifi.ok) throw new Error(wifi.error.message);
  const r = await provisioningRig(t, () => ({ status: 'bound', bindingId: 'b-lan' }));
  const d = await r.start(wifi.value);
  const open = await d.waitForLog('LAN bind open: the camera is online and unbound', 30_000);
  const url = String(open.url);
  const { request } = await import('node:http');
  const rebinding = await new Promise<number>((resolve, reject) => {
    const req = request(`${url}/prov/v1/info`, { headers: { host: 'evil.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(rebinding, 421, 'a foreign Host is refused');
  const label = await r.label();
  const app = new ProvClient({ baseUrl: url, serial: label.serial });
  t.match((await app.info()).body, { state: 'online_unbound' });
  await app.handshake(label.code);
  const wifiAgain = await app.call('/wifi/config', { ssid: Buffer.from('x').toString('base64'), password: '12345678', auth: 'WPA', hidden: false });
  t.equal(wifiAgain.status, 409, 'Wi-Fi is not changed over the LAN');
  t.equal((await app.call('/bind', { token: TOKEN, region: 'EU' })).status, 200);
  await d.waitForLog('bound to the account', 20_000);
  t.match((await app.call('/status')).body, { state: 'bound' });
  await d.waitForLog('LAN bind closed', 10_000);
  t.notOk(d.stdout().includes(TOKEN));
});
