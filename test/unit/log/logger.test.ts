import t from 'tap';
import { createLogging, sanitize } from '../../../src/log/logger.js';
import { LogRing } from '../../../src/log/log-ring.js';
import { SecretRegistry } from '../../../src/log/secret-registry.js';

function capture(ringLines = 100) {
  const lines: string[] = [];
  const logging = createLogging({ level: 'debug', ringLines, output: { write: (l) => void lines.push(l) } });
  return { ...logging, lines };
}

t.test('secret keys are redacted at any depth, personal keys masked', async (t) => {
  const { logger, lines } = capture();
  logger.info({ wifi: { ssid: 'MyHomeNet', password: 'pw-123456', psk: 'abcd' }, session: { token: 'tok-9999', srpVerifier: 'ver' }, mac: 'aa:bb:cc:dd:ee:ff', ip: '192.168.7.9' }, 'joining');
  const rec = JSON.parse(lines[0]!) as Record<string, Record<string, string>>;
  t.same(rec.wifi, { ssid: 'My…(9)', password: '[redacted]', psk: '[redacted]' });
  t.same(rec.session, { token: '[redacted]', srpVerifier: '[redacted]' });
  t.equal(rec.mac as unknown as string, '**:**:**:dd:ee:ff');
  t.equal(rec.ip as unknown as string, '*.*.*.9');
});

t.test('registered secrets vanish from messages, errors and JSON-escaped forms', async (t) => {
  const { logger, lines, secrets } = capture();
  secrets.add('p"w\\with-quote');
  secrets.add('plainSecret');
  logger.error({ err: new Error('aplay failed for plainSecret'), detail: 'p"w\\with-quote' }, 'boom plainSecret');
  const line = lines.join('');
  t.notMatch(line, /plainSecret/);
  t.notMatch(line, /with-quote/);
  t.match(line, /\[redacted\]/);
});

t.test('errors keep type, code and a scrubbed stack', async (t) => {
  const e = Object.assign(new Error('connect to rtsp://u:pw@10.0.0.9/x failed'), { code: 'ECONNREFUSED' });
  const out = sanitize({ err: e }) as { err: Record<string, string> };
  t.equal(out.err.type, 'Error');
  t.equal(out.err.code, 'ECONNREFUSED');
  t.notMatch(out.err.message!, /pw|10\.0\.0/);
  t.notMatch(out.err.stack!, /pw@/);
});

t.test('deep and binary values stay bounded', async (t) => {
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 20; i++) deep = (deep.next = {}) as Record<string, unknown>;
  t.match(JSON.stringify(sanitize(root)), /too deep/);
  t.equal(sanitize(Buffer.alloc(10)), '[10 bytes]');
});

t.test('the ring keeps the newest lines, redacted, within its bounds', async (t) => {
  const { logger, ring, secrets } = capture(100);
  secrets.add('ringSecret');
  for (let i = 0; i < 250; i++) logger.info({ i }, 'line ringSecret');
  t.equal(ring.size, 100);
  t.match(ring.lines()[0], /"i":150/);
  t.match(ring.lines()[99], /"i":249/);
  t.notMatch(ring.lines().join(''), /ringSecret/);
  t.equal(ring.dropped, 150);
});

t.test('LogRing bounds bytes and line length', async (t) => {
  const r = new LogRing(10, 100, 20);
  r.push('x'.repeat(50));
  t.match(r.lines()[0], /…\[truncated\]$/);
  for (let i = 0; i < 10; i++) r.push('y'.repeat(20));
  t.ok(r.size < 10, 'byte bound drops old lines before the count bound does');
});

t.test('SecretRegistry ignores short values and can forget', async (t) => {
  const s = new SecretRegistry();
  s.add('abc');
  s.add('');
  s.add(null);
  t.equal(s.size, 0);
  s.add('longer-secret');
  t.equal(s.scrub('x longer-secret y'), 'x [redacted] y');
  s.delete('longer-secret');
  t.equal(s.scrub('x longer-secret y'), 'x longer-secret y');
  s.add('a.b*c');
  t.equal(s.scrub('a.b*c axbbc'), '[redacted] axbbc', 'regex characters are literal');
});
