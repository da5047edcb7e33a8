import t, { type Test } from 'tap';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { provisioningRig } from '../../helpers/provisioning-rig.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * ETSI EN 303 645 5.6-1 (unused interfaces disabled), CRA Annex I (2)(j):
 * the compiled agent, in each state a camera spends its life in, listens
 * on exactly the sockets its design names and nothing else. The listing is
 * taken from the kernel, not from the agent's own logs: every socket inode
 * the agent process and all its descendants (ffmpeg, aplay…) hold in
 * /proc/<pid>/fd, looked up in that process's /proc/<pid>/net/{tcp,tcp6,
 * udp,udp6,unix}. A TCP socket counts when it is in LISTEN (state 0A), a
 * UDP socket when it is bound and not connected to one peer (it would take
 * datagrams from anyone), a unix socket when it accepts connections.
 *
 * Simulated hardware puts the provisioning server and the LAN-bind server
 * on 127.0.0.1 and every port on "any free port"; the addresses a real
 * camera uses are in the comment of each allowlist entry. mDNS (UDP 5353
 * on the LAN interface) is off on simulated hardware (network.mdns.interface
 * empty = none, so a test never announces itself on the host's LAN): its
 * socket is covered by test/integration/network/mdns-advertiser.test.ts
 * inside a network namespace, and no state here may show it.
 */

interface Listener {
  proto: 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'unix';
  /** Address as the kernel reports it: dotted IPv4, or IPv6 in full hex groups; unix: the path ('' = unnamed, '@x' = abstract). */
  address: string;
  port: number;
  pid: number;
  comm: string;
}

/** The agent and every process below it. */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended while we looked
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parentOf) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // closed while we looked
    }
  }
  return out;
}

/** /proc/net/tcp stores each 32-bit word of the address in host (little-endian) byte order. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g)!.map((w) => Buffer.from(w, 'hex').reverse());
  if (words.length === 1) return [...words[0]!].join('.');
  const bytes = Buffer.concat(words);
  return Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16)).join(':');
}

function listenersOf(pid: number): Listener[] {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return [];
  let comm = '?';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    // ended
  }
  const out: Listener[] = [];
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    let table = '';
    try {
      table = readFileSync(`/proc/${pid}/net/${proto}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      const [localHex, portHex] = f[1]!.split(':') as [string, string];
      const remotePort = parseInt(f[2]!.split(':')[1]!, 16);
      const state = f[3]!;
      // TCP: only LISTEN (0A). UDP: bound and unconnected (remote port 0): a connected one is a client's.
      const listening = proto.startsWith('tcp') ? state === '0A' : remotePort === 0;
      if (listening) out.push({ proto, address: decodeAddress(localHex), port: parseInt(portHex, 16), pid, comm });
    }
  }
  try {
    for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // Flags 00010000 = __SO_ACCEPTCON: a listening stream/seqpacket socket.
      if (f.length >= 7 && inodes.has(f[6]!) && (parseInt(f[3]!, 16) & 0x10000) !== 0) out.push({ proto: 'unix', address: f[7] ?? '', port: 0, pid, comm });
    }
  } catch {
    // no unix table: nothing to add
  }
  return out;
}

function listeners(root: number): { processes: Array<{ pid: number; comm: string }>; listening: Listener[] } {
  const tree = processTree(root);
  const processes = tree.map((pid) => {
    try {
      return { pid, comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() };
    } catch {
      return { pid, comm: '?' };
    }
  });
  return { processes, listening: tree.flatMap(listenersOf) };
}

const IPV4_LOOPBACK = '127.0.0.1';
/** `::` as /proc/net/tcp6 shows it: the dual-stack wildcard, every interface. */
const IPV6_ANY = '0:0:0:0:0:0:0:0';

function portOf(url: unknown): number {
  return Number(new URL(String(url)).port);
}

function describe(l: Listener): string {
  return `${l.proto} ${l.address}:${l.port} (${l.comm})`;
}

