import t, { type Test } from 'tap';
import { encodePrv1, encodeWifiUri } from '../../../src/provisioning/payload/index.js';
import type { Daemon } from '../../helpers/daemon.js';
import { HOME, TOKEN, provisioningRig } from '../../helpers/provisioning-rig.js';

/**
 * A camera fresh out of the box, no cable: a phone shows a QR code to the
 * lens; the agent reads it from the camera feed, joins the (simulated)
 * Wi-Fi, connects to the cloud over mutual TLS (real Mosquitto) and binds
 * with the token. The password and the token never appear in the agent's
 * output.
 */
const prv1 = (over: Partial<Parameters<typeof encodePrv1>[0]> = {}) => {
  const r = encodePrv1({ ssid: HOME.ssid, auth: 'wpa', password: HOME.password, token: TOKEN, region: 'EU', timeZone: 'Europe/Berlin', ...over });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

/** Output lines that are not a log message of their own (a prompt's field) are polled for. */
async function waitForOutput(d: Daemon, pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(d.stdout())) {
    if (Date.now() > until) throw new Error(`no ${String(pattern)} in the agent's output within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function noSecrets(t: Test, out: string, secrets: string[]): void {
  for (const s of secrets) t.notOk(out.includes(s), `"${s.slice(0, 6)}…" never appears in the agent's output`);
}

t.test('PRV1 in front of the lens: reads, joins, connects, binds, says so; no secret in the log', async (t) => {
  const r = await provisioningRig(t, () => ({ status: 'bound', bindingId: 'b-42' }));
  const d = await r.start(prv1());
  await d.waitForLog('scanning for a Wi-Fi QR code', 20_000);
  t.equal(r.cloud.messages.filter((m) => m.topic.endsWith('/status')).length, 0, 'no cloud before the network');
  await d.waitForLog('Wi-Fi QR code read', 20_000);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online', 20_000, 'online');
  await d.waitForLog('bound to the account', 20_000);
  t.equal(r.activations.length, 1, 'one activation');
  t.match(r.activations[0], { token: TOKEN, region: 'EU', serial: 'PROV00000001', requestId: /^[0-9a-f]{16}$/ });
  const info = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/info` && m.json().state === 'bound', 10_000, 'info says bound');
  t.match(info.json(), { state: 'bound', wifi: { ssid: /^Ho…/ } });
  t.ok(info.json().activatedAt > 0, 'activatedAt');
  const out = d.stdout();
  t.match(out, /"prompt":"connecting"/);
  t.match(out, /"prompt":"bound"/);
  t.match(out, /"msg":"test tone"/, 'a beep on the read');
  t.match(out, /"timeZone":"Europe\/Berlin","msg":"time zone set from the provisioning code"/, 'the time zone from the code is applied');
  noSecrets(t, out + d.stderr(), [HOME.password, TOKEN, 'correct%20horse']);
});

t.test('a wrong password: back to provisioning with auth_failed and the prompt; the cloud never sees a token', async (t) => {
  const r = await provisioningRig(t);
  const d = await r.start(prv1({ password: 'wrong password 123' }));
  const failed = await d.waitForLog(/^joining Wi-Fi failed/, 20_000);
  t.equal(failed.code, 'auth_failed');
  await waitForOutput(d, /"prompt":"wrong-password"/);
  await d.waitForLogCount('scanning for a Wi-Fi QR code', 2, 10_000);
  t.equal(d.stdout().split('\n').filter((l) => l.includes('"msg":"Wi-Fi QR code read"')).length, 1, 'the code still in view is not retried at once');
  t.equal(r.activations.length, 0);
  noSecrets(t, d.stdout(), ['wrong password 123', TOKEN]);
});

t.test('a network not in range says network-not-found', async (t) => {
  const r = await provisioningRig(t);
  const d = await r.start(prv1({ ssid: 'NoSuchNet' }));
  const failed = await d.waitForLog(/^joining Wi-Fi failed/, 20_000);
  t.equal(failed.code, 'ap_not_found');
  await waitForOutput(d, /"prompt":"network-not-found"/);
});

for (const code of ['token_expired', 'token_used', 'owned_by_other'] as const) {
  t.test(`binding refused with ${code}: online, unbound, "binding failed", the code kept`, async (t) => {
    const r = await provisioningRig(t, () => ({ status: 'refused', code }));
    const d = await r.start(prv1());
    const failed = await d.waitForLog('binding failed: the cloud refused the binding: ' + code + '; the camera stays online and unbound', 30_000);
    t.equal(failed.code, code);
    t.equal(r.activations.length, 1, 'a refusal is not retried');
    await waitForOutput(d, /"prompt":"binding-failed"/);
    const info = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/info` && m.json().state === 'online', 10_000, 'info online');
    t.equal(info.json().activatedAt, null);
  });
}

t.test('a foreign WIFI: code joins and stays online-unbound; no activation', async (t) => {
  const wifi = encodeWifiUri({ ssid: HOME.ssid, auth: 'wpa', password: HOME.password });
  if (!wifi.ok) throw new Error(wifi.error.message);
  const r = await provisioningRig(t);
  const d = await r.start(wifi.value);
  await d.waitForLog(/no binding token/, 20_000);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/info` && m.json().state === 'online', 20_000, 'online');
  t.equal(r.activations.length, 0);
});

t.test('an unrelated code and a bad PRV1 are ignored, a low tone for the bad one; scanning goes on', async (t) => {
  const r = await provisioningRig(t);
  const bad = prv1().replace('HomeNet', 'HomeNeT'); // CRC no longer matches
  const d = await r.start(bad);
  const rejected = await d.waitForLog(/qr: code refused|rejected/, 20_000);
  t.equal(rejected.code, 'crc_mismatch');
  t.notOk(d.stdout().includes('Wi-Fi QR code read'));
  t.equal(r.activations.length, 0);
});
