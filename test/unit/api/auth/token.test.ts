import t, { type Test as T } from 'tap';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import { RevocationList } from '../../../../src/api/auth/revocation-list.js';
import { TokenAuthority } from '../../../../src/api/auth/token-authority.js';
import { DEFAULT_SKEW_MS, deriveTokenKey, encodeToken, parseClaims, verifyToken, type TokenClaims } from '../../../../src/api/auth/token-codec.js';
import { tempDir } from '../../../helpers/tmp.js';

const DEVICE = 'cam-AC1234567890';
const SECRET = randomBytes(32);

async function setup(t: T, opts: { deviceId?: string; secret?: Uint8Array; maxRevoked?: number; dir?: string; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock();
  const dir = opts.dir ?? (await tempDir(t, 'tokens-'));
  const statePath = join(dir, 'state', 'api-tokens.json');
  const compared: [Uint8Array, Uint8Array][] = [];
  const authority = new TokenAuthority({
    deviceId: opts.deviceId ?? DEVICE,
    deviceSecret: opts.secret ?? SECRET,
    statePath,
    clock,
    ...(opts.maxRevoked ? { maxRevoked: opts.maxRevoked } : {}),
    compare: (a, b) => {
      compared.push([a, b]);
      return timingSafeEqual(a, b);
    },
  });
  await authority.load();
  return { clock, authority, statePath, dir, compared };
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as TokenClaims;

t.test('a minted token verifies to its principal; the format is base64url(claims).base64url(mac)', async (t) => {
  const { authority, clock } = await setup(t);
  const { token, claims } = authority.mint({ role: 'technician', subject: 'tech-42@acme', ttlS: 3600, via: 'cloud' });
  t.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  t.ok(token.length < 300, `compact: ${token.length} chars`);
  t.same(Object.keys(claimsOf(token)), ['v', 'tokenId', 'deviceId', 'role', 'subject', 'via', 'iat', 'exp']);
  t.match(claims, { v: 1, deviceId: DEVICE, role: 'technician', subject: 'tech-42@acme', via: 'cloud', iat: clock.now() / 1000, exp: clock.now() / 1000 + 3600 });
  t.match(claims.tokenId, /^[A-Za-z0-9_-]{16}$/, '96 bits');
  t.same(authority.verify(token), { ok: true, principal: { tokenId: claims.tokenId, role: 'technician', subject: 'tech-42@acme', via: 'cloud', expiresAt: claims.exp * 1000 } });
});

t.test('token ids are random: 1000 mints, 1000 ids', async (t) => {
  const { authority } = await setup(t);
  const ids = new Set(Array.from({ length: 1000 }, () => authority.mint({ role: 'viewer', subject: 's', ttlS: 60, via: 'cloud' }).claims.tokenId));
  t.equal(ids.size, 1000);
});

t.test('any flipped character in payload or MAC is token_invalid', async (t) => {
  const { authority } = await setup(t);
  const { token } = authority.mint({ role: 'viewer', subject: 'tech', ttlS: 600, via: 'cloud' });
  let checked = 0;
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '.') continue;
    const swapped = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    const r = authority.verify(swapped);
    t.notOk(r.ok, `position ${i}`);
    checked++;
  }
  t.equal(checked, token.length - 1);
});

t.test('a payload re-signed with elevated role or another key is refused', async (t) => {
  const { authority } = await setup(t);
  const { token } = authority.mint({ role: 'viewer', subject: 'tech', ttlS: 600, via: 'cloud' });
  const [, mac] = token.split('.');
  const elevated = { ...claimsOf(token), role: 'admin' };
  t.same(authority.verify(`${b64(JSON.stringify(elevated))}.${mac}`), { ok: false, code: 'token_invalid' }, 'old MAC on new payload');
  const forged = encodeToken(elevated as TokenClaims, randomBytes(32));
  t.same(authority.verify(forged), { ok: false, code: 'token_invalid' }, 'MAC from a guessed key');
});

t.test('the MAC is compared with timingSafeEqual on 32-byte buffers, for good and bad tokens alike', async (t) => {
  const { authority, compared } = await setup(t);
  const { token } = authority.mint({ role: 'viewer', subject: 'tech', ttlS: 600, via: 'cloud' });
  authority.verify(token);
  authority.verify(token.slice(0, -2) + (token.endsWith('AA') ? 'BA' : 'AA'));
  t.equal(compared.length, 2);
  for (const [a, b] of compared) t.same([a.length, b.length], [32, 32]);
  // Default path: the codec uses crypto.timingSafeEqual when nothing is injected.
  const key = deriveTokenKey(SECRET, randomBytes(16), DEVICE);
  const c: TokenClaims = { v: 1, tokenId: 'AAAAAAAAAAAAAAAA', deviceId: DEVICE, role: 'viewer', subject: 's', via: 'cloud', iat: 100, exp: 200 };
  t.ok(verifyToken(encodeToken(c, key), { key, deviceId: DEVICE, nowMs: 150_000 }).ok);
});

