import t, { type Test } from 'tap';
import { once } from 'node:events';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { ManualClock, systemClock } from '../../../src/core/clock.js';
import { createLogging } from '../../../src/log/logger.js';
import { connectRelay, type RelayConnectOptions } from '../../../src/talkback/relay-transport.js';
import type { TalkTransport, TransportCloseReason } from '../../../src/talkback/transport.js';
import { freePort } from '../../helpers/mosquitto.js';
import { createPki, type TestPki } from '../../helpers/pki.js';
import { tempDir } from '../../helpers/tmp.js';
import { WatchedList } from '../../helpers/watched-list.js';

/**
 * The relay client against a local WSS server (https + ws) with a
 * throw-away openssl CA: the bearer header, TLS verification, each failure
 * code, the keep-alive, text messages and back-pressure.
 */

const TOKEN = 'sess.eyJzaWQiOiJ0ZXN0In0.c2lnbmF0dXJl-TOKEN-MARKER';

interface RelayServer {
  url: string;
  port: number;
  upgrades: WatchedList<IncomingMessage>;
  sockets: WatchedList<WebSocket>;
  /** Every message the server received, per socket index order. */
  received: WatchedList<{ data: Buffer; isBinary: boolean }>;
  first(): Promise<WebSocket>;
}

async function relayServer(t: Test, pki: TestPki, opts: { answer?: (req: IncomingMessage) => number | null; autoPong?: boolean; host?: string } = {}): Promise<RelayServer> {
  const server = createHttpsServer({ cert: pki.server.cert, key: pki.server.key });
  const wss = new WebSocketServer({ noServer: true, autoPong: opts.autoPong ?? true });
  const upgrades = new WatchedList<IncomingMessage>();
  const sockets = new WatchedList<WebSocket>();
  const received = new WatchedList<{ data: Buffer; isBinary: boolean }>();
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.push(req);
    const status = opts.answer?.(req);
    if (status) {
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => received.push({ data: data as Buffer, isBinary }));
      ws.on('error', () => undefined);
      sockets.push(ws);
    });
  });
  const host = opts.host ?? '127.0.0.1';
  server.listen(0, host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  t.teardown(async () => {
    for (const ws of sockets.items) ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `wss://${host}:${port}/v1/relay/session-1?role=camera`,
    port,
    upgrades,
    sockets,
    received,
    first: async () => (await sockets.waitFor(() => true, 1, 5000, () => 'no relay socket accepted'))[0]!,
  };
}

function capture() {
  const lines: string[] = [];
  const { logger } = createLogging({ level: 'debug', ringLines: 100, output: { write: (line) => void lines.push(line) } });
  return { logger, lines };
}

function options(over: Partial<RelayConnectOptions> & Pick<RelayConnectOptions, 'url'>, log = capture()): RelayConnectOptions {
  return { token: TOKEN, connectTimeoutMs: 5000, clock: systemClock, logger: log.logger, pingIntervalMs: 60_000, ...over };
}

function closedOf(transport: TalkTransport): Promise<{ reason: TransportCloseReason; detail: string | undefined }> {
  return new Promise((resolve) => transport.onClose((reason, detail) => resolve({ reason, detail })));
}

function frames(transport: TalkTransport): WatchedList<Uint8Array> {
  const list = new WatchedList<Uint8Array>();
  transport.onFrame((b) => list.push(b));
  return list;
}

let pkiPromise: Promise<TestPki> | null = null;
async function pki(t: Test): Promise<TestPki> {
  if (!pkiPromise) {
    const dir = join(await tempDir(t), 'pki');
    await mkdir(dir);
    pkiPromise = createPki(dir);
  }
  return pkiPromise;
}

t.test('connects with the session token as a bearer header and carries binary frames both ways', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const log = capture();
  const r = await connectRelay(options({ url: srv.url, ca: p.ca }, log));
  if (!r.ok) return t.fail(`connect failed: ${r.code} ${r.message}`);
  const transport = r.transport;
  t.equal(transport.kind, 'relay');
  const [req] = srv.upgrades.items;
  t.equal(req!.headers.authorization, `Bearer ${TOKEN}`);
  t.equal(req!.url, '/v1/relay/session-1?role=camera', 'the URL is used as given, no token added');
  t.equal(req!.headers['sec-websocket-extensions'], undefined, 'no compression offered');

  const server = await srv.first();
  const got = frames(transport);
  const frame = Buffer.from(Array.from({ length: 1512 }, (_, i) => (i * 13) & 0xff));
  server.send(frame);
  const [down] = await got.waitFor(() => true, 1, 5000, () => 'no frame from the relay');
  t.ok(Buffer.from(down!).equals(frame), 'relay → camera, 1512 bytes intact');

  t.equal(transport.send(Uint8Array.of(0, 1, 2, 255)), true);
  const [up] = await srv.received.waitFor(() => true, 1, 5000, () => 'no frame at the relay');
  t.ok(up!.isBinary, 'sent as a binary message');
  t.same([...up!.data], [0, 1, 2, 255]);

  const closed = closedOf(transport);
  const serverSaw = once(server, 'close');
  await transport.close();
  t.same(await closed, { reason: 'closed', detail: undefined });
  t.equal((await serverSaw)[0], 1000, 'our close is 1000');
  t.equal(transport.send(Uint8Array.of(1)), false, 'send after close drops');
  await transport.close(); // idempotent
  t.notOk(log.lines.join('\n').includes('TOKEN-MARKER'), 'the token is in no log line');
  t.ok(log.lines.some((l) => l.includes('relay connected')), 'the connect was logged');
});

