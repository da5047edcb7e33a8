import t from 'tap';
import { once } from 'node:events';
import { connect, createServer, type SecureVersion } from 'node:tls';
import { tempDir } from '../../../helpers/tmp.js';
import { createPki } from '../../../helpers/pki.js';
import { startRig } from './local-api-rig.js';

/**
 * ETSI EN 303 645 5.5-1 (best-practice cryptography to communicate), Gap G7:
 * the local API (the real server from startLocalApi, the same options the
 * agent passes) refuses TLS 1.0 and 1.1 clients at the handshake and
 * accepts TLS 1.2 and 1.3.
 *
 * OpenSSL 3 (Node 20) refuses TLS < 1.2 at its default security level on
 * both ends, so a refusal could come from the client and prove nothing.
 * The old-protocol client here lowers its own level (`@SECLEVEL=0`), and a
 * control server without a floor, with the same certificate, shows that
 * this client does complete TLS 1.0/1.1 handshakes: what refuses it on the
 * local API is the server's `minVersion`.
 */

const OLD_CLIENT_CIPHERS = 'DEFAULT:@SECLEVEL=0';

type Outcome = { ok: true; protocol: string | null } | { ok: false; code: string };

function handshake(port: number, ca: Buffer, version: SecureVersion, legacy: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca,
      minVersion: version,
      maxVersion: version,
      ...(legacy ? { ciphers: OLD_CLIENT_CIPHERS } : {}),
    });
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol();
      socket.destroy();
      resolve({ ok: true, protocol });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ ok: false, code: err.code ?? err.message });
    });
  });
}

t.test('the local API refuses TLS 1.0 and 1.1 at the handshake and accepts TLS 1.2 and 1.3', async (t) => {
  const dir = await tempDir(t);
  const rig = await startRig(dir);
  t.teardown(() => rig.close());

  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    const r = await handshake(rig.api.port, rig.ca, version, true);
    t.equal(r.ok, false, `${version} client refused`);
    if (!r.ok) t.equal(r.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', `${version}: the server ends the handshake with a protocol_version alert`);
  }
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    const r = await handshake(rig.api.port, rig.ca, version, false);
    t.same(r, { ok: true, protocol: version }, `${version} client accepted`);
  }
});

t.test('control: the same old-protocol client completes TLS 1.0 and 1.1 with a server that has no floor', async (t) => {
  // A certificate from the same test PKI generator (EC P-256 CA and server), as the rig's.
  const pki = await createPki(await tempDir(t));
  const server = createServer({ cert: pki.server.cert, key: pki.server.key, minVersion: 'TLSv1', ciphers: OLD_CLIENT_CIPHERS }, (s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as { port: number }).port;
  for (const version of ['TLSv1', 'TLSv1.1'] as const) {
    t.same(await handshake(port, pki.ca, version, true), { ok: true, protocol: version }, `${version} handshake completes without a floor`);
  }
});
