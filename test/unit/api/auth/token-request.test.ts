import t from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { checkJson } from '../../../../src/cloud/json-check.js';
import { ManualClock } from '../../../../src/core/clock.js';
import { TokenAuthority } from '../../../../src/api/auth/token-authority.js';
import { API_TOKEN_ARGS_SCHEMA, apiTokenOpHandler, parseTokenRequestArgs, type TokenOpData } from '../../../../src/api/auth/token-request.js';
import { tempDir } from '../../../helpers/tmp.js';

const ctx = { transaction: 'tx-1', issuedAt: 0 };

t.test('good args parse, ttlS defaults to one hour', async (t) => {
  t.same(parseTokenRequestArgs({ role: 'technician', subject: 'tech-7' }), { ok: true, value: { role: 'technician', subject: 'tech-7', ttlS: 3600 } });
  t.same(parseTokenRequestArgs({ role: 'admin', subject: 'a@b.example', ttlS: 28_800 }), { ok: true, value: { role: 'admin', subject: 'a@b.example', ttlS: 28_800 } });
});

t.test('bad args are refused with per-field problems, and the schema agrees with the function', async (t) => {
  const cases: [unknown, string[]][] = [
    [null, ['args']],
    [[], ['args']],
    ['x', ['args']],
    [{}, ['args.role', 'args.subject']],
    [{ role: 'root', subject: 's' }, ['args.role']],
    [{ role: '__proto__', subject: 's' }, ['args.role']],
    [{ role: 'viewer', subject: '' }, ['args.subject']],
    [{ role: 'viewer', subject: 'x'.repeat(65) }, ['args.subject']],
    [{ role: 'viewer', subject: 'a b' }, ['args.subject']],
    [{ role: 'viewer', subject: 'a\nb' }, ['args.subject']],
    [{ role: 'viewer', subject: 7 }, ['args.subject']],
    [{ role: 'viewer', subject: 's', ttlS: 28_801 }, ['args.ttlS']],
    [{ role: 'viewer', subject: 's', ttlS: 59 }, ['args.ttlS']],
    [{ role: 'viewer', subject: 's', ttlS: 600.5 }, ['args.ttlS']],
    [{ role: 'viewer', subject: 's', ttlS: '600' }, ['args.ttlS']],
    [{ role: 'viewer', subject: 's', ttlS: 1e309 }, ['args.ttlS']],
    [{ role: 'viewer', subject: 's', deviceId: 'other' }, ['args.deviceId']],
    [JSON.parse('{"role":"viewer","subject":"s","__proto__":{"admin":true}}'), ['args.__proto__']],
  ];
  for (const [args, paths] of cases) {
    const r = parseTokenRequestArgs(args);
    t.notOk(r.ok, JSON.stringify(args));
    if (!r.ok) t.same(r.problems.map((p) => p.path), paths, JSON.stringify(args));
    t.ok(checkJson(API_TOKEN_ARGS_SCHEMA, args).length > 0, `schema also refuses ${JSON.stringify(args)}`);
  }
  t.same(checkJson(API_TOKEN_ARGS_SCHEMA, { role: 'viewer', subject: 'tech-7', ttlS: 600 }), []);
});

t.test('the api.token handler mints a cloud token scoped to this device', async (t) => {
  const clock = new ManualClock();
  const authority = new TokenAuthority({ deviceId: 'cam-1', deviceSecret: randomBytes(32), statePath: join(await tempDir(t), 's.json'), clock });
  await authority.load();
  const handler = apiTokenOpHandler(authority);
  const out = await handler({ role: 'admin', subject: 'tech-7', ttlS: 900 }, ctx);
  t.equal(out.ok, true);
  const data = (out as { data: TokenOpData }).data;
  t.match(data, { deviceId: 'cam-1', role: 'admin', subject: 'tech-7', exp: data.iat + 900 });
  t.same(authority.verify(data.token), { ok: true, principal: { tokenId: data.tokenId, role: 'admin', subject: 'tech-7', via: 'cloud', expiresAt: data.exp * 1000 } });
  const bad = await handler({ role: 'admin', subject: 'tech-7', ttlS: 99_999 }, ctx);
  t.match(bad, { ok: false, error: { code: 'invalid_args', fields: [{ path: 'args.ttlS', code: 'invalid_value', rule: 'range' }] } });
});
