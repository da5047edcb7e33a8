import t from 'tap';
import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'node:https';
import sharp from 'sharp';
import { alarmRig, waitReady, type AlarmRig } from '../../helpers/alarm-rig.js';

/**
 * The local API on the compiled agent, end to end: the cloud mints a
 * technician token with the `api.token` op (real Mosquitto), the technician
 * reads health and a live snapshot over TLS (the device certificate, signed
 * by the factory CA), draws a motion zone that the detector then uses, reads
 * the logs and the audit trail; a viewer may not change anything.
 */
interface Answer {
  /** SHA-256 (hex) of the server key's SPKI: what the label's F: pins. */
  pin: string;
  status: number;
  type: string;
  body: Buffer;
  json(): any;
}

function call(r: AlarmRig, url: string, opts: { method?: string; token?: string; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        // Self-signed with the device key: trust is the pinned key (checked by the test below), not a chain.
        rejectUnauthorized: false,
        headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
        const spki = new X509Certificate(peer.raw).publicKey.export({ type: 'spki', format: 'der' });
        const pin = createHash('sha256').update(spki).digest('hex');
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ pin, status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body, json: () => JSON.parse(body.toString()) });
        });
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(JSON.stringify(opts.body));
    req.end();
  });
}

t.test('token from the cloud → health, snapshot, a zone the detector uses, logs and audit; a viewer cannot write', async (t) => {
  const r = await alarmRig(t);
  const d = r.start();
  await waitReady(r, d);
  const listening = await d.waitForLog('local API and console listening', 10_000);
  const base = String(listening.url);
  t.match(base, /^https:\/\/127\.0\.0\.1:\d+$/, 'loopback only while unbound');

  const ping = await call(r, `${base}/ping`);
  t.equal(ping.status, 200, 'ping needs no token');
  const identity = JSON.parse(await readFile(join(r.dir, 'unit', 'factory', 'identity.json'), 'utf8')) as { publicKeyFingerprint: string };
  t.equal(ping.pin, identity.publicKeyFingerprint, 'the server presents the device key the label pins');
  t.equal((await call(r, `${base}/v1/health`)).status, 401, 'everything else does');

  const minted = await r.request('api.token', { role: 'technician', subject: 'tech-42', ttlS: 600 });
  t.equal(minted.status, 'ok');
  const token = minted.data.token as string;
  const viewer = (await r.request('api.token', { role: 'viewer', subject: 'viewer-1' })).data.token as string;

  const health = await call(r, `${base}/v1/health`, { token });
  t.equal(health.status, 200);
  t.match(health.json(), { checks: { cloudLink: { status: 'ok' }, video: { status: 'ok' } } });

  const snap = await call(r, `${base}/v1/snapshot.jpg`, { token });
  t.equal(snap.status, 200);
  t.match(snap.type, /image\/jpeg/);
  t.equal((await sharp(snap.body).metadata()).format, 'jpeg');
  t.equal((await call(r, `${base}/v1/snapshot.jpg`, { token: viewer })).status, 403, 'a viewer sees no picture of the home');

  const zones = { zones: [{ name: 'everywhere', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }] };
  t.equal((await call(r, `${base}/v1/motion/zones`, { method: 'PUT', token: viewer, body: zones })).status, 403);
  const put = await call(r, `${base}/v1/motion/zones`, { method: 'PUT', token, body: zones });
  t.ok(put.status >= 200 && put.status < 300, `zones saved (${put.status} ${put.body.toString().slice(0, 200)})`);
  // The detector uses the new zone at once: the next alarm names it.
  const seen = r.alarms().length;
  r.video.enter();
  const alarm = await r.cloud.waitForCount((m) => m.topic === `cam/${r.deviceId}/event/alarm`, seen + 1, 15_000);
  r.video.leave();
  t.same(alarm[seen]!.json().data.zones, ['everywhere'], 'the alarm names the zone drawn through the API');

  const logs = await call(r, `${base}/v1/logs?lines=200`, { token });
  t.equal(logs.status, 200);
  t.notOk(logs.body.toString().includes(token), 'the token is not in the logs');
  const audit = await call(r, `${base}/v1/audit`, { token });
  t.equal(audit.status, 200);
  const actions = JSON.stringify(audit.json());
  t.match(actions, /motion_zones_change/);
  t.match(actions, /login/);
  t.notOk(actions.includes(token), 'the audit trail names the token id, never the token');
});

t.test('offline sign-in: the label code and a press of the button give a technician token; a wrong code does not', async (t) => {
  const { writeFile, appendFile } = await import('node:fs/promises');
  const { readQrTexts } = await import('../../../src/factory/qr-reader.js');
  const { decodeLabelPayload } = await import('../../../src/factory/label-payload.js');
  const dir = (await import('../../helpers/tmp.js')).tempDir;
  const buttonFile = join(await dir(t), 'button');
  await writeFile(buttonFile, '');
  const r = await alarmRig(t, {}, { hal: { mode: 'sim', sim: { buttonFile } } });
  const d = r.start();
  await waitReady(r, d);
  const base = String((await d.waitForLog('local API and console listening', 10_000)).url);
  const label = (await readQrTexts(join(r.dir, 'unit', 'label.png'))).map((x) => decodeLabelPayload(x)).find((x) => x.ok);
  if (!label?.ok) throw new Error('label did not decode');
  const code = label.payload.code;
  const wrongCode = `${code.slice(0, 7)}${code[7] === 'A' ? 'B' : 'A'}${code[8]}`;
  const wrong = await call(r, `${base}/v1/login`, { method: 'POST', body: { code: wrongCode } });
  t.ok(wrong.status === 401 || wrong.status === 400, `a wrong code is refused (${wrong.status} ${wrong.body.toString().slice(0, 80)})`);
  // The technician presses the button while the camera waits for it.
  const pending = call(r, `${base}/v1/login`, { method: 'POST', body: { code, subject: 'site-tech' } });
  await new Promise((res) => setTimeout(res, 300));
  await appendFile(buttonFile, 'press 200\n');
  const ok = await pending;
  t.equal(ok.status, 200, ok.body.toString().slice(0, 200));
  const token = ok.json().token as string;
  t.equal((await call(r, `${base}/v1/health`, { token })).status, 200, 'the token works');
  t.equal((await call(r, `${base}/v1/provisioning/reset`, { method: 'POST', token, body: {} })).status, 403, 'an offline token is never admin');
  t.notOk(d.stdout().includes(token) || d.stdout().includes(code), 'neither the token nor the code is logged');
});