/** The QR window's frame source starts a moment after the scanner: wait for the child to exist. */
async function waitForChild(d: Daemon, comm: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!listeners(d.child.pid!).processes.some((p) => p.comm === comm)) {
    if (Date.now() > deadline) throw new Error(`no ${comm} child within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The listing must be exactly `allowed`, all of it owned by the agent process itself, none by a child. */
function assertExactly(t: Test, d: Daemon, allowed: Array<{ proto: Listener['proto']; address: string; port: number; why: string }>): void {
  const { processes, listening } = listeners(d.child.pid!);
  t.comment(`processes: ${processes.map((p) => `${p.comm}[${p.pid}]`).join(', ')}`);
  t.comment(`listening: ${listening.map(describe).join(', ') || 'nothing'}`);
  const key = (l: { proto: string; address: string; port: number }) => `${l.proto} ${l.address}:${l.port}`;
  t.same(listening.map(key).sort(), allowed.map(key).sort(), `exactly the allowlist: ${allowed.map((a) => `${key(a)} = ${a.why}`).join('; ') || 'nothing'}`);
  t.same(
    listening.filter((l) => l.pid !== d.child.pid).map(describe),
    [],
    'no child process (ffmpeg, aplay, …) listens on anything',
  );
}

t.test('the /proc reader sees what a process listens on: TCP and TCP6 in LISTEN, unconnected UDP, a unix listener; not a connected UDP client', async (t) => {
  const path = join(await tempDir(t), 'probe.sock');
  const tcp = createServer().listen(0, '127.0.0.1');
  const tcp6 = createServer().listen(0, '::1');
  const unix = createServer().listen(path);
  const udp = createSocket('udp4');
  udp.bind(0, '127.0.0.1');
  const client = createSocket('udp4');
  client.bind(0, '127.0.0.1');
  await Promise.all([once(tcp, 'listening'), once(tcp6, 'listening'), once(unix, 'listening'), once(udp, 'listening'), once(client, 'listening')]);
  client.connect(udp.address().port, '127.0.0.1');
  await once(client, 'connect');
  t.teardown(() => {
    for (const s of [tcp, tcp6, unix]) s.close();
    udp.close();
    client.close();
  });
  const mine = listenersOf(process.pid).map((l) => `${l.proto} ${l.address}:${l.port}`);
  t.ok(mine.includes(`tcp 127.0.0.1:${(tcp.address() as { port: number }).port}`), 'tcp');
  t.ok(mine.includes(`tcp6 0:0:0:0:0:0:0:1:${(tcp6.address() as { port: number }).port}`), 'tcp6');
  t.ok(mine.includes(`udp 127.0.0.1:${udp.address().port}`), 'bound UDP');
  t.ok(mine.includes(`unix ${path}:0`), 'unix listener');
  t.notOk(mine.includes(`udp 127.0.0.1:${client.address().port}`), 'a connected UDP socket is a client, not a listener');
});

t.test('provisioning, QR scanning before the hotspot opens: only the local API on loopback; the QR ffmpeg listens on nothing', async (t) => {
  const r = await provisioningRig(t);
  // The phone never shows its code (from 1000 s on): the camera stays in its QR window; the hotspot waits its default 3 min.
  const d = await r.start('unused', { showFromS: 1000, showToS: 1001 });
  await d.waitForLog('qr scanner started', 20_000);
  const api = await d.waitForLog('local API and console listening', 20_000);
  await waitForChild(d, 'ffmpeg');
  t.notOk(d.stdout().includes('hotspot open for provisioning'), 'the hotspot is not open yet');
  assertExactly(t, d, [{ proto: 'tcp', address: IPV4_LOOPBACK, port: portOf(api.url), why: 'local API, loopback while unbound' }]);
});

t.test('provisioning, hotspot open: only the provisioning server and the local API on loopback listen', async (t) => {
  const r = await provisioningRig(t);
  // AP mode at once, QR scanning off (as test/integration/provisioning/ap-provisioning.test.ts).
  const d = await r.start('unused', { config: { provisioning: { qr: { enabled: false } }, network: { ap: { startAfterMinutes: 0, port: 0 } } } });
  const hotspot = await d.waitForLog('hotspot open for provisioning', 20_000);
  const api = await d.waitForLog('local API and console listening', 20_000);
  assertExactly(t, d, [
    // /prov/v1 and the portal; a real camera: 192.168.4.1:80 on the hotspot interface, only while the hotspot is open.
    { proto: 'tcp', address: IPV4_LOOPBACK, port: portOf(hotspot.url), why: 'provisioning HTTP server (hotspot)' },
    // api.bind empty and not bound to an account: loopback only (bindHostFor), unreachable from the hotspot.
    { proto: 'tcp', address: IPV4_LOOPBACK, port: portOf(api.url), why: 'local API, loopback while unbound' },
  ]);
});

t.test('online and unbound: the local API on loopback and the LAN-bind server, nothing else', async (t) => {
  const r = await alarmRig(t);
  const d = r.start();
  await waitReady(r, d);
  const api = await d.waitForLog('local API and console listening', 10_000);
  const lan = await d.waitForLog('LAN bind open: the camera is online and unbound', 20_000);
  assertExactly(t, d, [
    // network.lanBind: /prov/v1 for the app to bind; a real camera: the LAN address (not 0.0.0.0), port 8080, only while online-unbound.
    { proto: 'tcp', address: IPV4_LOOPBACK, port: portOf(lan.url), why: 'LAN-bind server' },
    { proto: 'tcp', address: IPV4_LOOPBACK, port: portOf(api.url), why: 'local API, loopback while unbound' },
  ]);
});

t.test('bound and online with the local API enabled: only the local API, on every interface; ffmpeg listens on nothing', async (t) => {
  const r = await alarmRig(t);
  // Bound to an account, as a finished provisioning leaves it (src/lifecycle/device-lifecycle.ts reads this file at start).
  await mkdir(join(r.dir, 'data'), { recursive: true });
  await writeFile(join(r.dir, 'data', 'device-state.json'), JSON.stringify({ provisioned: true, bound: true }));
  const d = r.start();
  await waitReady(r, d);
  const api = await d.waitForLog('local API and console listening', 10_000);
  t.match(String(api.url), /^https:\/\/\[::\]:\d+$/, 'bound: the local API answers on the LAN (api.bind empty → ::)');
  const { processes } = listeners(d.child.pid!);
  t.ok(processes.some((p) => p.comm === 'ffmpeg'), 'the frame source (ffmpeg) runs as a child, so its sockets are in the listing');
  assertExactly(t, d, [
    // HTTPS with the device certificate (TLS ≥ 1.2), port api.port (8443 on a camera); no LAN bind, no hotspot once bound.
    { proto: 'tcp6', address: IPV6_ANY, port: portOf(api.url), why: 'local API, every interface once bound' },
  ]);
});

t.test('bound with api.enabled false: the agent listens on nothing at all', async (t) => {
  const r = await alarmRig(t, {}, { api: { enabled: false } });
  await mkdir(join(r.dir, 'data'), { recursive: true });
  await writeFile(join(r.dir, 'data', 'device-state.json'), JSON.stringify({ provisioned: true, bound: true }));
  const d = r.start();
  // Online with a learnt background: the local API would have started long before (it starts with the agent, before the link).
  await waitReady(r, d);
  t.notOk(d.stdout().includes('local API and console listening'), 'no local API');
  assertExactly(t, d, []);
});
