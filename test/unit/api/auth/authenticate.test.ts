import t, { type Test as T } from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import { authenticate, bearerToken, guard } from '../../../../src/api/auth/authenticate.js';
import { TokenAuthority } from '../../../../src/api/auth/token-authority.js';
import { tempDir } from '../../../helpers/tmp.js';

async function setup(test: T) {
  const clock = new ManualClock();
  const authority = new TokenAuthority({ deviceId: 'cam-1', deviceSecret: randomBytes(32), statePath: join(await tempDir(test), 's.json'), clock });
  await authority.load();
  return { clock, authority };
}

t.test('Bearer <token> → principal; the scheme is case-insensitive', async (t) => {
  const { authority } = await setup(t);
  const { token, claims } = authority.mint({ role: 'technician', subject: 'tech', ttlS: 600, via: 'cloud' });
  for (const h of [`Bearer ${token}`, `bearer ${token}`, `BEARER  ${token}`]) {
    t.match(authenticate({ authorization: h }, authority), { ok: true, principal: { tokenId: claims.tokenId, role: 'technician' } }, h.slice(0, 8));
  }
});

t.test('no header is token_missing; anything else unusable is token_invalid (auth-bypass corpus)', async (t) => {
  const { authority } = await setup(t);
  const { token } = authority.mint({ role: 'technician', subject: 'tech', ttlS: 600, via: 'cloud' });
  t.same(authenticate({}, authority), { ok: false, failure: { code: 'token_missing', status: 401 } });
  t.same(authenticate({ authorization: '' }, authority), { ok: false, failure: { code: 'token_missing', status: 401 } });
  t.same(authenticate({ authorization: '   ' }, authority), { ok: false, failure: { code: 'token_missing', status: 401 } });
  const corpus = [
    'Basic ', 'Basic Og==', 'Basic YWRtaW46YWRtaW4=', 'Bearer ', 'Bearer', 'Bearer null', 'Bearer undefined', `Bearer ${token}\n`,
    `Bearer ${token}\u0000`, `Token ${token}`, token, `Bearer ${token} extra`, `Bearer ${token},Bearer ${token}`, `Bearer ${'A'.repeat(65_536)}`,
    'Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.', 'Digest username="admin"',
  ];
  for (const h of corpus) {
    t.same(authenticate({ authorization: h }, authority), { ok: false, failure: { code: 'token_invalid', status: 401 } }, JSON.stringify(h.slice(0, 30)));
  }
  t.same(authenticate({ authorization: [`Bearer ${token}`, `Bearer ${token}`] }, authority), { ok: false, failure: { code: 'token_invalid', status: 401 } }, 'repeated header');
  t.same(authenticate({ cookie: `token=${token}`, 'x-forwarded-for': '127.0.0.1' }, authority), { ok: false, failure: { code: 'token_missing', status: 401 } }, 'cookies and forwarded-for are not credentials');
});

t.test('expired, wrong-device and revoked tokens map to their codes', async (t) => {
  const { authority, clock } = await setup(t);
  const other = await setup(t);
  const a = authority.mint({ role: 'technician', subject: 'tech', ttlS: 60, via: 'cloud' });
  const b = authority.mint({ role: 'technician', subject: 'tech', ttlS: 600, via: 'cloud' });
  await authority.revoke(b.claims.tokenId, b.claims.exp);
  t.same(authenticate({ authorization: `Bearer ${b.token}` }, authority), { ok: false, failure: { code: 'token_revoked', status: 401 } });
  const foreign = new TokenAuthority({ deviceId: 'cam-2', deviceSecret: randomBytes(32), statePath: join(await tempDir(t), 's.json'), clock: other.clock });
  await foreign.load();
  t.same(authenticate({ authorization: `Bearer ${foreign.mint({ role: 'admin', subject: 't', ttlS: 600, via: 'cloud' }).token}` }, authority), { ok: false, failure: { code: 'token_wrong_device', status: 401 } });
  clock.advance(120_000);
  t.same(authenticate({ authorization: `Bearer ${a.token}` }, authority), { ok: false, failure: { code: 'token_expired', status: 401 } });
});

t.test('guard: public ignores headers; a low role is forbidden (403); a high enough role passes', async (t) => {
  const { authority } = await setup(t);
  const viewer = authority.mint({ role: 'viewer', subject: 'v', ttlS: 600, via: 'cloud' }).token;
  const tech = authority.mint({ role: 'technician', subject: 't', ttlS: 600, via: 'button' }).token;
  t.same(guard({ authorization: 'Bearer junk' }, 'public', authority), { ok: true, principal: null });
  t.same(guard({}, 'health:read', authority), { ok: false, failure: { code: 'token_missing', status: 401 } });
  t.match(guard({ authorization: `Bearer ${viewer}` }, 'health:read', authority), { ok: true, principal: { role: 'viewer' } });
  t.same(guard({ authorization: `Bearer ${viewer}` }, 'reboot:run', authority), { ok: false, failure: { code: 'forbidden', status: 403 } });
  t.match(guard({ authorization: `Bearer ${tech}` }, 'reboot:run', authority), { ok: true, principal: { role: 'technician', via: 'button' } });
  t.same(guard({ authorization: `Bearer ${tech}` }, 'factory:reset', authority), { ok: false, failure: { code: 'forbidden', status: 403 } });
  t.same(guard({ authorization: `Bearer ${tech}` }, 'no:such', authority), { ok: false, failure: { code: 'forbidden', status: 403 } });
  t.same(guard({ authorization: 'Bearer junk' }, 'no:such', authority), { ok: false, failure: { code: 'token_invalid', status: 401 } }, 'authentication is checked first');
});

t.test('bearerToken returns only the token text', async (t) => {
  t.same(bearerToken({ authorization: 'Bearer abc.def' }), { token: 'abc.def' });
});
