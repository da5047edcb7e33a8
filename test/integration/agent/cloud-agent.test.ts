import t, { type Test } from 'tap';
import { createServer as createHttpsServer } from 'node:https';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { factoryCommand } from '../../../src/factory/factory-command.js';
import { tempDir } from '../../helpers/tmp.js';
import { startBroker, connectCloud } from '../../helpers/mosquitto.js';
import { startDaemon, type Daemon } from '../../helpers/daemon.js';

/**
 * The whole agent (compiled daemon) against a real Mosquitto with mutual
 * TLS and a per-device ACL: its identity comes from `factory provision`
 * signed by the broker's CA, as a factory station would do it.
 */
async function rig(t: Test) {
  const dir = await tempDir(t);
  const broker = await startBroker(t, dir);
  const unit = join(dir, 'unit');
  const code = await factoryCommand(
    ['provision', '--serial', 'AGENT0000001', '--model', 'CAM100', '--out', unit, '--ca-key', join(broker.pki.dir, 'ca.key'), '--ca-cert', broker.pki.caPath],
    { out: () => undefined, err: (l) => t.comment(l) },
  );
  t.equal(code, 0, 'unit provisioned');
  const identity = JSON.parse(await readFile(join(unit, 'factory', 'identity.json'), 'utf8')) as { deviceId: string };
  const secret = 'SENTINEL-LOG-SECRET-77';
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      data: { dir: join(dir, 'data') },
      identity: { dir: join(unit, 'factory') },
      hal: { mode: 'sim' },
      video: { input: `rtsp://admin:${secret}@127.0.0.1:9/none` },
      cloud: { url: broker.url, ca: broker.pki.caPath, backoff: { startDelayMaxMs: 0, minMs: 200 } },
    }),
  );
  const cloud = await connectCloud(t, broker, { subscribe: [`cam/${identity.deviceId}/#`] });
  return { dir, broker, unit, identity, config, cloud, secret };
}

function start(t: Test, r: { dir: string; config: string }, env: Record<string, string> = {}): Daemon {
  return startDaemon(t, ['run', '--config', r.config], { CAMERA_AGENT_SYSTEM_CONFIG: join(r.dir, 'none.json'), ...env });
}

async function request(cloud: Awaited<ReturnType<typeof connectCloud>>, deviceId: string, op: string, args: Record<string, unknown> = {}) {
  const transaction = `${op}-${Math.random().toString(36).slice(2)}`;
  await cloud.client.publishAsync(`cam/${deviceId}/request/${op}`, JSON.stringify({ transaction, ts: Date.now(), args }), { qos: 1 });
  const res = await cloud.waitFor((m) => m.topic === `cam/${deviceId}/response/${op}` && m.json().transaction === transaction, 15_000, `${op} response`);
  return res.json() as { status: string; data?: Record<string, unknown>; error?: { code: string; fields?: Array<{ path: string }> } };
}

