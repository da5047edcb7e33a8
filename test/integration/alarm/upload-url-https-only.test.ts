import t, { type Test } from 'tap';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { putImage } from '../../../src/alarm/https-upload.js';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import { createPki } from '../../helpers/pki.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * Privacy policy "encryption in transit", ETSI EN 303 645 5.5-1, Gap G7:
 * an alarm snapshot (a picture of the home) only ever leaves over verified
 * HTTPS. Two layers refuse anything else: the request schema of
 * `snapshot.upload-url` (`url` must match ^https://, answered with
 * `invalid_args`) and putImage itself (`upload_invalid_url`), which also
 * verifies the server against `alarm.https.ca` / the bundled roots
 * (`upload_network_error` for an untrusted certificate).
 *
 * "Nothing is sent in clear" is measured on the wire: a plain TCP listener
 * on loopback counts every connection and byte it gets; the untrusted HTTPS
 * server counts completed handshakes and requests.
 */

const SIG = 'X-Amz-Signature=deadbeefcafe0123456789';

interface ClearListener {
  port: number;
  connections(): number;
  bytes(): number;
}

async function clearListener(t: Test): Promise<ClearListener> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((s) => {
    connections++;
    sockets.add(s);
    s.on('data', (d: Buffer) => (bytes += d.byteLength));
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as { port: number }).port, connections: () => connections, bytes: () => bytes };
}

/** An HTTPS server whose certificate comes from a CA the camera does not trust. */
async function untrustedServer(t: Test): Promise<{ origin: string; handshakes(): number; requests(): number }> {
  const other = await createPki(await tempDir(t));
  let handshakes = 0;
  let requests = 0;
  const server = createHttpsServer({ cert: other.server.cert, key: other.server.key }, (req, res) => {
    requests++;
    req.resume();
    res.end();
  });
  server.on('secureConnection', () => handshakes++);
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin: `https://127.0.0.1:${(server.address() as { port: number }).port}`, handshakes: () => handshakes, requests: () => requests };
}

t.test('putImage refuses http:// and file:// with upload_invalid_url and an untrusted certificate with upload_network_error; nothing reaches the wire in clear', async (t) => {
  const trusted = await createPki(await tempDir(t));
  const clear = await clearListener(t);
  const untrusted = await untrustedServer(t);
  const image = Buffer.from('\xff\xd8 a picture of the living room \xff\xd9', 'latin1');
  const opts = { timeoutMs: 5000, ca: trusted.ca };

  const http = await putImage(`http://127.0.0.1:${clear.port}/snapshots/a.jpg?${SIG}`, image, opts);
  t.match(http, { ok: false, code: 'upload_invalid_url' }, 'http:// refused before connecting');
  const file = await putImage(`file:///tmp/a.jpg?${SIG}`, image, opts);
  t.match(file, { ok: false, code: 'upload_invalid_url' }, 'file:// refused');
  const bad = await putImage(`${untrusted.origin}/snapshots/a.jpg?${SIG}`, image, opts);
  t.match(bad, { ok: false, code: 'upload_network_error' }, 'untrusted certificate refused');
  if (!bad.ok) t.notOk(bad.message.includes(SIG), 'the error names the host, never the signed query');
  const noExtraCa = await putImage(`${untrusted.origin}/snapshots/a.jpg?${SIG}`, image, { timeoutMs: 5000 });
  t.match(noExtraCa, { ok: false, code: 'upload_network_error' }, 'and with the bundled roots only');

  t.equal(clear.connections(), 0, 'the plain listener was never connected to');
  t.equal(clear.bytes(), 0, 'and received no byte');
  t.equal(untrusted.handshakes(), 0, 'no TLS session was completed with the untrusted server');
  t.equal(untrusted.requests(), 0, 'so no request (and no image) reached it');
});

