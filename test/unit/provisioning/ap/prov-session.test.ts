import t, { type Test as T } from 'tap';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import { completeSrpClient, createSrpClientHello, type SrpClientHello } from '../../../../src/crypto/srp.js';
import { CodeLockout } from '../../../../src/provisioning/ap/code-lockout.js';
import { deriveSessionKeys, openEnvelope, sealEnvelope } from '../../../../src/provisioning/ap/envelope.js';
import { ProvisioningSessions, transcriptToSign, type SessionLimits } from '../../../../src/provisioning/ap/prov-session.js';
import { makeTestUnit } from '../../../helpers/prov-client.js';
import { tempDir } from '../../../helpers/tmp.js';

const unit = makeTestUnit();
const PATH = '/prov/v1/wifi/config';


async function setup(t: T, limits: Partial<SessionLimits> = {}, withKey = true) {
  const clock = new ManualClock();
  const lockout = new CodeLockout({ path: join(await tempDir(t, 'session-'), 'lockout.json'), clock });
  await lockout.load();
  const sessions = new ProvisioningSessions({
    serial: unit.label.serial,
    srp: unit.srp,
    deviceKey: withKey ? unit.deviceKey : null,
    lockout,
    clock,
    limits,
  });
  return { clock, lockout, sessions };
}

interface AppSide {
  sid: string;
  keys: ReturnType<typeof deriveSessionKeys>;
  seq: number;
}

/** The app's half of a handshake straight against the session layer. */
async function handshake(sessions: ProvisioningSessions, code = unit.label.code, peer = '192.168.4.10') {
  const hello: SrpClientHello = createSrpClientHello();
  const init = sessions.init({ identity: unit.label.serial, clientPublic: hello.clientPublic, peer });
  if (!init.ok) return { init, verify: null, app: null };
  const client = completeSrpClient({ hello, identity: unit.label.serial, password: code, salt: init.value.salt, serverPublic: init.value.serverPublic });
  if (!client.ok) throw new Error(client.code);
  const result = await sessions.verify({ sid: init.value.sid, clientProof: client.clientProof });
  const app: AppSide | null = result.ok
    ? { sid: init.value.sid, keys: deriveSessionKeys(client.sessionKey, Buffer.from(init.value.sid, 'base64')), seq: 0 }
    : null;
  return { init, verify: result, app, hello, client };
}

function request(sessions: ProvisioningSessions, app: AppSide, body: unknown, opts: { seq?: number; path?: string; sealPath?: string } = {}) {
  const seq = opts.seq ?? ++app.seq;
  const env = sealEnvelope(app.keys.c2d, 'c2d', { method: 'POST', path: opts.sealPath ?? opts.path ?? PATH, sid: app.sid }, seq, Buffer.from(JSON.stringify(body)));
  return sessions.openRequest({ sid: app.sid, method: 'POST', path: opts.path ?? PATH, seq, ct: Buffer.from(env.ct, 'base64') });
}

t.test('a right code establishes a session; both sides hold the same keys and M2 checks out', async (t) => {
  const { sessions } = await setup(t);
  const { init, verify: v, app, client } = await handshake(sessions);
  t.ok(init.ok && v?.ok && app);
  if (!init.ok || !v?.ok || !app || !client) return;
  t.equal(Buffer.from(init.value.sid, 'base64').length, 16);
  t.same(Buffer.from(v.value.serverProof), Buffer.from(client.expectedServerProof));
  const opened = request(sessions, app, { hello: 'camera' });
  t.ok(opened.ok);
  if (!opened.ok) return;
  t.same(JSON.parse(Buffer.from(opened.value.plaintext).toString()), { hello: 'camera' });
  const answer = opened.value.seal(Buffer.from('{"ok":true}'));
  t.equal(answer.seq, 1, 'the answer echoes the request seq');
  const plain = openEnvelope(app.keys.d2c, 'd2c', { method: 'POST', path: PATH, sid: app.sid }, answer.seq, Buffer.from(answer.ct, 'base64'));
  t.same(plain?.toString(), '{"ok":true}');
});

t.test('the device signs the transcript with its factory key; the key matches identity.json\'s fingerprint', async (t) => {
  const { sessions } = await setup(t);
  const { init, verify: v, hello, client } = await handshake(sessions);
  if (!init.ok || !v?.ok || !hello || !client) throw new Error('handshake failed');
  const { signature, publicKey } = v.value;
  t.ok(signature && publicKey);
  if (!signature || !publicKey) return;
  t.equal(createHash('sha256').update(publicKey).digest('hex'), unit.publicKeyFingerprint);
  const transcript = transcriptToSign(
    { sid: Buffer.from(init.value.sid, 'base64'), clientPublic: hello.clientPublic, serverPublic: init.value.serverPublic, clientProof: client.clientProof, serverProof: v.value.serverProof },
    unit.srp.suite,
  );
  const key = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
  t.ok(verify('sha256', transcript, { key, dsaEncoding: 'der' }, signature));
  transcript[transcript.length - 1]! ^= 1;
  t.notOk(verify('sha256', transcript, { key, dsaEncoding: 'der' }, signature), 'bound to M2');

  const noKey = await setup(t, {}, false);
  const plain = await handshake(noKey.sessions);
  t.ok(plain.verify?.ok && plain.verify.value.signature === null, 'no device key, no signature');
});

