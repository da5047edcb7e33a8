import t, { type Test } from 'tap';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { systemClock } from '../../../src/core/clock.js';
import { createLogging } from '../../../src/log/logger.js';
import { connectRelay } from '../../../src/talkback/relay-transport.js';
import { createPki, type TestPki } from '../../helpers/pki.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * ETSI EN 303 645 5.5-1, Gap G7: the talkback relay client (wss://, the
 * camera's only outgoing WebSocket) will not talk to a relay that offers
 * only TLS 1.1: relay_tls_failed, and the session token never leaves.
 * The control shows the same relay is a working WebSocket server for a
 * client that accepts TLS 1.1, and that the camera connects once the relay
 * offers TLS 1.2.
 */

const TOKEN = 'sess.relay-tls-floor-TOKEN-MARKER';
// OpenSSL 3 needs security level 0 to negotiate TLS 1.0/1.1 at all: the old relay and the old client lower it.
const OLD_CIPHERS = 'DEFAULT:@SECLEVEL=0';

async function relay(t: Test, pki: TestPki, maxVersion: SecureVersion): Promise<{ url: string; upgrades: IncomingMessage[] }> {
  const server = createHttpsServer({ cert: pki.server.cert, key: pki.server.key, minVersion: 'TLSv1', maxVersion, ciphers: OLD_CIPHERS });
  const wss = new WebSocketServer({ noServer: true });
  const upgrades: IncomingMessage[] = [];
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgrades.push(req);
    wss.handleUpgrade(req, socket, head, (ws) => ws.on('error', () => undefined));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(async () => {
    for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `wss://127.0.0.1:${(server.address() as { port: number }).port}/v1/relay/s-1?role=camera`, upgrades };
}

function connect(url: string, ca: Buffer) {
  const { logger } = createLogging({ level: 'debug', ringLines: 10, output: { write: () => undefined } });
  return connectRelay({ url, token: TOKEN, ca, connectTimeoutMs: 5000, clock: systemClock, logger, pingIntervalMs: 60_000 });
}

t.test('a relay that offers only TLS 1.1 is relay_tls_failed and never sees the upgrade request or the token', async (t) => {
  const pki = await createPki(await tempDir(t));
  const old = await relay(t, pki, 'TLSv1.1');
  const r = await connect(old.url, pki.ca);
  t.same(r.ok ? 'connected' : r.code, 'relay_tls_failed', 'the camera refuses the handshake');
  t.equal(old.upgrades.length, 0, 'no HTTP upgrade (and so no bearer token) reached the relay');

  // Control 1: the same relay works for a client that accepts TLS 1.1, so the refusal is the camera's floor.
  const legacy = new WebSocket(old.url, { ca: pki.ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: OLD_CIPHERS });
  await once(legacy, 'open');
  t.equal((legacy as unknown as { _socket: { getProtocol(): string } })._socket.getProtocol(), 'TLSv1.1', 'a TLS 1.1 client gets a WebSocket');
  legacy.terminate();
  t.equal(old.upgrades.length, 1, 'the relay saw that upgrade');

  // Control 2: offering TLS 1.2, the same kind of relay takes the camera.
  const modern = await relay(t, pki, 'TLSv1.2');
  const ok = await connect(modern.url, pki.ca);
  t.equal(ok.ok, true, 'TLS 1.2 relay: connected');
  if (ok.ok) await ok.transport.close();
});
