/**
 * MdnsAdvertiser's decisions (which name, when to re-publish, how to
 * withdraw, when to give up) against a simulated responder that plays the
 * network: names in `taken` get a conflict, anything else comes up. The
 * bonjour-service adapter itself is tested with avahi in
 * test/integration/network/mdns-advertiser.test.ts.
 */
import t, { type Test } from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogging } from '../../../src/log/logger.js';
import { MdnsAdvertiser, type AdvertisedFacts, type AdvertiserStatus, type MdnsAdvertiserDeps } from '../../../src/network/mdns-advertiser.js';
import type { InterfaceTable } from '../../../src/network/mdns-interface.js';
import type { Advertisement, MdnsResponder, Publication, PublicationOutcome } from '../../../src/network/mdns-responder.js';

const FACTS: AdvertisedFacts = { brand: 'ACME', model: 'CAM100', serial: 'AC1002234567890', firmware: '1.4.2', bound: false, publicKeyFingerprint: '3f'.repeat(32) };
const NAME = 'ACME CAM100 7890';

class SimPublication implements Publication {
  readonly outcome: Promise<PublicationOutcome>;
  /** How it was closed: goodbye for everything, for the TXT only, or not yet. */
  closed: 'all' | 'txt' | null = null;
  #resolve: (o: PublicationOutcome) => void = () => undefined;

