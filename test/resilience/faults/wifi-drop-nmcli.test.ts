import t, { type Test } from 'tap';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import type { WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { NmcliWifiManager } from '../../../src/network/wifi-manager-nmcli.js';
import { fakeNmcli, type FakeAccessPoint, type FakeNmcli } from '../../helpers/fake-nmcli.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The NetworkManager side of a Wi-Fi drop during provisioning, against the
 * fake nmcli (test/helpers/fake-nmcli/, a stand-in for nmcli 1.42) driving
 * the agent's real NmcliWifiManager — the join the provisioning service
 * runs on the camera (hal.mode linux). Each fault must end with the reason
 * code the app's /status and the prompt use (provisioning.md §6.5/§6.7),
 * no half-made profile left in NetworkManager, and a join that succeeds
 * once the network is back.
 */
const full = process.env.CAMERA_AGENT_FULL_RUN === '1';
const PW = 'Drop-Test-Pw-4410';

const ap = (ssid: string, extra: Partial<FakeAccessPoint> = {}): FakeAccessPoint => ({ ssid, bssid: 'AA:BB:CC:00:44:10', signal: 70, chan: 6, freq: 2437, security: 'WPA2', password: PW, ...extra });
const creds = (ssid: string): WifiCredentials => ({ ssid, ssidAlternates: [], auth: 'wpa', password: PW, rawPsk: false, hidden: false, transitionDisable: false });

async function rig(t: Test, aps: FakeAccessPoint[]): Promise<{ fake: FakeNmcli; wifi: NmcliWifiManager; log: () => string }> {
  const dir = await tempDir(t, 'camera-agent-wifidrop-');
  const fake = fakeNmcli(dir, { aps });
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const runtimeDir = join(dir, 'run');
  await mkdir(runtimeDir, { mode: 0o700 });
  const wifi = new NmcliWifiManager({ logger, env: fake.env, runtimeDir, connectivityTimeoutMs: 600, connectivityIntervalMs: 100 });
  return { fake, wifi, log: () => lines.join('') };
}

/** Profiles the agent made (the kept one and any temporary join profile). */
const agentProfiles = (fake: FakeNmcli) => (fake.state().connections ?? []).filter((c) => c.id.startsWith('camera-agent'));

const rounds = full ? 5 : 1;

t.test('the AP vanishes during the join: ap_not_found, no profile left half-made, and the join succeeds when it is back', async (t) => {
  const r = await rig(t, [ap('HomeNet')]);
  for (let i = 0; i < rounds; i++) {
    r.fake.update((s) => {
      s.aps[0]!.vanishesDuringJoin = 1;
    });
    const failed = await r.wifi.join(creds('HomeNet'));
    t.match(failed, { ok: false, reason: 'ap_not_found' }, `round ${i + 1}: the reason the app and the prompt show`);
    t.same(agentProfiles(r.fake), [], 'no profile left behind: nothing half-provisioned');
    t.equal(await r.wifi.current(), null, 'not connected');
    r.fake.update((s) => {
      s.aps[0]!.gone = false;
    });
    const ok = await r.wifi.join(creds('HomeNet'));
    t.match(ok, { ok: true, connection: { ssid: 'HomeNet' } }, 'the next attempt joins');
    await r.wifi.forget();
  }
  t.notOk(r.log().includes(PW) || r.fake.rawLog().includes(PW), 'the password in no log line or argv');
});

t.test('DHCP never completes: dhcp_timeout after one retry, no profile left, and the join succeeds once DHCP answers', async (t) => {
  const r = await rig(t, [ap('HomeNet', { dhcpFailures: 1_000 })]);
  for (let i = 0; i < rounds; i++) {
    const failed = await r.wifi.join(creds('HomeNet'));
    t.match(failed, { ok: false, reason: 'dhcp_timeout' }, `round ${i + 1}: dhcp_timeout`);
    t.same(agentProfiles(r.fake), [], 'no profile left behind');
  }
  r.fake.update((s) => {
    s.aps[0]!.dhcpFailures = 0;
  });
  t.match(await r.wifi.join(creds('HomeNet')), { ok: true }, 'DHCP back: the join succeeds');
});

t.test('association lost right after the join: the camera sees no connection, keeps the autoconnect profile (by design) and is on the network again once the AP returns', async (t) => {
  const r = await rig(t, [ap('HomeNet')]);
  const ok = await r.wifi.join(creds('HomeNet'));
  t.match(ok, { ok: true }, 'joined');
  // The AP goes away: NetworkManager drops the association and the address.
  r.fake.update((s) => {
    s.aps[0]!.gone = true;
    const dev = s.devices.find((d) => d.iface === 'wlan0')!;
    Object.assign(dev, { state: 'disconnected', activeUuid: null, activeBssid: null, connection: null, ip4: null, gateway: null });
  });
  t.equal(await r.wifi.current(), null, 'current() says not connected (the binding waits for the link, see wifi-drop-provisioning)');
  const kept = agentProfiles(r.fake);
  t.equal(kept.length, 1, 'the joined network stays as one profile: NetworkManager rejoins it by itself');
  t.match(kept[0], { id: 'camera-agent-wifi', autoconnect: true }, 'named camera-agent-wifi, autoconnect on');
  r.fake.update((s) => {
    s.aps[0]!.gone = false;
  });
  t.match(await r.wifi.join(creds('HomeNet')), { ok: true, connection: { ssid: 'HomeNet' } }, 'a new attempt with the same code joins');
  t.equal(agentProfiles(r.fake).length, 1, 'still one profile, not two');
});