t.test('expiry: valid to exp + skew, token_expired after', async (t) => {
  const { authority, clock } = await setup(t);
  const { token } = authority.mint({ role: 'technician', subject: 'tech', ttlS: 600, via: 'cloud' });
  clock.advance(600_000 + DEFAULT_SKEW_MS);
  t.ok(authority.verify(token).ok, 'inside the skew allowance');
  clock.advance(1);
  t.same(authority.verify(token), { ok: false, code: 'token_expired' });
});

t.test('a token issued in the future (beyond skew) is invalid', async (t) => {
  const { authority, clock } = await setup(t);
  const { token } = authority.mint({ role: 'technician', subject: 'tech', ttlS: 600, via: 'cloud' });
  clock.jumpWall(-(DEFAULT_SKEW_MS + 1000));
  t.same(authority.verify(token), { ok: false, code: 'token_invalid' });
});

t.test("another camera's token is token_wrong_device", async (t) => {
  const dir = await tempDir(t, 'tokens-');
  const clock = new ManualClock();
  const mine = await setup(t, { dir: join(dir, 'a'), clock });
  const other = await setup(t, { dir: join(dir, 'b'), clock, deviceId: 'cam-OTHER000001', secret: randomBytes(32) });
  const { token } = other.authority.mint({ role: 'admin', subject: 'tech', ttlS: 600, via: 'cloud' });
  t.same(mine.authority.verify(token), { ok: false, code: 'token_wrong_device' });
  // Same secret (a sim or a cloned flash), other device id: the key differs by device id, and the claim check catches it too.
  const clone = await setup(t, { dir: join(dir, 'c'), clock, deviceId: 'cam-CLONE00001' });
  t.same(mine.authority.verify(clone.authority.mint({ role: 'viewer', subject: 't', ttlS: 60, via: 'cloud' }).token), { ok: false, code: 'token_wrong_device' });
});

t.test('revoke one id: refused at once and after a restart; others unaffected', async (t) => {
  const { authority, clock, statePath, dir } = await setup(t);
  const a = authority.mint({ role: 'technician', subject: 'a', ttlS: 600, via: 'cloud' });
  const b = authority.mint({ role: 'technician', subject: 'b', ttlS: 600, via: 'cloud' });
  await authority.revoke(a.claims.tokenId, a.claims.exp);
  t.same(authority.verify(a.token), { ok: false, code: 'token_revoked' });
  t.ok(authority.verify(b.token).ok);
  t.equal(((await stat(statePath)).mode & 0o777).toString(8), '600');
  const again = (await setup(t, { dir, clock })).authority;
  t.same(again.verify(a.token), { ok: false, code: 'token_revoked' }, 'persisted');
  t.ok(again.verify(b.token).ok, 'same key salt after restart');
});

t.test('revokeAll rotates the key: every earlier token fails, new ones work, and it persists', async (t) => {
  const { authority, clock, dir } = await setup(t);
  const before = authority.mint({ role: 'admin', subject: 'a', ttlS: 600, via: 'cloud' });
  const salt = authority.snapshot().keySalt;
  await authority.revokeAll('unbind');
  t.not(authority.snapshot().keySalt, salt);
  t.same(authority.verify(before.token), { ok: false, code: 'token_invalid' });
  const after = authority.mint({ role: 'admin', subject: 'a', ttlS: 600, via: 'cloud' });
  const reloaded = (await setup(t, { dir, clock })).authority;
  t.same(reloaded.verify(before.token), { ok: false, code: 'token_invalid' });
  t.ok(reloaded.verify(after.token).ok);
});

t.test('the revoked list is bounded: expired entries are pruned, a full list of live ones rotates the key', async (t) => {
  const { authority, clock } = await setup(t, { maxRevoked: 3 });
  const short = authority.mint({ role: 'viewer', subject: 's', ttlS: 60, via: 'cloud' });
  await authority.revoke(short.claims.tokenId, short.claims.exp);
  clock.advance(60_000 + DEFAULT_SKEW_MS + 1);
  const live = Array.from({ length: 3 }, () => authority.mint({ role: 'viewer', subject: 's', ttlS: 600, via: 'cloud' }));
  for (const l of live) await authority.revoke(l.claims.tokenId, l.claims.exp);
  t.equal(authority.snapshot().revoked.length, 3, 'the expired entry made room');
  const keep = authority.mint({ role: 'viewer', subject: 's', ttlS: 600, via: 'cloud' });
  const fourth = authority.mint({ role: 'viewer', subject: 's', ttlS: 600, via: 'cloud' });
  await authority.revoke(fourth.claims.tokenId, fourth.claims.exp);
  t.equal(authority.snapshot().revoked.length, 0, 'list cleared by rotation');
  t.notOk(authority.verify(fourth.token).ok, 'the fourth is still refused');
  t.notOk(authority.verify(keep.token).ok, 'rotation revokes everything: never un-revoke by dropping');
  for (const l of live) t.notOk(authority.verify(l.token).ok);
});

