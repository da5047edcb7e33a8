/**
 * LAN discovery seen by a real, independent client: the advertiser runs in
 * a node process inside the "cam" namespace, avahi-daemon with
 * avahi-browse/avahi-publish inside the "phone" namespace, joined by a veth
 * pair (test-rigs.md §4). The cam also has a stand-in soft-AP interface
 * (192.168.4.1) whose address must never reach the LAN. Nothing multicasts
 * outside namespaces made here (the network safety rule).
 */
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { startAvahi, type AvahiDaemon, type BrowseEvent } from '../../helpers/avahi.js';
import { addStubInterface, interfaceWithAddress, vethPair, type TestNamespace, type VethPair } from '../../helpers/netns.js';
import { labelFingerprint } from '../../../src/factory/unit-builder.js';
import type { AdvertisedFacts, AdvertiserStatus } from '../../../src/network/mdns-advertiser.js';

const src = (path: string) => pathToFileURL(fileURLToPath(new URL(`../../../src/${path}`, import.meta.url))).href;
const TYPE = '_camera-agent._tcp';
const SOFT_AP = '192.168.4.1';
const FINGERPRINT = '3f'.repeat(32);
const FACTS: AdvertisedFacts = { brand: 'ACME', model: 'CAM100', serial: 'AC10022345677890', firmware: '1.4.2', bound: false, publicKeyFingerprint: FINGERPRINT };
const NAME = 'ACME CAM100 7890';
/** The label's F: starts with the advertised id (factory/unit-builder.ts computes F). */
const ID = labelFingerprint(FINGERPRINT).slice(0, 8);
const HOST = `cam100-${ID.toLowerCase()}.local`;

interface Rig {
  pair: VethPair;
  camIf: string;
  avahi: AvahiDaemon;
}

/** Namespaces, a soft-AP stand-in on the cam, avahi on the phone; all removed when the test ends, pass or fail. */
async function rig(t: Test): Promise<Rig> {
  const pair = await vethPair();
  t.teardown(() => pair.delete());
  await addStubInterface(pair.cam, 'ap0', `${SOFT_AP}/24`);
  const camIf = await interfaceWithAddress(pair.cam, pair.camAddress);
  const phoneIf = await interfaceWithAddress(pair.phone, pair.phoneAddress);
  const avahi = await startAvahi(pair.phone, phoneIf);
  t.teardown(() => avahi.stop());
  return { pair, camIf, avahi };
}