t.test('a wrong code is a counted failure and ends that handshake (one guess per B)', async (t) => {
  const { sessions, lockout } = await setup(t);
  const { init, verify: v, hello } = await handshake(sessions, '7KQ2M9XXS');
  t.same(v, { ok: false, error: { code: 'srp_proof_mismatch', message: 'wrong code' } });
  t.equal(lockout.snapshot().failures, 1);
  if (!init.ok || !hello) return;
  const right = completeSrpClient({ hello, identity: unit.label.serial, password: unit.label.code, salt: init.value.salt, serverPublic: init.value.serverPublic });
  if (!right.ok) throw new Error(right.code);
  const retry = await sessions.verify({ sid: init.value.sid, clientProof: right.clientProof });
  t.equal(retry.ok ? 'ok' : retry.error.code, 'session_unknown', 'the same sid cannot be verified again, even with the right proof');
  t.equal(sessions.size, 0);
});

t.test('5 wrong codes lock init and verify; the fifth answer already says how long', async (t) => {
  const { sessions, clock } = await setup(t);
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push((await handshake(sessions, '7KQ2M9XXS')).verify);
  t.same(answers[4], { ok: false, error: { code: 'srp_proof_mismatch', message: 'wrong code', retryAfterMs: 60_000 } });
  const hello = createSrpClientHello();
  t.same(sessions.init({ identity: unit.label.serial, clientPublic: hello.clientPublic }), {
    ok: false,
    error: { code: 'locked_out', message: 'too many wrong codes; try again later', retryAfterMs: 60_000 },
  });
  clock.advance(60_000);
  const after = await handshake(sessions);
  t.ok(after.verify?.ok, 'the right code works once the minute is over');
});

t.test('a lockout that starts between init and verify stops the verify too', async (t) => {
  const { sessions, lockout } = await setup(t);
  const hello = createSrpClientHello();
  const init = sessions.init({ identity: unit.label.serial, clientPublic: hello.clientPublic });
  if (!init.ok) throw new Error(init.error.code);
  for (let i = 0; i < 5; i++) await lockout.fail();
  const client = completeSrpClient({ hello, identity: unit.label.serial, password: unit.label.code, salt: init.value.salt, serverPublic: init.value.serverPublic });
  if (!client.ok) throw new Error(client.code);
  const v = await sessions.verify({ sid: init.value.sid, clientProof: client.clientProof });
  t.equal(v.ok ? 'ok' : v.error.code, 'locked_out');
});

t.test('init refuses another identity and a degenerate A before doing any work', async (t) => {
  const { sessions } = await setup(t);
  const hello = createSrpClientHello();
  const other = sessions.init({ identity: 'AC0000000000', clientPublic: hello.clientPublic });
  t.equal(other.ok ? 'ok' : other.error.code, 'identity_mismatch');
  const zero = sessions.init({ identity: unit.label.serial, clientPublic: Buffer.alloc(384) });
  t.equal(zero.ok ? 'ok' : zero.error.code, 'srp_invalid_public_key');
  t.equal(sessions.size, 0);
});

t.test('replay: a seq at or below the last accepted one is refused, and the session goes on', async (t) => {
  const { sessions } = await setup(t);
  const { app } = await handshake(sessions);
  if (!app) throw new Error('no session');
  t.ok(request(sessions, app, { n: 1 }, { seq: 1 }).ok);
  const again = request(sessions, app, { n: 1 }, { seq: 1 });
  t.equal(again.ok ? 'ok' : again.error.code, 'envelope_replayed');
  t.ok(request(sessions, app, { n: 2 }, { seq: 5 }).ok, 'gaps are fine (lost requests)');
  const older = request(sessions, app, { n: 3 }, { seq: 4 });
  t.equal(older.ok ? 'ok' : older.error.code, 'envelope_replayed');
  t.ok(request(sessions, app, { n: 4 }, { seq: 6 }).ok);
});

t.test('tampering: an envelope sealed for another path or with a flipped byte does not open, and does not advance seq', async (t) => {
  const { sessions } = await setup(t);
  const { app } = await handshake(sessions);
  if (!app) throw new Error('no session');
  const moved = request(sessions, app, { n: 1 }, { seq: 1, sealPath: '/prov/v1/wifi/config', path: '/prov/v1/bind' });
  t.equal(moved.ok ? 'ok' : moved.error.code, 'envelope_auth_failed');
  const env = sealEnvelope(app.keys.c2d, 'c2d', { method: 'POST', path: PATH, sid: app.sid }, 1, Buffer.from('{}'));
  const ct = Buffer.from(env.ct, 'base64');
  ct[0]! ^= 0x80;
  const flipped = sessions.openRequest({ sid: app.sid, method: 'POST', path: PATH, seq: 1, ct });
  t.equal(flipped.ok ? 'ok' : flipped.error.code, 'envelope_auth_failed');
  t.ok(request(sessions, app, {}, { seq: 1 }).ok, 'seq 1 is still unused: forged envelopes do not burn sequence numbers');
});

