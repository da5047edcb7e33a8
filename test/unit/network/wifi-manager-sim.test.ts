import t from 'tap';
import type { WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { SIM_NETWORKS, SimWifiManager } from '../../../src/network/wifi-manager-sim.js';

const creds = (ssid: string, password: string | null, extra: Partial<WifiCredentials> = {}): WifiCredentials => ({
  ssid,
  ssidAlternates: [],
  auth: password === null ? 'open' : 'wpa',
  password,
  rawPsk: false,
  hidden: false,
  transitionDisable: false,
  ...extra,
});

t.test('the right password joins and is remembered as the current connection', async (t) => {
  const wifi = new SimWifiManager();
  t.equal(await wifi.current(), null);
  const result = await wifi.join(creds('HomeNet', 'correct horse battery'));
  t.match(result, { ok: true, connection: { ssid: 'HomeNet', ifname: 'wlan0', profile: 'camera-agent-wifi' } });
  t.match(await wifi.current(), { ssid: 'HomeNet' });
});

t.test('a wrong password is auth_failed; the camera stays where it was', async (t) => {
  const wifi = new SimWifiManager({ connectedTo: 'HomeNet' });
  t.same(await wifi.join(creds('Café ☕', 'wrong-password', { auth: 'sae' })), {
    ok: false,
    reason: 'auth_failed',
    message: 'Secrets were required, but not provided',
    rolledBack: true,
  });
  t.match(await wifi.current(), { ssid: 'HomeNet' });
});

t.test('an unknown SSID is ap_not_found; an alternate reading is tried next', async (t) => {
  const wifi = new SimWifiManager({ networks: [{ ssid: 'ABC', password: 'password1' }] });
  t.match(await wifi.join(creds('Nowhere', 'password1')), { ok: false, reason: 'ap_not_found', rolledBack: false });
  t.match(await wifi.join(creds('414243', 'password1', { ssidAlternates: ['ABC'] })), { ok: true, connection: { ssid: 'ABC' } });
});

t.test('hidden networks need the hidden flag; WPA3-only networks need SAE; open ones no password', async (t) => {
  const wifi = new SimWifiManager();
  t.match(await wifi.join(creds('Attic', 'hidden-attic-1')), { ok: false, reason: 'ap_not_found' });
  t.match(await wifi.join(creds('Attic', 'hidden-attic-1', { hidden: true })), { ok: true });
  t.match(await wifi.join(creds('Café ☕', 'espresso-2024')), { ok: false, reason: 'ap_not_found' });
  t.match(await wifi.join(creds('Café ☕', 'espresso-2024', { auth: 'sae' })), { ok: true });
  t.match(await wifi.join(creds('Cafe:Guest', null)), { ok: false, reason: 'no_internet' }, 'the open café has a captive portal');
  t.match(await wifi.join(creds('Cafe:Guest', 'x', { auth: 'open' })), { ok: false, reason: 'invalid_credentials' });
});

t.test('invalid credentials are refused like the real manager refuses them', async (t) => {
  const wifi = new SimWifiManager();
  t.match(await wifi.join(creds('Home\u0000Net', 'password1')), { ok: false, reason: 'invalid_credentials' });
  t.match(await wifi.join(creds('HomeNet', 'short')), { ok: false, reason: 'invalid_credentials' });
});

t.test('scan lists every network, hidden ones without a name', async (t) => {
  const aps = await new SimWifiManager().scan();
  t.equal(aps.length, SIM_NETWORKS.length);
  t.match(aps.find((a) => a.hidden), { ssid: '', hidden: true });
  t.same(aps.find((a) => a.ssid === 'Café ☕')?.security, ['WPA3']);
  t.same(aps.find((a) => a.ssid === 'Cafe:Guest')?.security, []);
});

t.test('delays are honoured; forget() leaves the network', async (t) => {
  const wifi = new SimWifiManager({ joinDelayMs: 30 });
  const started = performance.now();
  await wifi.join(creds('HomeNet', 'correct horse battery'));
  t.ok(performance.now() - started >= 25);
  await wifi.forget();
  t.equal(await wifi.current(), null);
});

t.test('connectedTo must name a simulated network', async (t) => {
  t.throws(() => new SimWifiManager({ connectedTo: 'Nope' }), RangeError);
});
