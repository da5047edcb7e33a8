import t from 'tap';
import pino from 'pino';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import { createLogging } from '../../../../src/log/logger.js';
import { CodeLockout } from '../../../../src/provisioning/ap/code-lockout.js';
import { authenticate } from '../../../../src/api/auth/authenticate.js';
import { OfflineLogin } from '../../../../src/api/auth/offline-login.js';
import { TokenAuthority } from '../../../../src/api/auth/token-authority.js';
import { apiTokenOpHandler, type TokenOpData } from '../../../../src/api/auth/token-request.js';
import { makeTestUnit } from '../../../helpers/prov-client.js';
import { tempDir } from '../../../helpers/tmp.js';

const unit = makeTestUnit();

/** Plain pino into a buffer: no sanitiser in between, so the modules themselves must not log tokens. */
function bufferLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

t.test('no token text in any log line: mint, verify, revoke, rotate, op, offline login', async (t) => {
  const { logger, lines } = bufferLogger();
  const dir = await tempDir(t, 'hygiene-');
  const clock = new ManualClock();
  const authority = new TokenAuthority({ deviceId: 'cam-1', deviceSecret: randomBytes(32), statePath: join(dir, 'tokens.json'), clock, logger });
  await authority.load();
  const tokens: string[] = [];
  const ids: string[] = [];

  const op = (await apiTokenOpHandler(authority)({ role: 'admin', subject: 'tech-7' }, { transaction: 't', issuedAt: 0 })) as { data: TokenOpData };
  tokens.push(op.data.token);
  ids.push(op.data.tokenId);
  const lockout = new CodeLockout({ path: join(dir, 'lockout.json'), clock, logger });
  await lockout.load();
  const login = new OfflineLogin({ label: { serial: unit.label.serial, srp: unit.srp, lockout }, authority, awaitButtonPress: async () => true, clock, logger });
  const ok = await login.login({ code: unit.label.code, sourceAddress: '192.168.1.20' });
  if (ok.ok) {
    tokens.push(ok.token);
    ids.push(ok.tokenId);
  }
  t.equal(tokens.length, 2);
  for (let i = 0; i < 5; i++) await login.login({ code: '7KQ2M9XXS', sourceAddress: '192.168.1.21' });
  for (const tok of tokens) {
    authenticate({ authorization: `Bearer ${tok}` }, authority);
    authenticate({ authorization: `Bearer ${tok}x` }, authority);
  }
  await authority.revoke(ids[0]!, op.data.exp);
  await authority.revokeAll('unbind');
  clock.advance(10 * 3600_000);
  for (const tok of tokens) authenticate({ authorization: `Bearer ${tok}` }, authority);

  t.ok(lines.length >= 5, `${lines.length} lines logged`);
  const all = lines.join('\n');
  for (const tok of tokens) {
    const [payload, mac] = tok.split('.') as [string, string];
    t.notOk(all.includes(tok), 'whole token absent');
    t.notOk(all.includes(mac), 'MAC absent');
    t.notOk(all.includes(payload.slice(0, 40)), 'payload absent');
  }
  for (const id of ids) t.ok(all.includes(`"tid":"${id}"`), 'token id is logged for the audit trail');
  t.notOk(all.includes(unit.label.code), 'setup code absent');
});

t.test('the token id survives the project logger (key `tid`, not redacted like *token*)', async (t) => {
  const lines: string[] = [];
  const { logger } = createLogging({ level: 'info', ringLines: 10, output: { write: (l) => void lines.push(l) } });
  const authority = new TokenAuthority({ deviceId: 'cam-1', deviceSecret: randomBytes(32), statePath: join(await tempDir(t), 's.json'), clock: new ManualClock(), logger });
  await authority.load();
  const { token, claims } = authority.mint({ role: 'viewer', subject: 'jo.doe@example.com', ttlS: 600, via: 'cloud' });
  const line = lines.find((l) => l.includes('api token issued'))!;
  t.match(JSON.parse(line), { tid: claims.tokenId, role: 'viewer', via: 'cloud', subject: 'jo…(18)' });
  t.notOk(lines.join('').includes(token));
  t.notOk(lines.join('').includes('doe@example'), "the subject (a person's e-mail) is masked");
});
