import t from 'tap';
import pino from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import type { ActivatePayload } from '../../../src/cloud/payloads.js';
import { AccountBinder, type BindResultArgs } from '../../../src/provisioning/account-binding.js';

const TOKEN = { token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU' };

/** A link the test drives: up or down, and what the cloud answers to each published activation. */
function rig(opts: { online?: boolean; answer?: (p: ActivatePayload, n: number) => Omit<BindResultArgs, 'requestId'> | null; publishFails?: boolean } = {}) {
  const clock = new ManualClock();
  let online = opts.online ?? true;
  const onOnline = new Set<() => void>();
  const sent: ActivatePayload[] = [];
  let binder: AccountBinder;
  const channel = {
    online: () => online,
    onOnline: (l: () => void) => (onOnline.add(l), () => onOnline.delete(l)),
    publish: async (p: ActivatePayload) => {
      if (opts.publishFails || !online) throw new Error('the cloud link is down');
      sent.push(p);
      const a = opts.answer?.(p, sent.length);
      if (a) queueMicrotask(() => binder.answer({ requestId: p.requestId, ...a }));
    },
  };
  binder = new AccountBinder({ channel, clock, logger: pino({ level: 'silent' }), serial: 'AC1234567890', firmwareVersion: '1.0.0' });
  /** Lets promises settle, then moves the manual clock. */
  const run = async (ms: number, step = 500) => {
    for (let i = 0; i < ms; i += step) {
      for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
      clock.advance(step);
    }
    for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
  };
  return {
    clock,
    binder,
    sent,
    run,
    goOnline: () => {
      online = true;
      onOnline.forEach((l) => l());
    },
  };
}

t.test('a bound answer completes the binding with its id; the token, serial and region go on the wire', async (t) => {
  const r = rig({ answer: () => ({ status: 'bound', bindingId: 'b-123' }) });
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(1000);
  t.same(await outcome, { ok: true, bindingId: 'b-123' });
  t.equal(r.sent.length, 1);
  t.match(r.sent[0], { token: TOKEN.token, region: 'EU', serial: 'AC1234567890', firmwareVersion: '1.0.0', requestId: /^[0-9a-f]{16}$/ });
});

for (const code of ['token_expired', 'token_used', 'owned_by_other', 'serial_mismatch'] as const) {
  t.test(`a ${code} refusal is final: one attempt, that code`, async (t) => {
    const r = rig({ answer: () => ({ status: 'refused', code }) });
    const outcome = r.binder.bind(TOKEN, 0);
    await r.run(20_000);
    t.match(await outcome, { ok: false, code });
    t.equal(r.sent.length, 1, 'not retried');
  });
}

t.test('rate_limited is retried after 2 s, and then 4 s', async (t) => {
  const r = rig({ answer: (_p, n) => (n < 3 ? { status: 'refused', code: 'rate_limited' } : { status: 'bound', bindingId: 'b-9' }) });
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(1500);
  t.equal(r.sent.length, 1);
  await r.run(1000);
  t.equal(r.sent.length, 2, 'second attempt after 2 s');
  await r.run(3000);
  t.equal(r.sent.length, 2, 'third not before 4 s');
  await r.run(1500);
  t.equal(r.sent.length, 3);
  t.same(await outcome, { ok: true, bindingId: 'b-9' });
  t.not(r.sent[0]!.requestId, r.sent[1]!.requestId, 'a new request id per attempt');
});

t.test('no answer: three attempts of 30 s, then unreachable', async (t) => {
  const r = rig({ answer: () => null });
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(100_000, 1000);
  t.match(await outcome, { ok: false, code: 'unreachable' });
  t.equal(r.sent.length, 3);
});

t.test('a link that comes up later is waited for; one that never does gives unreachable', async (t) => {
  const r = rig({ online: false, answer: () => ({ status: 'bound', bindingId: 'late' }) });
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(5000);
  t.equal(r.sent.length, 0, 'nothing sent while down');
  r.goOnline();
  await r.run(500);
  t.same(await outcome, { ok: true, bindingId: 'late' });

  const never = rig({ online: false });
  const o2 = never.binder.bind(TOKEN, 0);
  await never.run(200_000, 5000);
  t.match(await o2, { ok: false, code: 'unreachable' });
});

t.test('nothing is tried once the token has expired on the device', async (t) => {
  const r = rig({ answer: () => null });
  r.clock.advance(10 * 60_000 - 10_000);
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(40_000, 1000);
  t.match(await outcome, { ok: false, code: 'token_expired' });
  t.equal(r.sent.length, 1, 'the one attempt that fitted');
});

t.test('late, duplicate and forged answers are refused', async (t) => {
  const r = rig({ answer: () => ({ status: 'bound', bindingId: 'x' }) });
  t.equal(r.binder.answer({ requestId: '0123456789abcdef', status: 'bound', bindingId: 'x' }), 'bind_result_unexpected', 'nobody waits');
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(500);
  await outcome;
  t.equal(r.binder.answer({ requestId: r.sent[0]!.requestId, status: 'bound', bindingId: 'x' }), 'bind_result_unexpected', 'duplicate');
});

t.test('cancel ends a waiting binding', async (t) => {
  const r = rig({ answer: () => null });
  const outcome = r.binder.bind(TOKEN, 0);
  await r.run(500);
  r.binder.cancel();
  t.match(await outcome, { ok: false, code: 'unreachable', message: /cancelled/ });
});