interface AdvertiserProcess {
  /** Every stdout line: pino JSON log lines and {"status":…} lines. */
  lines: string[];
  statuses: AdvertiserStatus[];
  logs: Array<{ level: string; msg: string; [k: string]: unknown }>;
  /** The first status from index `from` on (already seen or still to come) that matches. */
  waitStatus(match: (s: AdvertiserStatus) => boolean, timeoutMs?: number, what?: string, from?: number): Promise<AdvertiserStatus>;
  command(cmd: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

interface ChildOptions {
  interface: string | null;
  facts?: AdvertisedFacts;
  addressPollMs?: number;
  occupy5353?: boolean;
}

/**
 * Runs MdnsAdvertiser (with the agent's real logger) in a node process
 * inside `ns`. Commands go in as JSON lines on stdin; statuses and logs come
 * out as JSON lines on stdout. stdin is the lifeline: if the test process
 * dies, the child stops and exits.
 */
function startAdvertiserIn(ns: TestNamespace, t: Test, options: ChildOptions): AdvertiserProcess {
  const script = `
const { MdnsAdvertiser } = await import(${JSON.stringify(src('network/mdns-advertiser.ts'))});
const { systemClock } = await import(${JSON.stringify(src('core/clock.ts'))});
const { createLogging } = await import(${JSON.stringify(src('log/logger.ts'))});
const { createInterface } = await import('node:readline');
const opts = ${JSON.stringify({ facts: FACTS, addressPollMs: 0, ...options })};
if (opts.occupy5353) {
  // Another responder holding 5353 without SO_REUSEADDR.
  const dgram = await import('node:dgram');
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  await new Promise((r) => s.bind(5353, '0.0.0.0', r));
}
const { logger } = createLogging({ level: 'debug', ringLines: 100 });
const print = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const adv = new MdnsAdvertiser({ logger, clock: systemClock, serviceType: 'camera-agent', port: 8443, facts: opts.facts,
  interface: opts.interface, addressPollMs: opts.addressPollMs, retryAfterMs: 60000 });
adv.on('status', (status) => print({ status }));
await adv.start();
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await adv.stop();
  process.stdout.write('', () => process.exit(0));
};
createInterface({ input: process.stdin }).on('line', async (line) => {
  const c = JSON.parse(line);
  if (c.cmd === 'update') await adv.update(c.facts);
  else if (c.cmd === 'setInterface') await adv.setInterface(c.value);
  else if (c.cmd === 'refresh') await adv.refresh();
  else if (c.cmd === 'stop') await adv.stop();
  print({ done: c.cmd });
});
process.stdin.on('end', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
`;
  const child = ns.spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const lines: string[] = [];
  const logs: AdvertiserProcess['logs'] = [];
  const statuses: AdvertiserStatus[] = [];
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    try {
      const o = JSON.parse(line) as { status?: AdvertiserStatus; level?: string; msg?: string };
      if (o.status) statuses.push(o.status);
      else if (o.level) logs.push(o as AdvertiserProcess['logs'][number]);
    } catch {
      // kept in lines; the tests check every line is JSON
    }
    for (const l of listeners) l(line);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const waitLine = <T>(pick: (line: string) => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`advertiser: no ${what} within ${timeoutMs} ms\nstdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
      }, timeoutMs);
      const listener = (line: string) => {
        const v = pick(line);
        if (v === undefined) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve(v);
      };
      listeners.add(listener);
    });
  const proc: AdvertiserProcess = {
    lines,
    statuses,
    logs,
    waitStatus(match, timeoutMs = 10_000, what = 'matching status', from = 0) {
      const seen = statuses.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      return waitLine((line) => {
        const s = (JSON.parse(line) as { status?: AdvertiserStatus }).status;
        return s && match(s) ? s : undefined;
      }, timeoutMs, what);
    },
    async command(cmd) {
      const done = waitLine((line) => ((JSON.parse(line) as { done?: string }).done === cmd.cmd ? true : undefined), 10_000, `reply to ${String(cmd.cmd)}`);
      child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      await done;
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.stdin!.end();
      await exited;
    },
  };
  t.teardown(() => proc.close());
  return proc;
}

/** Every A record anyone on the phone's link sends for `host`, collected for one second (multicast-dns, the library bonjour-service uses, as a plain decoder). */
async function addressRecords(phone: TestNamespace, phoneAddress: string, host: string): Promise<string[]> {
  const mdnsPath = createRequire(import.meta.url).resolve('bonjour-service');
  const script = `
const { createRequire } = await import('node:module');
const mdns = createRequire(${JSON.stringify(mdnsPath)})('multicast-dns')({ interface: ${JSON.stringify(phoneAddress)}, bind: '0.0.0.0' });
const seen = new Set();
mdns.on('response', (r) => { for (const a of [...r.answers, ...r.additionals]) if ((a.type === 'A' || a.type === 'AAAA') && a.name === ${JSON.stringify(host)}) seen.add(a.data); });
mdns.on('ready', () => mdns.query([{ name: ${JSON.stringify(host)}, type: 'A' }, { name: ${JSON.stringify(host)}, type: 'AAAA' }]));
// A collection window, not a synchronisation: every responder on the link answers within it.
setTimeout(() => { console.log(JSON.stringify([...seen].sort())); mdns.destroy(); }, 1000);
`;
  const r = await phone.exec(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`mdns query failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

interface WireRecord {
  from: string;
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}

/** Every resource record in every mDNS response on the phone's link, as they arrive (a passive listener, multicast-dns as a plain decoder). */
async function sniff(phone: TestNamespace, phoneAddress: string, t: Test): Promise<WireRecord[]> {
  const mdnsPath = createRequire(import.meta.url).resolve('bonjour-service');
  const script = `
const { createRequire } = await import('node:module');
const mdns = createRequire(${JSON.stringify(mdnsPath)})('multicast-dns')({ interface: ${JSON.stringify(phoneAddress)}, bind: '0.0.0.0' });
mdns.on('ready', () => console.log(JSON.stringify({ ready: true })));
mdns.on('response', (r, rinfo) => {
  for (const a of [...r.answers, ...r.additionals]) console.log(JSON.stringify({ from: rinfo.address, name: a.name, type: a.type, ttl: a.ttl, data: Buffer.isBuffer(a.data) ? a.data.toString('hex') : a.data }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;
  const child = phone.spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.stdin!.end();
  });
  const records: WireRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sniffer exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const o = JSON.parse(line) as WireRecord & { ready?: boolean };
      if (o.ready) resolve();
      else records.push(o);
    });
  });
  return records;
}

/** The addresses avahi's cache holds for `host` (A records). */
async function cachedAddresses(avahi: AvahiDaemon, host: string): Promise<string[]> {
  return (await avahi.cache())
    .map((l) => /^(\S+)\s+IN\s+A\s+(\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === host)
    .map((m) => m[2]!)
    .sort();
}

/** Repeats `probe` until `done` holds for its answer (peers' caches change within about a second). */
async function eventually<T>(probe: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: never happened; last seen ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const resolvedAs = (name: string) => (e: BrowseEvent) => e.event === '=' && e.name === name;
const removed = (name: string) => (e: BrowseEvent) => e.event === '-' && e.name === name;

/** `avahi-browse -rtp` until what avahi shows matches. */
function eventuallyResolved(avahi: AvahiDaemon, match: (e: BrowseEvent) => boolean): Promise<BrowseEvent[]> {
  return eventually(() => avahi.browseOnce(TYPE), (events) => events.some(match), 'avahi-browse -rtp showing the expected record');
}

t.test('avahi on the phone resolves the camera: name, host, LAN address, port and TXT; the soft-AP address never goes on the wire', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const browse = avahi.browse(TYPE);
  t.teardown(() => browse.stop());
  const adv = startAdvertiserIn(pair.cam, t, { interface: camIf });

  const up = await adv.waitStatus((s) => s.state === 'up', 10_000, 'up');
  t.same(up, {
    state: 'up',
    name: NAME,
    interfaceName: camIf,
    addresses: [pair.camAddress],
    txt: { pv: '1', md: 'CAM100', sn4: '7890', fw: '1.4.2', st: 'unbound', id: ID },
    reason: null,
  });
  const seen = await browse.waitFor(resolvedAs(NAME), 10_000, 'resolution of the camera');
  t.match(seen, { interface: await interfaceWithAddress(pair.phone, pair.phoneAddress), protocol: 'IPv4', type: TYPE, domain: 'local', address: pair.camAddress, port: 8443 });
  t.equal(seen.host, HOST);
  t.same(seen.txt, { pv: '1', md: 'CAM100', sn4: '7890', fw: '1.4.2', st: 'unbound', id: ID }, 'exactly the TXT keys, no empty or undefined values');

  const once = await avahi.browseOnce(TYPE);
  t.ok(once.some((e) => resolvedAs(NAME)(e) && e.address === pair.camAddress), 'avahi-browse -rtp resolves it too');
  t.same(await addressRecords(pair.phone, pair.phoneAddress, HOST), [pair.camAddress], 'only the LAN address goes on the wire: no soft-AP A record, no AAAA');
  t.same(await cachedAddresses(avahi, HOST), [pair.camAddress], 'and only the LAN address is in avahi\'s cache');
  t.notOk(adv.lines.join('\n').includes(SOFT_AP), 'the soft-AP address is not even considered');
  t.notOk(adv.lines.join('\n').includes(FACTS.serial), 'the full serial appears nowhere');
});

t.test('names taken on the network: the camera renames itself "(2)", "(3)", logs it, and is resolvable under the new name', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const wire = await sniff(pair.phone, pair.phoneAddress, t);
  const other = await avahi.publish(NAME, TYPE, 9999, ['x=1']);
  t.teardown(() => other.stop());
  const other2 = await avahi.publish(`${NAME} (2)`, TYPE, 9998, ['x=2']);
  t.teardown(() => other2.stop());
  const browse = avahi.browse(TYPE);
  t.teardown(() => browse.stop());

  const adv = startAdvertiserIn(pair.cam, t, { interface: camIf });
  const up = await adv.waitStatus((s) => s.state === 'up', 15_000, 'up');
  t.equal(up.name, `${NAME} (3)`);
  const seen = await browse.waitFor(resolvedAs(`${NAME} (3)`), 10_000, 'resolution of the renamed camera');
  t.equal(seen.address, pair.camAddress);
  t.equal(seen.txt?.sn4, '7890');
  t.same(
    adv.logs.filter((l) => l.msg.includes('renaming')).map((l) => [l.level, l.name, l.next]),
    [
      ['warn', NAME, `${NAME} (2)`],
      ['warn', `${NAME} (2)`, `${NAME} (3)`],
    ],
  );
  t.same(adv.lines.filter((l) => !l.startsWith('{')), [], 'stdout stays JSON lines: bonjour-service\'s console.log of the conflict is kept out');

  const names = browse.events.filter((e) => e.event === '+').map((e) => e.name).sort();
  t.same(names, [NAME, `${NAME} (2)`, `${NAME} (3)`], 'the other hosts keep their names');
  // bonjour-service on its own would send TTL-0 records for the taken name, among them a PTR identical to the owner's.
  const taken = [NAME, `${NAME} (2)`].map((n) => `${n}.${TYPE}.local`);
  const goodbyes = wire.filter((r) => r.from === pair.camAddress && r.ttl === 0);
  t.same(goodbyes, [], 'the camera sent no goodbye at all: not for names others own, nor for anything it never announced');
  t.ok(wire.some((r) => r.from === pair.camAddress && r.type === 'PTR' && r.data === `${NAME} (3).${TYPE}.local`), 'the sniffer did see the camera announce "(3)"');
  t.notOk(browse.events.some((e) => e.event === '-' && taken.includes(`${e.name}.${TYPE}.local`)), 'avahi never saw the other hosts\' services go away');
});

t.test('two cameras with the same model and serial suffix: the one that comes second probes, finds the first, and renames itself', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const browse = avahi.browse(TYPE);
  t.teardown(() => browse.stop());
  const first = startAdvertiserIn(pair.cam, t, { interface: camIf });
  await first.waitStatus((s) => s.state === 'up', 10_000, 'first camera up');
  // The second camera stands on the phone's side of the link, next to avahi.
  const otherKey = 'a5'.repeat(32);
  const second = startAdvertiserIn(pair.phone, t, { interface: pair.phoneAddress, facts: { ...FACTS, publicKeyFingerprint: otherKey } });
  const up = await second.waitStatus((s) => s.state === 'up', 10_000, 'second camera up');
  t.equal(up.name, `${NAME} (2)`);
  t.match(second.logs.find((l) => l.msg.includes('renaming')), { level: 'warn', name: NAME, next: `${NAME} (2)` });
  t.equal(first.logs.filter((l) => l.msg.includes('renaming')).length, 0, 'the first keeps its name');
  const mine = await browse.waitFor(resolvedAs(NAME), 10_000, 'the first camera');
  const theirs = await browse.waitFor(resolvedAs(`${NAME} (2)`), 10_000, 'the second camera');
  t.match(mine, { address: pair.camAddress, txt: { id: ID } });
  t.match(theirs, { address: pair.phoneAddress, txt: { id: labelFingerprint(otherKey).slice(0, 8) } });
});

t.test('update(): bound and a new firmware reach avahi\'s TXT; only the old TXT gets a goodbye, so the camera never disappears', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const wire = await sniff(pair.phone, pair.phoneAddress, t);
  const browse = avahi.browse(TYPE);
  t.teardown(() => browse.stop());
  const adv = startAdvertiserIn(pair.cam, t, { interface: camIf });
  await adv.waitStatus((s) => s.state === 'up', 10_000, 'up');
  await browse.waitFor(resolvedAs(NAME), 10_000, 'first resolution');

  await adv.command({ cmd: 'update', facts: { bound: true, firmware: '1.5.0' } });
  const up = await adv.waitStatus((s) => s.state === 'up' && s.txt?.st === 'bound', 10_000, 'up with st=bound');
  t.equal(up.name, NAME, 'same name');
  const events = await eventuallyResolved(avahi, (e) => resolvedAs(NAME)(e) && e.txt?.st === 'bound');
  t.match(events.find(resolvedAs(NAME))?.txt, { st: 'bound', fw: '1.5.0', pv: '1' });
  t.notOk(browse.events.some(removed(NAME)), 'no removal event during the TXT change');
  const goodbyes = wire.filter((r) => r.from === pair.camAddress && r.ttl === 0);
  t.same(goodbyes.map((r) => [r.type, r.name]), [['TXT', `${NAME}.${TYPE}.local`]], 'one goodbye, for the old TXT only: PTR, SRV and A stay valid in every cache');
});

t.test('an address change on the interface is picked up by the poll: avahi resolves the new address and the old one is flushed', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const adv = startAdvertiserIn(pair.cam, t, { interface: camIf, addressPollMs: 200 });
  await adv.waitStatus((s) => s.state === 'up', 10_000, 'up');
  await eventuallyResolved(avahi, (e) => resolvedAs(NAME)(e) && e.address === pair.camAddress);

  // DHCP hands out another address: the old one is gone before a goodbye could use it.
  await pair.cam.exec('ip', ['addr', 'del', `${pair.camAddress}/24`, 'dev', camIf]);
  await pair.cam.exec('ip', ['addr', 'add', '10.99.0.3/24', 'dev', camIf]);
  const up = await adv.waitStatus((s) => s.state === 'up' && s.addresses[0] === '10.99.0.3', 10_000, 'up on 10.99.0.3');
  t.same(up.addresses, ['10.99.0.3']);
  await eventuallyResolved(avahi, (e) => resolvedAs(NAME)(e) && e.address === '10.99.0.3');
  t.same(await addressRecords(pair.phone, pair.phoneAddress, HOST), ['10.99.0.3'], 'only the new address goes on the wire');
  // No goodbye could leave from the vanished address; the cache-flush bit on the new A record evicts the old one.
  await eventually(() => cachedAddresses(avahi, HOST), (a) => a.length === 1 && a[0] === '10.99.0.3', 'avahi\'s cache holding only 10.99.0.3');
  t.pass('the stale 10.99.0.1 left avahi\'s cache');
});

t.test('stop() says goodbye: avahi drops the camera at once instead of after the TTL', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const browse = avahi.browse(TYPE);
  t.teardown(() => browse.stop());
  const adv = startAdvertiserIn(pair.cam, t, { interface: camIf });
  await adv.waitStatus((s) => s.state === 'up', 10_000, 'up');
  await browse.waitFor(resolvedAs(NAME), 10_000, 'resolution');

  const t0 = Date.now();
  await adv.command({ cmd: 'stop' });
  await browse.waitFor(removed(NAME), 5000, 'removal after goodbye');
  t.ok(Date.now() - t0 < 5000, `removed after ${Date.now() - t0} ms (PTR TTL is 28800 s)`);
  t.match(await adv.waitStatus((s) => s.state === 'stopped'), { state: 'stopped', name: null });
});

t.test('setInterface(null) withdraws (left the LAN), setInterface(name) advertises again', async (t) => {
  const { pair, camIf, avahi } = await rig(t);
  const browse = avahi.browse(TYPE);
  t.teardown(() => browse.stop());
  const adv = startAdvertiserIn(pair.cam, t, { interface: null });
  await adv.waitStatus((s) => s.state === 'waiting' && s.reason === 'no_interface', 5000, 'waiting');

  await adv.command({ cmd: 'setInterface', value: camIf });
  await browse.waitFor(resolvedAs(NAME), 10_000, 'resolution');
  await adv.command({ cmd: 'setInterface', value: null });
  await browse.waitFor(removed(NAME), 5000, 'removal');
  t.match(adv.statuses.at(-1), { state: 'waiting', reason: 'no_interface' });

  const mark = { statuses: adv.statuses.length, events: browse.events.length };
  await adv.command({ cmd: 'setInterface', value: pair.camAddress });
  const up = await adv.waitStatus((s) => s.state === 'up', 10_000, 'up again', mark.statuses);
  t.equal(up.interfaceName, camIf, 'an address selects its interface');
  await browse.waitFor(resolvedAs(NAME), 10_000, 'resolution again', mark.events);
});

t.test('port 5353 held by another responder: no crash, the advertiser backs off and says why', async (t) => {
  const pair = await vethPair();
  t.teardown(() => pair.delete());
  const camIf = await interfaceWithAddress(pair.cam, pair.camAddress);
  const adv = startAdvertiserIn(pair.cam, t, { interface: camIf, occupy5353: true });
  const s = await adv.waitStatus((x) => x.state === 'backing_off', 10_000, 'backing_off');
  t.equal(s.reason, 'socket_failed');
  t.ok(adv.logs.some((l) => l.level === 'error' && l.msg.includes('socket failed')), 'logged as an error');
  await adv.command({ cmd: 'refresh' }); // still alive and answering
  await adv.close();
});