t.test('the agent refuses http://, file:// and untrusted https:// snapshot upload URLs from the cloud and sends the image only to the trusted HTTPS URL', async (t) => {
  const clear = await clearListener(t);
  const untrusted = await untrustedServer(t);
  // What the "cloud" answers to each upload-url request; the test moves it along.
  let mode: 'http' | 'file' | 'untrusted' | 'good' = 'http';
  const r = await alarmRig(
    t,
    {},
    {},
    {
      video: { width: 320, height: 240 },
      uploadUrls: ({ alarmId }, uploads) => {
        const path = `/snapshots/${alarmId}.jpg?${SIG}`;
        if (mode === 'http') return { url: `http://127.0.0.1:${clear.port}${path}`, thumbnailUrl: `http://127.0.0.1:${clear.port}/t${path}` };
        if (mode === 'file') return { url: `file:///tmp${path}` };
        if (mode === 'untrusted') return { url: `${untrusted.origin}${path}` };
        return { url: `${uploads.origin}${path}` };
      },
    },
  );
  // A refused upload-url answer is noticed after urlTimeoutMs: 1 s instead of 10 s keeps the test short.
  const config = JSON.parse(await readFile(r.config, 'utf8')) as { alarm: { https: Record<string, unknown> } };
  config.alarm.https.urlTimeoutMs = 1000;
  await writeFile(r.config, JSON.stringify(config));
  const d = r.start();
  await waitReady(r, d);
  const responses = (code: string) => r.cloud.messages.filter((m) => m.topic === `cam/${r.deviceId}/response/snapshot.upload-url` && m.json().error?.code === code).length;
  const statuses = (code: string) => r.cloud.messages.filter((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data?.code === code).length;
  const waitResponses = (code: string, n: number) =>
    r.cloud.waitForCount((m) => m.topic === `cam/${r.deviceId}/response/snapshot.upload-url` && m.json().error?.code === code, n, 20_000);

  r.video.enter();
  const alarm = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/alarm`, 15_000, 'alarm');
  r.video.leave();
  const alarmId = String(alarm.json().data.alarmId);

  // http://: the request op is refused by its schema; with no URL the device reports the wait and retries.
  const refusedHttp = await waitResponses('invalid_args', 1);
  t.match(refusedHttp.at(-1)!.json(), { status: 'error', error: { code: 'invalid_args' } }, 'http:// upload URL → invalid_args');
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data?.code === 'upload_url_timeout', 20_000, 'retrying: upload_url_timeout');

  mode = 'file';
  const before = responses('invalid_args');
  await waitResponses('invalid_args', before + 1);
  t.pass('file:// upload URL → invalid_args');

  mode = 'untrusted';
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data?.code === 'upload_network_error', 20_000, 'retrying: upload_network_error');
  t.ok(statuses('upload_network_error') >= 1, 'https:// with an untrusted certificate → retrying, upload_network_error');

  mode = 'good';
  const delivered = await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/snapshot` && m.json().data?.alarmId === alarmId && m.json().data?.state === 'delivered', 20_000, 'delivered');
  t.match(delivered.json().data, { state: 'delivered', delivery: 'https' }, 'the same image goes once the cloud hands out a trusted https:// URL');
  const stored = await r.uploads.waitFor((u) => u.path === `/snapshots/${alarmId}.jpg`, 10_000);
  t.equal(stored[0]!.contentType, 'image/jpeg', 'the trusted upload server has it');

  t.equal(clear.connections(), 0, 'the plain HTTP listener was never connected to');
  t.equal(clear.bytes(), 0, 'and received no byte of the image');
  t.equal(untrusted.handshakes(), 0, 'no TLS session was completed with the untrusted server');
  t.equal(untrusted.requests(), 0, 'so it got no request and no image');
  t.notOk(d.stdout().includes(SIG), 'the signed query is not logged');
  t.comment(`refused upload-url answers: invalid_args ${responses('invalid_args')}; status events: upload_url_timeout ${statuses('upload_url_timeout')}, upload_network_error ${statuses('upload_network_error')}`);
});
