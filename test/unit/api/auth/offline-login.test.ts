import t, { type Test as T } from 'tap';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import type { ButtonGesture, ResetButton } from '../../../../src/hal/types.js';
import { CodeLockout } from '../../../../src/provisioning/ap/code-lockout.js';
import { checkLabelCode } from '../../../../src/provisioning/ap/label-code-check.js';
import { buttonPressWaiter } from '../../../../src/api/auth/button-press.js';
import { OFFLINE_LOGIN_STATUS, OfflineLogin, type OfflineLoginDeps } from '../../../../src/api/auth/offline-login.js';
import { SourceRateLimiter } from '../../../../src/api/auth/source-rate-limit.js';
import { TokenAuthority } from '../../../../src/api/auth/token-authority.js';
import { makeTestUnit } from '../../../helpers/prov-client.js';
import { tempDir } from '../../../helpers/tmp.js';

const unit = makeTestUnit();
const RIGHT = unit.label.code;
const WRONG = '7KQ2M9XXS'; // well-formed (valid check character), not this unit's

/** A reset button a test presses by hand. */
class FakeButton implements ResetButton {
  readonly #listeners = new Set<(g: ButtonGesture, heldMs: number) => void>();
  onGesture(l: (g: ButtonGesture, heldMs: number) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  onButtonEvent(): () => void {
    return () => undefined;
  }
  press(g: ButtonGesture = 'short', heldMs = 200): void {
    for (const l of [...this.#listeners]) l(g, heldMs);
  }
  get listeners(): number {
    return this.#listeners.size;
  }
}

async function setup(t: T, over: Partial<OfflineLoginDeps> = {}) {
  const dir = await tempDir(t, 'offline-');
  const clock = new ManualClock();
  const lockout = new CodeLockout({ path: join(dir, 'code-lockout.json'), clock });
  await lockout.load();
  const authority = new TokenAuthority({ deviceId: 'cam-1', deviceSecret: randomBytes(32), statePath: join(dir, 'api-tokens.json'), clock });
  await authority.load();
  const button = new FakeButton();
  const prompts: boolean[] = [];
  let signalWaiting: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => (signalWaiting = resolve));
  const login = new OfflineLogin({
    label: { serial: unit.label.serial, srp: unit.srp, lockout },
    authority,
    awaitButtonPress: buttonPressWaiter(button, clock),
    clock,
    onAwaitingPress: (w) => {
      prompts.push(w);
      if (w) signalWaiting();
    },
    ...over,
  });
  /** Resolves once the camera asks for the press (the code check, with its file write, is done). */
  const whenWaiting = (): Promise<void> => waiting;
  return { clock, lockout, authority, button, login, prompts, whenWaiting };
}

t.test('right code + a short press within the window → a technician token that verifies', async (t) => {
  const { login, button, authority, prompts, whenWaiting } = await setup(t);
  const pending = login.login({ code: '7kq2-m9xw-v', sourceAddress: '192.168.1.20', subject: 'alice' });
  await whenWaiting();
  t.same(prompts, [true], 'the camera asks for the press');
  button.press('short');
  const r = await pending;
  t.match(r, { ok: true, role: 'technician' });
  if (!r.ok) return;
  t.match(authority.verify(r.token), { ok: true, principal: { role: 'technician', subject: 'alice', via: 'button', tokenId: r.tokenId } });
  t.same(prompts, [true, false]);
  t.equal(button.listeners, 0, 'stops listening');
});

t.test('right code, no press → press_timeout after the window, no token', async (t) => {
  const { login, clock, whenWaiting, button } = await setup(t);
  const pending = login.login({ code: RIGHT, sourceAddress: '192.168.1.20' });
  await whenWaiting();
  clock.advance(29_999);
  button.press('factory-reset', 20_000);
  t.equal(button.listeners, 1, 'a long hold is not a login press');
  clock.advance(1);
  t.same(await pending, { ok: false, code: 'press_timeout' });
  t.equal(OFFLINE_LOGIN_STATUS.press_timeout, 401);
});

t.test('wrong code ×5 → locked, even the right code from another address then waits', async (t) => {
  const { login, lockout, button } = await setup(t);
  const results = [];
  for (let i = 0; i < 5; i++) results.push(await login.login({ code: WRONG, sourceAddress: '192.168.1.20' }));
  t.same(results.slice(0, 4), Array(4).fill({ ok: false, code: 'code_wrong' }));
  t.same(results[4], { ok: false, code: 'code_wrong', retryAfterMs: 60_000 });
  t.ok(lockout.check().locked, 'the shared, persisted lockout');
  t.same(await login.login({ code: RIGHT, sourceAddress: '192.168.1.99' }), { ok: false, code: 'locked_out', retryAfterMs: 60_000 });
  t.equal(button.listeners, 0, 'never asked for a press');
  t.equal(OFFLINE_LOGIN_STATUS.locked_out, 429);
});

t.test('the lockout is the one AP provisioning uses: failures there count here', async (t) => {
  const { login, lockout } = await setup(t);
  for (let i = 0; i < 5; i++) await checkLabelCode(WRONG, { serial: unit.label.serial, srp: unit.srp, lockout });
  t.match(await login.login({ code: RIGHT, sourceAddress: '10.0.0.5' }), { ok: false, code: 'locked_out' });
});

t.test('the per-source rate limit answers before the code is checked (no guess spent)', async (t) => {
  const { login, lockout } = await setup(t, { rateLimiter: new SourceRateLimiter({ burst: 2, refillMs: 10_000, maxSources: 8 }) });
  await login.login({ code: WRONG, sourceAddress: '192.168.1.20' });
  await login.login({ code: WRONG, sourceAddress: '::ffff:192.168.1.20' });
  t.same(await login.login({ code: WRONG, sourceAddress: '192.168.1.20' }), { ok: false, code: 'rate_limited', retryAfterMs: 10_000 });
  t.equal(lockout.snapshot().failures, 2);
});

t.test('malformed input is refused without counting a guess', async (t) => {
  const { login, lockout } = await setup(t);
  t.same(await login.login({ code: 12345, sourceAddress: '10.0.0.1' }), { ok: false, code: 'code_malformed' });
  t.same(await login.login({ code: { $ne: '' }, sourceAddress: '10.0.0.2' }), { ok: false, code: 'code_malformed' });
  t.same(await login.login({ code: 'x'.repeat(100_000), sourceAddress: '10.0.0.3' }), { ok: false, code: 'code_malformed' });
  t.same(await login.login({ code: RIGHT, sourceAddress: '10.0.0.4', subject: 'bob\n{"role":"admin"}' }), { ok: false, code: 'subject_invalid' });
  t.equal(lockout.snapshot().failures, 0);
});

t.test('one press confirms one login: a second right code while waiting is press_pending', async (t) => {
  const { login, button, whenWaiting } = await setup(t);
  const first = login.login({ code: RIGHT, sourceAddress: '10.0.0.1' });
  await whenWaiting();
  t.same(await login.login({ code: RIGHT, sourceAddress: '10.0.0.2' }), { ok: false, code: 'press_pending' });
  button.press();
  t.match(await first, { ok: true });
});

t.test('offline login never mints admin, and a bad ttl is refused at construction', async (t) => {
  const minted: unknown[] = [];
  const { login, button, whenWaiting } = await setup(t, {
    authority: {
      mint: (req) => {
        minted.push(req);
        return { token: 'x.y', claims: { v: 1, tokenId: 'AAAAAAAAAAAAAAAA', deviceId: 'cam-1', role: req.role, subject: req.subject, via: req.via, iat: 0, exp: 3600 } };
      },
    },
  });
  const p = login.login({ code: RIGHT, sourceAddress: '10.0.0.1' });
  await whenWaiting();
  button.press();
  await p;
  t.same(minted, [{ role: 'technician', subject: 'local-technician', ttlS: 3600, via: 'button' }]);
  t.throws(() => new OfflineLogin({ label: { serial: 's', srp: unit.srp, lockout: { check: () => ({ locked: false }), fail: async () => ({ locked: false }), succeed: async () => undefined } }, authority: { mint: () => { throw new Error(); } }, awaitButtonPress: async () => true, clock: new ManualClock(), ttlS: 9 * 3600 }), RangeError);
});