  constructor(readonly ad: Advertisement) {
    this.outcome = new Promise((r) => (this.#resolve = r));
  }

  answer(o: PublicationOutcome): void {
    this.#resolve(o);
  }

  async withdraw(): Promise<void> {
    this.closed ??= 'all';
    this.#resolve({ kind: 'withdrawn' });
  }

  async retireTxt(): Promise<void> {
    this.closed ??= 'txt';
    this.#resolve({ kind: 'withdrawn' });
  }
}

class SimResponder implements MdnsResponder {
  readonly publications: SimPublication[] = [];
  /** Names other hosts hold: probing them ends in a conflict. */
  readonly taken = new Set<string>();
  /** false: the test answers each publication itself. */
  auto = true;
  failSockets = false;
  throwOnPublish = false;

  publish(ad: Advertisement): Publication {
    if (this.throwOnPublish) throw new Error('simulated library bug');
    const p = new SimPublication(ad);
    this.publications.push(p);
    if (this.auto) {
      queueMicrotask(() =>
        p.answer(this.failSockets ? { kind: 'failed', error: new Error('bind EADDRINUSE 0.0.0.0:5353') } : this.taken.has(ad.name) ? { kind: 'conflict' } : { kind: 'up' }),
      );
    }
    return p;
  }

  get last(): SimPublication {
    return this.publications.at(-1)!;
  }

  get names(): string[] {
    return this.publications.map((p) => p.ad.name);
  }
}

function rig(t: Test, over: Partial<MdnsAdvertiserDeps> = {}) {
  const lines: Array<{ level: string; msg: string; [k: string]: unknown }> = [];
  const { logger } = createLogging({ level: 'debug', ringLines: 100, output: { write: (l) => void lines.push(JSON.parse(l)) } });
  const clock = new ManualClock();
  const responder = new SimResponder();
  const table: { current: InterfaceTable } = {
    current: {
      lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }],
      wlan0: [{ address: '192.168.1.57', family: 'IPv4', internal: false }],
      ap0: [{ address: '192.168.4.1', family: 'IPv4', internal: false }],
    },
  };
  const adv = new MdnsAdvertiser({
    logger,
    clock,
    serviceType: 'camera-agent',
    port: 8443,
    facts: FACTS,
    interface: 'wlan0',
    responder,
    networkInterfaces: () => table.current,
    addressPollMs: 10_000,
    maxNameAttempts: 10,
    retryAfterMs: 300_000,
    ...over,
  });
  t.teardown(() => adv.stop());
  const statuses: AdvertiserStatus[] = [];
  adv.on('status', (s) => statuses.push(s));
  /** The first status from now on (or the current one) that matches. */
  const until = (match: (s: AdvertiserStatus) => boolean, what = 'matching status') =>
    new Promise<AdvertiserStatus>((resolve, reject) => {
      if (match(adv.status())) return resolve(adv.status());
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${what}; statuses: ${JSON.stringify(statuses)}`));
      }, 2000);
      const off = adv.on('status', (s) => {
        if (!match(s)) return;
        clearTimeout(timer);
        off();
        resolve(s);
      });
    });
  return { adv, clock, responder, table, lines, statuses, until };
}

t.test('start() publishes name, type, port, host, TXT and only the chosen interface\'s addresses', async (t) => {
  const { adv, responder, until } = rig(t);
  t.same(responder.publications, [], 'the constructor does nothing');
  await adv.start();
  const up = await until((s) => s.state === 'up', 'up');
  t.same(responder.last.ad, {
    name: NAME,
    type: 'camera-agent',
    port: 8443,
    host: 'cam100-7wzkyfsz.local',
    txt: { pv: '1', md: 'CAM100', sn4: '7890', fw: '1.4.2', st: 'unbound', id: '7WZKYFSZ' },
    addresses: ['192.168.1.57'],
  });
  t.same(up, { state: 'up', name: NAME, interfaceName: 'wlan0', addresses: ['192.168.1.57'], txt: responder.last.ad.txt, reason: null });
});

t.test('a name taken on the network: "Name (2)", "Name (3)", each taken publication closed, one warning per rename', async (t) => {
  const { adv, responder, lines, until, statuses } = rig(t);
  responder.taken.add(NAME).add(`${NAME} (2)`);
  await adv.start();
  const up = await until((s) => s.state === 'up', 'up');
  t.equal(up.name, `${NAME} (3)`);
  t.same(responder.names, [NAME, `${NAME} (2)`, `${NAME} (3)`]);
  t.same(responder.publications.map((p) => p.closed), ['all', 'all', null], 'conflicted publications are closed (the adapter sends no goodbye for them)');
  t.same(
    lines.filter((l) => l.msg.includes('renaming')).map((l) => [l.level, l.name, l.next]),
    [
      ['warn', NAME, `${NAME} (2)`],
      ['warn', `${NAME} (2)`, `${NAME} (3)`],
    ],
  );
  t.same(statuses.map((s) => `${s.state} ${s.name}`), [`probing ${NAME}`, `probing ${NAME} (2)`, `probing ${NAME} (3)`, `up ${NAME} (3)`]);
});

t.test('bounded: after maxNameAttempts taken names it backs off, logs an error, and starts over after retryAfterMs', async (t) => {
  const { adv, responder, clock, lines, until } = rig(t, { maxNameAttempts: 3, retryAfterMs: 60_000, addressPollMs: 0 });
  for (const n of [NAME, `${NAME} (2)`, `${NAME} (3)`]) responder.taken.add(n);
  await adv.start();
  const s = await until((x) => x.state === 'backing_off', 'backing_off');
  t.match(s, { state: 'backing_off', reason: 'name_conflicts_exhausted', name: null, interfaceName: 'wlan0' });
  t.equal(responder.publications.length, 3, 'exactly three names probed');
  t.match(lines.find((l) => l.level === 'error'), { msg: /every name up to "ACME CAM100 7890 \(3\)" is in use.*60 s/ });

  await adv.update({ bound: true });
  t.equal(responder.publications.length, 3, 'a TXT change while backing off publishes nothing');
  clock.advance(59_999);
  await adv.refresh();
  t.equal(responder.publications.length, 3, 'nothing before retryAfterMs');
  responder.taken.delete(NAME);
  clock.advance(1);
  const up = await until((x) => x.state === 'up', 'up after the retry');
  t.equal(up.name, NAME, 'a new round starts from the plain name');
  t.equal(up.txt?.st, 'bound', 'with the facts as they are now');
});

t.test('update(): a TXT change while up closes the old publication with a TXT-only goodbye and re-publishes the same name', async (t) => {
  const { adv, responder, until } = rig(t);
  responder.taken.add(NAME);
  await adv.start();
  await until((s) => s.state === 'up', 'up');
  await adv.update({ bound: true, firmware: '1.5.0' });
  const up = await until((s) => s.state === 'up' && s.txt?.st === 'bound', 'up with st=bound');
  t.equal(up.name, `${NAME} (2)`, 'a renamed camera keeps its name');
  t.same(responder.publications.map((p) => p.closed), ['all', 'txt', null]);
  t.match(responder.last.ad.txt, { st: 'bound', fw: '1.5.0' });

  await adv.update({ bound: true, firmware: '1.5.0' });
  t.equal(responder.publications.length, 3, 'the same facts again: nothing on the wire');
});

t.test('update() while still probing withdraws everything: nothing was announced yet', async (t) => {
  const { adv, responder, until } = rig(t);
  responder.auto = false;
  await adv.start();
  await adv.update({ bound: true });
  t.same(responder.publications.map((p) => p.closed), ['all', null]);
  responder.publications[0]!.answer({ kind: 'conflict' }); // a late answer for the closed one
  responder.last.answer({ kind: 'up' });
  const up = await until((s) => s.state === 'up', 'up');
  t.equal(up.name, NAME, 'the late conflict of a superseded publication is ignored');
  t.equal(responder.publications.length, 2);
});

t.test('a new model or brand (the name\'s facts) starts over from the plain name', async (t) => {
  const { adv, responder, until } = rig(t);
  responder.taken.add(NAME);
  await adv.start();
  await until((s) => s.state === 'up', 'up');
  await adv.update({ model: 'CAM200' });
  const up = await until((s) => s.state === 'up' && s.name?.includes('CAM200') === true, 'up as CAM200');
  t.equal(up.name, 'ACME CAM200 7890');
  t.same(responder.publications.map((p) => p.closed), ['all', 'all', null], 'the old name said goodbye in full');
});

t.test('the address poll re-publishes when the interface\'s address changes, and only then', async (t) => {
  const { adv, responder, clock, table, lines, until } = rig(t);
  await adv.start();
  await until((s) => s.state === 'up', 'up');
  clock.advance(10_000);
  await adv.refresh();
  t.equal(responder.publications.length, 1, 'same address: nothing');

  table.current = { ...table.current, wlan0: [{ address: '192.168.1.80', family: 'IPv4', internal: false }] };
  clock.advance(10_000);
  const up = await until((s) => s.state === 'up' && s.addresses[0] === '192.168.1.80', 'up on the new address');
  t.same(up.addresses, ['192.168.1.80']);
  t.same(responder.publications.map((p) => [p.ad.addresses, p.closed]), [
    [['192.168.1.57'], 'all'],
    [['192.168.1.80'], null],
  ]);
  t.ok(lines.some((l) => l.msg.includes('address changed') && l.address !== '192.168.1.80'), 'logged, with the address masked by the logger');

  table.current = { ...table.current, wlan0: [] };
  await adv.refresh();
  t.match(await until((s) => s.state === 'waiting', 'waiting'), { reason: 'no_ipv4_address', name: null });
  t.equal(responder.last.closed, 'all', 'lost its address: withdrawn');
});

t.test('setInterface(): null withdraws, an interface (by name or address) publishes again with the name it had', async (t) => {
  const { adv, responder, until } = rig(t, { interface: null });
  responder.taken.add(NAME);
  await adv.start();
  t.match(adv.status(), { state: 'waiting', reason: 'no_interface' });
  t.equal(responder.publications.length, 0, 'no LAN yet (provisioning on the soft-AP): nothing advertised');

  await adv.setInterface('wlan0');
  await until((s) => s.state === 'up', 'up');
  await adv.setInterface(null);
  t.match(adv.status(), { state: 'waiting', reason: 'no_interface' });
  t.equal(responder.last.closed, 'all');

  await adv.setInterface('192.168.1.57');
  const up = await until((s) => s.state === 'up', 'up again');
  t.match(up, { name: `${NAME} (2)`, interfaceName: 'wlan0' });
  t.notOk(responder.publications.some((p) => p.ad.addresses.includes('192.168.4.1')), 'the soft-AP address never');
});

t.test('stop() withdraws with goodbyes and leaves no timer behind', async (t) => {
  const { adv, responder, clock, until } = rig(t);
  await adv.start();
  await until((s) => s.state === 'up', 'up');
  t.equal(clock.pendingTimers(), 1, 'the address poll');
  await adv.stop();
  t.equal(responder.last.closed, 'all');
  t.equal(clock.pendingTimers(), 0);
  t.same(adv.status(), { state: 'stopped', name: null, interfaceName: null, addresses: [], txt: null, reason: null });
  await adv.refresh();
  await adv.update({ bound: true });
  t.equal(responder.publications.length, 1, 'nothing after stop()');
});

t.test('a failed socket: backing_off with socket_failed, then a new try after retryAfterMs', async (t) => {
  const { adv, responder, clock, until } = rig(t, { addressPollMs: 0 });
  responder.failSockets = true;
  await adv.start();
  t.match(await until((s) => s.state === 'backing_off', 'backing_off'), { reason: 'socket_failed' });
  t.equal(responder.last.closed, 'all', 'the failed socket is closed');
  responder.failSockets = false;
  clock.advance(300_000);
  await until((s) => s.state === 'up', 'up after the retry');
});

t.test('nothing to advertise, and why; no setting or library error escapes start()', async (t) => {
  const bad = rig(t, { serviceType: '_camera-agent._tcp' });
  await bad.adv.start();
  t.match(bad.adv.status(), { state: 'stopped', reason: 'bad_service_type' });
  t.match(bad.lines.at(-1), { level: 'error', msg: /RFC 6335/ });

  const port = rig(t, { port: 0 });
  await port.adv.start();
  t.match(port.adv.status(), { state: 'waiting', reason: 'bad_port' });

  const missing = rig(t, { interface: 'wlan7' });
  await missing.adv.start();
  t.match(missing.adv.status(), { state: 'waiting', reason: 'interface_not_found' });
  await missing.adv.refresh();
  t.equal(missing.lines.filter((l) => l.code === 'interface_not_found').length, 1, 'logged once, not on every poll');

  const loop = rig(t, { interface: 'lo' });
  await loop.adv.start();
  t.match(loop.adv.status(), { state: 'waiting', reason: 'loopback_interface' });

  const throwing = rig(t);
  throwing.responder.throwOnPublish = true;
  await throwing.adv.start();
  t.match(throwing.lines.at(-1), { level: 'error', msg: 'mDNS advertiser step failed' });
  throwing.responder.throwOnPublish = false;
  await throwing.adv.refresh();
  await throwing.until((s) => s.state === 'up', 'up once the library behaves');
});