t.test('expiry: 5 minutes without an authentic request ends a session; each request restarts the clock', async (t) => {
  const { sessions, clock } = await setup(t);
  const { app } = await handshake(sessions);
  if (!app) throw new Error('no session');
  clock.advance(4 * 60_000 + 59_999);
  t.ok(request(sessions, app, {}).ok, 'at 4:59.999 it still works, and is refreshed');
  clock.advance(4 * 60_000);
  t.ok(sessions.authenticate(app.sid).ok);
  const env = sealEnvelope(app.keys.c2d, 'c2d', { method: 'POST', path: PATH, sid: app.sid }, 99, Buffer.from('{}'));
  const ct = Buffer.from(env.ct, 'base64');
  ct[3]! ^= 1;
  sessions.openRequest({ sid: app.sid, method: 'POST', path: PATH, seq: 99, ct });
  clock.advance(60_000);
  const late = request(sessions, app, {});
  t.equal(late.ok ? 'ok' : late.error.code, 'session_unknown', 'a forged envelope did not keep it alive');
  t.equal(sessions.size, 0);
});

t.test('a handshake left half-done expires after 30 s', async (t) => {
  const { sessions, clock } = await setup(t);
  const hello = createSrpClientHello();
  const init = sessions.init({ identity: unit.label.serial, clientPublic: hello.clientPublic });
  if (!init.ok) throw new Error(init.error.code);
  t.equal(sessions.authenticate(init.value.sid).ok ? 'ok' : 'not_verified', 'not_verified');
  clock.advance(30_000);
  const client = completeSrpClient({ hello, identity: unit.label.serial, password: unit.label.code, salt: init.value.salt, serverPublic: init.value.serverPublic });
  if (!client.ok) throw new Error(client.code);
  const v = await sessions.verify({ sid: init.value.sid, clientProof: client.clientProof });
  t.equal(v.ok ? 'ok' : v.error.code, 'session_unknown');
});

t.test('two sessions at most: a new handshake pushes out an unfinished one, never an established one', async (t) => {
  const { sessions, clock } = await setup(t);
  const phoneA = await handshake(sessions, unit.label.code, '192.168.4.10');
  const hello = createSrpClientHello();
  const pending = sessions.init({ identity: unit.label.serial, clientPublic: hello.clientPublic });
  t.ok(pending.ok);
  const phoneB = await handshake(sessions, unit.label.code, '192.168.4.11');
  t.ok(phoneB.verify?.ok, 'the third handshake took the unfinished one\'s slot');
  if (pending.ok) t.equal(sessions.authenticate(pending.value.sid).ok ? 'ok' : 'gone', 'gone');
  const phoneC = sessions.init({ identity: unit.label.serial, clientPublic: createSrpClientHello().clientPublic });
  t.same(phoneC.ok ? 'ok' : { code: phoneC.error.code, retryAfterMs: phoneC.error.retryAfterMs }, { code: 'too_many_sessions', retryAfterMs: 300_000 });
  t.ok(phoneA.app && request(sessions, phoneA.app, {}).ok, 'phone A is untouched');
  clock.advance(300_000);
  t.ok(sessions.init({ identity: unit.label.serial, clientPublic: createSrpClientHello().clientPublic }).ok, 'a slot frees when a session idles out');
});

t.test('no cross-session data: one session\'s keys do not open under another sid', async (t) => {
  const { sessions } = await setup(t);
  const a = await handshake(sessions, unit.label.code, '192.168.4.10');
  const b = await handshake(sessions, unit.label.code, '192.168.4.11');
  if (!a.app || !b.app) throw new Error('no sessions');
  t.notSame(Buffer.from(a.app.keys.c2d), Buffer.from(b.app.keys.c2d));
  const env = sealEnvelope(a.app.keys.c2d, 'c2d', { method: 'POST', path: PATH, sid: b.app.sid }, 1, Buffer.from('{}'));
  const crossed = sessions.openRequest({ sid: b.app.sid, method: 'POST', path: PATH, seq: 1, ct: Buffer.from(env.ct, 'base64') });
  t.equal(crossed.ok ? 'ok' : crossed.error.code, 'envelope_auth_failed');
  t.ok(sessions.isAuthenticatedPeer('192.168.4.10'));
  t.ok(sessions.isAuthenticatedPeer('192.168.4.11'));
  t.notOk(sessions.isAuthenticatedPeer('192.168.4.12'));
  sessions.closeAll();
  t.equal(sessions.size, 0);
  t.notOk(sessions.isAuthenticatedPeer('192.168.4.10'));
});

t.test('the portal\'s code check shares the session layer\'s lockout', async (t) => {
  const { sessions } = await setup(t);
  for (let i = 0; i < 4; i++) await handshake(sessions, '7KQ2M9XXS');
  t.same(await sessions.checkLabelCode('7KQ2-M9XX-S'), { ok: false, code: 'code_wrong', retryAfterMs: 60_000 });
  const locked = await handshake(sessions);
  t.equal(locked.init.ok ? 'ok' : locked.init.error.code, 'locked_out');
});