t.test('a relay certificate from another CA is relay_tls_failed', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const otherDir = join(await tempDir(t), 'other');
  await mkdir(otherDir);
  const other = await createPki(otherDir);
  const r = await connectRelay(options({ url: srv.url, ca: other.ca }));
  t.same(r.ok ? 'connected' : r.code, 'relay_tls_failed');
  const noCa = await connectRelay(options({ url: srv.url }));
  t.same(noCa.ok ? 'connected' : noCa.code, 'relay_tls_failed', 'and without extra trust (bundled roots only)');
  // 127.0.0.2 is loopback too, but the certificate names only 127.0.0.1 and localhost.
  const elsewhere = await relayServer(t, p, { host: '127.0.0.2' });
  const wrongHost = await connectRelay(options({ url: elsewhere.url, ca: p.ca }));
  t.same(wrongHost.ok ? 'connected' : wrongHost.code, 'relay_tls_failed', 'hostname checked: the certificate is for 127.0.0.1/localhost');
});

t.test('a relay answering 401/403/404 is relay_rejected, 503 is relay_unreachable', async (t) => {
  const p = await pki(t);
  for (const [status, code] of [[401, 'relay_rejected'], [403, 'relay_rejected'], [404, 'relay_rejected'], [302, 'relay_rejected'], [503, 'relay_unreachable']] as const) {
    const srv = await relayServer(t, p, { answer: () => status });
    const r = await connectRelay(options({ url: srv.url, ca: p.ca }));
    t.same(r.ok ? 'connected' : [r.code, r.message.includes(String(status))], [code, true], String(status));
  }
});

t.test('nothing listening is relay_unreachable', async (t) => {
  const p = await pki(t);
  const port = await freePort();
  const r = await connectRelay(options({ url: `wss://127.0.0.1:${port}/x`, ca: p.ca }));
  t.same(r.ok ? 'connected' : r.code, 'relay_unreachable');
});

t.test('a server that takes the TCP connection and never answers is relay_timeout', async (t) => {
  const held: Socket[] = [];
  const server = createTcpServer((s) => void held.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    held.forEach((s) => s.destroy());
    server.close();
  });
  const accepted = once(server, 'connection');
  const clock = new ManualClock();
  const pending = connectRelay(options({ url: `wss://127.0.0.1:${(server.address() as { port: number }).port}/x`, clock, connectTimeoutMs: 3000 }));
  await accepted;
  clock.advance(2999);
  clock.advance(1);
  const r = await pending;
  t.same(r.ok ? 'connected' : r.code, 'relay_timeout');
  await once(held[0]!, 'close');
  t.pass('the socket was closed');
});

t.test('URLs and tokens that break the rules are refused before connecting', async (t) => {
  const cases: Array<[string, string]> = [
    ['ws://127.0.0.1:1/x', 'plain ws'],
    ['https://127.0.0.1:1/x', 'https'],
    ['wss://user:pw@127.0.0.1:1/x', 'userinfo'],
    ['wss://user@127.0.0.1:1/x', 'user only'],
    ['wss://127.0.0.1:1/x#frag', 'fragment'],
    [`wss://relay.example/${'a'.repeat(2049)}`, 'over 2048 chars'],
    ['not a url', 'not a URL'],
    ['', 'empty'],
  ];
  for (const [url, what] of cases) {
    const r = await connectRelay(options({ url, connectTimeoutMs: 1 }));
    t.same(r.ok ? 'connected' : r.code, 'relay_url_invalid', what);
  }
  const r = await connectRelay(options({ url: 'wss://127.0.0.1:1/x', token: 'a\r\nX-Evil: 1' }));
  t.same(r.ok ? 'connected' : r.code, 'relay_url_invalid', 'a token that is not a header value');
});

