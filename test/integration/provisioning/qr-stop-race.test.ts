import t from 'tap';
import { encodePrv1 } from '../../../src/provisioning/payload/index.js';
import { cloudRequester } from '../../helpers/device-rig.js';
import { HOME, TOKEN, provisioningRig } from '../../helpers/provisioning-rig.js';
import type { Daemon } from '../../helpers/daemon.js';

/**
 * SIGTERM while the QR scanner restarts after an unbind: the agent must stop
 * everything it started, its QR ffmpeg included, and exit. Found by the
 * privacy sentinel run: a QR ffmpeg spawned ~84 ms after "stopping" was never
 * stopped and kept the process alive until SIGKILL (a start that was waiting
 * for an earlier stop went ahead after the last one, src/media/frame-source.ts;
 * two QR windows opened at once left the first one unreferenced,
 * src/provisioning/provisioning-service.ts). Each round SIGTERMs a few ms
 * later into the restart, so the rounds cover the whole start-up of the window.
 */
const full = process.env.CAMERA_AGENT_FULL_RUN === '1';
const delaysMs = full ? [0, 25, 50, 75, 100, 150, 200, 300] : [0, 60];

const prv1 = encodePrv1({ ssid: HOME.ssid, auth: 'wpa', password: HOME.password, token: TOKEN, region: 'EU', timeZone: 'Europe/Berlin' });
if (!prv1.ok) throw new Error(prv1.error.message);

function lines(d: Daemon): Array<Record<string, unknown>> {
  return d.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('SIGTERM right after an unbind, while the QR scanner restarts: the agent stops its QR ffmpeg and exits 0', async (t) => {
  const r = await provisioningRig(t, (n) => ({ status: 'bound', bindingId: `b-${n}` }));
  const request = cloudRequester(r.cloud, r.deviceId, 30_000);
  let exits = 0;
  for (const delayMs of delaysMs) {
    // Each agent reads the code (again), binds, is unbound and stopped delayMs into the new QR window.
    const d = await r.start(prv1.value);
    await d.waitForLog('bound to the account', 60_000);
    const windows = lines(d).filter((l) => l.msg === 'scanning for a Wi-Fi QR code').length;
    const unbound = await request('unbind', { reason: 'race test' });
    t.equal(unbound.status, 'ok', `delay ${delayMs} ms: unbind answered`);
    await d.waitForLogCount('scanning for a Wi-Fi QR code', windows + 1, 30_000);
    await new Promise((res) => setTimeout(res, delayMs));
    d.child.kill('SIGTERM');
    const exited = await Promise.race([d.exited, new Promise<null>((res) => setTimeout(() => res(null), 20_000))]);
    if (exited === null) d.child.kill('SIGKILL');
    t.same(exited, { code: 0, signal: null }, `SIGTERM ${delayMs} ms into the QR restart: the agent exits 0 within 20 s`);
    const log = lines(d);
    const stoppedAt = log.findIndex((l) => l.msg === 'agent stopped');
    t.ok(stoppedAt >= 0, 'it says "agent stopped"');
    t.same(log.slice(stoppedAt + 1).filter((l) => l.source === 'qr').map((l) => l.msg), [], 'no QR frame source activity after "agent stopped"');
    if (exited?.code === 0) exits++;
  }
  t.comment(`SIGTERM during the QR restart after unbind: rounds ${delaysMs.length} (delays ${delaysMs.join(', ')} ms), clean exits ${exits}`);
});