t.test('the agent comes online with its factory identity: retained status and info, ping answered', async (t) => {
  const r = await rig(t);
  const d = start(t, r);
  const status = await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'online', 20_000, 'online');
  t.ok(status);
  const info = (await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/info`, 10_000)).json();
  t.equal(info.serial, 'AGENT0000001');
  t.equal(info.model, 'CAM100');
  t.match(info.mac, /^\*\*:\*\*:\*\*:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/, 'MAC masked');
  t.ok(info.capabilities.includes('video'));
  const pong = await request(r.cloud, r.identity.deviceId, 'ping');
  t.equal(pong.status, 'ok');
  await d.waitForLog('device state changed');
  d.child.kill('SIGTERM');
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'stopped', 10_000, 'stopped');
  t.equal((await d.exited).code, 0);
});

t.test('config.set with one invalid field changes nothing and names the field; a valid one is applied', async (t) => {
  const r = await rig(t);
  const d = start(t, r);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'online', 20_000);
  const bad = await request(r.cloud, r.identity.deviceId, 'config.set', { patch: { device: { language: 'de', timezone: 'Mars/Base' } } });
  t.equal(bad.status, 'error');
  t.match(JSON.stringify(bad.error), /device\.timezone/);
  const get1 = await request(r.cloud, r.identity.deviceId, 'config.get');
  t.match(JSON.stringify(get1.data), /"language":"en"/, 'nothing changed');
  t.notMatch(JSON.stringify(get1.data), new RegExp(r.secret), 'config.get masks secrets');
  const good = await request(r.cloud, r.identity.deviceId, 'config.set', { patch: { device: { language: 'de' } } });
  t.equal(good.status, 'ok');
  const get2 = await request(r.cloud, r.identity.deviceId, 'config.get');
  t.match(JSON.stringify(get2.data), /"language":"de"/);
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('logs.upload: redacted logs as MQTT chunks, or PUT to an HTTPS URL', async (t) => {
  const r = await rig(t);
  // A local HTTPS upload server with the broker's test certificate (trusted via NODE_EXTRA_CA_CERTS).
  const uploads: Buffer[] = [];
  const server = createHttpsServer({ cert: await readFile(r.broker.pki.server.certPath), key: await readFile(r.broker.pki.server.keyPath) }, (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      uploads.push(Buffer.concat(parts));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const d = start(t, r, { NODE_EXTRA_CA_CERTS: r.broker.pki.caPath });
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'online', 20_000);
  await d.waitForLog(/frame source down|ffmpeg ended/);

  const chunked = await request(r.cloud, r.identity.deviceId, 'logs.upload', {});
  t.equal(chunked.status, 'ok');
  t.equal(chunked.data?.delivery, 'mqtt');
  const chunks = await r.cloud.waitForCount((m) => m.topic === `cam/${r.identity.deviceId}/event/logs`, Number(chunked.data?.chunks), 15_000);
  const gz = Buffer.concat(chunks.map((c) => c.json()).sort((a, b) => a.data.index - b.data.index).map((e) => Buffer.from(e.data.content, 'base64')));
  const text = gunzipSync(gz).toString('utf8');
  t.match(text, /agent ready/);
  t.notMatch(text, new RegExp(r.secret), 'the RTSP password is not in the uploaded logs');

  const port = (server.address() as AddressInfo).port;
  const put = await request(r.cloud, r.identity.deviceId, 'logs.upload', { url: `https://127.0.0.1:${port}/upload?X-Amz-Signature=abc` });
  t.equal(put.status, 'ok', JSON.stringify(put));
  t.equal(put.data?.delivery, 'https');
  t.equal(uploads.length, 1);
  t.notMatch(gunzipSync(uploads[0]!).toString('utf8'), new RegExp(r.secret));
  t.notMatch(d.stdout(), /X-Amz-Signature=abc/, 'the presigned URL signature is not logged');

  const plain = await request(r.cloud, r.identity.deviceId, 'logs.upload', { url: `http://127.0.0.1:${port}/x` });
  t.equal(plain.status, 'error', 'plain HTTP refused');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('unbind erases personal data, reports it and returns to provisioning', async (t) => {
  const r = await rig(t);
  const d = start(t, r);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'online', 20_000);
  await request(r.cloud, r.identity.deviceId, 'config.set', { patch: { device: { timezone: 'Europe/Berlin' } } });
  const before = await readdir(join(r.dir, 'data'));
  t.ok(before.includes('config.json'), 'a runtime change was stored');
  const factoryBefore = await readdir(join(r.unit, 'factory'));
  const identityBefore = await readFile(join(r.unit, 'factory', 'identity.json'), 'utf8');
  const res = await request(r.cloud, r.identity.deviceId, 'unbind', { reason: 'account deleted' });
  t.equal(res.status, 'ok');
  t.equal(res.data?.erased, true);
  t.equal(res.data?.state, 'provisioning');
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/event/unbound`, 10_000, 'unbound event');
  const after = await readdir(join(r.dir, 'data'));
  t.notOk(after.includes('config.json'), 'runtime configuration erased');
  t.same(await readdir(join(r.unit, 'factory')), factoryBefore, 'every factory file kept');
  t.equal(await readFile(join(r.unit, 'factory', 'identity.json'), 'utf8'), identityBefore, 'identity unchanged');
  d.child.kill('SIGTERM');
  await d.exited;
});

t.test('SIGKILL leaves the retained status offline (last will)', async (t) => {
  const r = await rig(t);
  const d = start(t, r);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'online', 20_000);
  d.child.kill('SIGKILL');
  // Mosquitto sends the will when it notices the dead socket (at once for a killed process: the kernel closes it).
  await r.cloud.waitFor((m) => m.topic === `cam/${r.identity.deviceId}/status` && m.json().state === 'offline', 15_000, 'offline will');
  t.pass('offline published by the broker');
});