t.test('an unreadable state file rotates the key instead of trusting it', async (t) => {
  const { authority, clock, statePath, dir } = await setup(t);
  const { token } = authority.mint({ role: 'viewer', subject: 's', ttlS: 600, via: 'cloud' });
  await writeFile(statePath, '{"v":1,"keySalt":"short","revoked":[]}');
  const reloaded = (await setup(t, { dir, clock })).authority;
  t.notOk(reloaded.verify(token).ok);
  t.match(JSON.parse(await readFile(statePath, 'utf8')), { v: 1, keySalt: /^[A-Za-z0-9_-]{22}$/, revoked: [] });
});

t.test('mint refuses what the policy forbids; a short device secret refuses to load', async (t) => {
  const { authority } = await setup(t);
  t.throws(() => authority.mint({ role: 'viewer', subject: 's', ttlS: 8 * 3600 + 1, via: 'cloud' }), RangeError);
  t.throws(() => authority.mint({ role: 'viewer', subject: 's', ttlS: 59, via: 'cloud' }), RangeError);
  t.throws(() => authority.mint({ role: 'viewer', subject: 'has space', ttlS: 600, via: 'cloud' }), RangeError);
  t.throws(() => authority.mint({ role: 'admin', subject: 's', ttlS: 600, via: 'button' }), RangeError);
  const dir = await tempDir(t, 'tokens-');
  const weak = new TokenAuthority({ deviceId: DEVICE, deviceSecret: randomBytes(16), statePath: join(dir, 's.json'), clock: new ManualClock() });
  await t.rejects(weak.load());
  t.throws(() => weak.mint({ role: 'viewer', subject: 's', ttlS: 600, via: 'cloud' }), /before load/);
  t.same(weak.verify('a.b'), { ok: false, code: 'token_invalid' });
});

t.test('bad-input corpus: malformed tokens are token_invalid without throwing', async (t) => {
  const { authority } = await setup(t);
  const { token } = authority.mint({ role: 'viewer', subject: 's', ttlS: 600, via: 'cloud' });
  const [p, m] = token.split('.') as [string, string];
  const alg = `${b64('{"alg":"none","typ":"JWT"}')}.${p}.`;
  const corpus = [
    '', '.', 'null', 'undefined', alg, `${p}.`, `.${m}`, `${p}.${m}.`, `${p}.${m}\n`, `${p}\u0000.${m}`, `${p}.${m}=`,
    `${p}==.${m}`, `${p}.${m.slice(0, -1)}`, `${p}.${m}A`, `${p}+.${m}`, 'x'.repeat(100_000), `${'A'.repeat(600)}.${m}`,
    `${p}.${m.slice(0, -1)}${m.endsWith('B') ? 'C' : 'B'}`,
  ];
  for (const bad of corpus) {
    const r = authority.verify(bad);
    t.notOk(r.ok, JSON.stringify(bad.slice(0, 40)));
  }
});

t.test('claims parsing is strict: extra keys, wrong types, over-long lifetimes, button+admin', async (t) => {
  const good: TokenClaims = { v: 1, tokenId: 'AAAAAAAAAAAAAAAA', deviceId: DEVICE, role: 'viewer', subject: 's', via: 'cloud', iat: 100, exp: 200 };
  t.ok(parseClaims(good));
  for (const [name, bad] of Object.entries({
    extra: { ...good, admin: true },
    missing: { ...good, exp: undefined },
    v2: { ...good, v: 2 },
    roleRoot: { ...good, role: 'root' },
    roleProto: { ...good, role: '__proto__' },
    floatIat: { ...good, iat: 1.5 },
    stringExp: { ...good, exp: '200' },
    backwards: { ...good, exp: 100 },
    tooLong: { ...good, exp: 100 + 8 * 3600 + 1 },
    buttonAdmin: { ...good, role: 'admin', via: 'button' },
    viaOther: { ...good, via: 'cookie' },
    subjectNewline: { ...good, subject: 'a\nb' },
    deviceTopic: { ...good, deviceId: 'cam/+/#' },
    array: [good],
  })) {
    t.equal(parseClaims(bad), null, name);
  }
});

t.test('revocation list from a file skips junk and respects capacity', async (t) => {
  const list = RevocationList.from([{ tokenId: 'AAAAAAAAAAAAAAAA', exp: 1 }, { tokenId: '../x', exp: 1 }, null, 'x', { tokenId: 'BBBBBBBBBBBBBBBB', exp: 'soon' }, { tokenId: 'CCCCCCCCCCCCCCCC', exp: 2 }], 1);
  t.same(list.toJSON(), [{ tokenId: 'AAAAAAAAAAAAAAAA', exp: 1 }]);
  t.equal(RevocationList.from({ not: 'an array' }).size, 0);
});