t.test('the relay closing is remote_closed', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const r = await connectRelay(options({ url: srv.url, ca: p.ca }));
  if (!r.ok) return t.fail(r.code);
  const closed = closedOf(r.transport);
  (await srv.first()).close(1001, 'bye');
  t.same(await closed, { reason: 'remote_closed', detail: '1001' });
});

t.test('a relay that stops answering pings is transport_lost within two ping intervals; one that answers stays up', async (t) => {
  const p = await pki(t);
  const clock = new ManualClock();
  const srv = await relayServer(t, p, { autoPong: false });
  const r = await connectRelay(options({ url: srv.url, ca: p.ca, clock, pingIntervalMs: 10_000 }));
  if (!r.ok) return t.fail(r.code);
  const server = await srv.first();
  const closed = closedOf(r.transport);
  let state = 'open';
  void closed.then(() => (state = 'closed'));

  // Answer the first ping by hand, and prove the pong arrived: a frame sent after it lands after it.
  const pinged = once(server, 'ping');
  clock.advance(10_000);
  await pinged;
  server.pong();
  const got = frames(r.transport);
  server.send(Buffer.from([1]));
  await got.waitFor(() => true, 1, 5000, () => 'no marker frame');
  clock.advance(10_000);
  await once(server, 'ping');
  t.equal(state, 'open', 'a pong in time keeps the link');

  // No pong for this one: the next tick drops it.
  clock.advance(10_000);
  t.same(await closed, { reason: 'transport_lost', detail: 'pong_timeout' });
});

t.test('a text message from the relay closes the link with 1003 and transport_lost', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const r = await connectRelay(options({ url: srv.url, ca: p.ca }));
  if (!r.ok) return t.fail(r.code);
  const got = frames(r.transport);
  const closed = closedOf(r.transport);
  const server = await srv.first();
  const serverSaw = once(server, 'close');
  server.send('{"hello":1}');
  t.same(await closed, { reason: 'transport_lost', detail: 'text_message' });
  t.equal((await serverSaw)[0], 1003);
  t.equal(got.items.length, 0, 'the text never reached the session');
});

t.test('a message over 4096 bytes is transport_lost (1009)', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const r = await connectRelay(options({ url: srv.url, ca: p.ca }));
  if (!r.ok) return t.fail(r.code);
  const closed = closedOf(r.transport);
  (await srv.first()).send(Buffer.alloc(4097));
  const c = await closed;
  t.equal(c.reason, 'transport_lost');
});

t.test('send() drops frames while more than 32 KB wait in the socket', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const r = await connectRelay(options({ url: srv.url, ca: p.ca }));
  if (!r.ok) return t.fail(r.code);
  await srv.first();
  const frame = new Uint8Array(1500).fill(7);
  const results: boolean[] = [];
  for (let i = 0; i < 100; i++) results.push(r.transport.send(frame));
  const accepted = results.filter(Boolean).length;
  t.ok(results.includes(false), 'some frames dropped');
  t.ok(accepted >= 20 && accepted <= 24, `about 32 KB accepted before dropping (accepted ${accepted})`);
  t.same(results.slice(0, accepted), Array(accepted).fill(true), 'the first frames went, then drops');
  await srv.received.waitFor(() => true, accepted, 5000, (n) => `relay got ${n} of ${accepted}`);
  t.equal(srv.received.items.length, accepted, 'the relay got exactly the accepted ones');
  await r.transport.close();
});

t.test('frames that arrive before the session listens are held for its first listener', async (t) => {
  const p = await pki(t);
  const srv = await relayServer(t, p);
  const r = await connectRelay(options({ url: srv.url, ca: p.ca }));
  if (!r.ok) return t.fail(r.code);
  const server = await srv.first();
  server.send(Buffer.from([1]));
  server.send(Buffer.from([2]));
  // The client answers a ping only after it handled what came before it on the same stream.
  const ponged = once(server, 'pong');
  server.ping();
  await ponged;
  const probe = frames(r.transport);
  server.send(Buffer.from([3]));
  const got = await probe.waitFor(() => true, 3, 5000, (n) => `${n} frames`);
  t.same(got.map((b) => b[0]), [1, 2, 3]);
  await r.transport.close();
});
