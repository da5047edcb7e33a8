import t from 'tap';
import { initialSnapshot, transition, type DeviceEvent, type DeviceSnapshot } from '../../../src/core/device-state.js';

function run(s: DeviceSnapshot, ...events: DeviceEvent[]): DeviceSnapshot {
  for (const e of events) {
    const r = transition(s, e);
    if (!r.ok) throw new Error(r.message);
    s = r.next;
  }
  return s;
}

t.test('first boot starts factory-new; a provisioned camera resumes joining', async (t) => {
  t.equal(initialSnapshot({ provisioned: false, bound: false }).state, 'factory-new');
  t.same(initialSnapshot({ provisioned: true, bound: true }), { state: 'joining', underlying: 'joining', bound: true, lastFailure: null });
  t.equal(initialSnapshot({ provisioned: false, bound: true }).bound, false, 'bound without network facts is inconsistent: not bound');
});

t.test('the happy path: provisioning → joining → online → bound', async (t) => {
  let s = initialSnapshot({ provisioned: false, bound: false });
  s = run(s, { type: 'provisioning-started', reason: 'first-boot' });
  t.equal(s.state, 'provisioning');
  s = run(s, { type: 'credentials-received' });
  t.equal(s.state, 'joining');
  s = run(s, { type: 'link-up', bound: false });
  t.equal(s.state, 'online');
  s = run(s, { type: 'bound' });
  t.same(s, { state: 'bound', underlying: 'bound', bound: true, lastFailure: null });
});

t.test('a failed join returns to provisioning and keeps the reason', async (t) => {
  const s = run(initialSnapshot({ provisioned: false, bound: false }), { type: 'provisioning-started', reason: 'first-boot' }, { type: 'credentials-received' }, { type: 'join-failed', reason: 'auth_failed' });
  t.equal(s.state, 'provisioning');
  t.equal(s.lastFailure, 'auth_failed');
  t.equal(run(s, { type: 'credentials-received' }).lastFailure, null, 'a new attempt clears it');
});

t.test('link loss degrades and recovery restores bound', async (t) => {
  let s = run(initialSnapshot({ provisioned: true, bound: true }), { type: 'link-up', bound: true });
  s = run(s, { type: 'link-lost', reason: 'broker unreachable' });
  t.equal(s.state, 'degraded');
  s = run(s, { type: 'link-up', bound: true });
  t.equal(s.state, 'bound');
});

t.test('privacy overlays any state and returns to the one underneath', async (t) => {
  let s = run(initialSnapshot({ provisioned: true, bound: true }), { type: 'link-up', bound: true }, { type: 'privacy-on' });
  t.equal(s.state, 'privacy');
  s = run(s, { type: 'link-lost', reason: 'x' });
  t.equal(s.state, 'privacy', 'network changes under privacy stay hidden');
  t.equal(s.underlying, 'degraded');
  s = run(s, { type: 'privacy-off' });
  t.equal(s.state, 'degraded');
});

t.test('refused transitions say why and change nothing', async (t) => {
  const s = initialSnapshot({ provisioned: false, bound: false });
  const cases: DeviceEvent[] = [{ type: 'credentials-received' }, { type: 'bound' }, { type: 'link-lost', reason: 'x' }, { type: 'privacy-off' }, { type: 'join-failed', reason: 'x' }];
  for (const e of cases) {
    const r = transition(s, e);
    t.equal(r.ok, false, e.type);
    if (!r.ok) t.equal(r.code, 'transition_not_allowed');
  }
  const p = run(s, { type: 'privacy-on' });
  t.equal(transition(p, { type: 'privacy-on' }).ok, false, 'privacy on twice');
});

t.test('unbind and factory reset from anywhere', async (t) => {
  const bound = run(initialSnapshot({ provisioned: true, bound: true }), { type: 'link-up', bound: true });
  t.same(run(bound, { type: 'unbound' }), { state: 'provisioning', underlying: 'provisioning', bound: false, lastFailure: null });
  t.equal(run(bound, { type: 'factory-reset' }).state, 'factory-new');
  t.equal(run(bound, { type: 'privacy-on' }, { type: 'factory-reset' }).state, 'factory-new');
});

t.test('a camera whose network came up without Wi-Fi provisioning (Ethernet) goes online', async (t) => {
  const s = run(initialSnapshot({ provisioned: false, bound: false }), { type: 'provisioning-started', reason: 'first-boot' }, { type: 'link-up', bound: false });
  t.equal(s.state, 'online');
  t.equal(transition(initialSnapshot({ provisioned: false, bound: false }), { type: 'link-up', bound: false }).ok, false, 'not before the life cycle started');
});
