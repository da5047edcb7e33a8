/**
 * avahi as a real, independent mDNS client (test-rigs.md §4): an
 * avahi-daemon inside a test namespace, and avahi-browse / avahi-publish
 * talking to it. Debian packages: avahi-daemon, avahi-utils, dbus.
 *
 * What makes several of them run side by side (parallel test files, or the
 * suite started twice), where test-rigs.md found only one possible:
 * - each daemon has its own D-Bus "system" bus: a dbus-daemon listening on
 *   a socket path in a temporary directory, passed to avahi-daemon and the
 *   avahi tools as DBUS_SYSTEM_BUS_ADDRESS (a path, not an abstract
 *   socket: abstract sockets belong to a network namespace);
 * - avahi-daemon's compiled-in /run/avahi-daemon (pid file, socket) is a
 *   private tmpfs in a mount namespace of its own (`unshare --mount`);
 * - mDNS itself stays inside the namespace (the network safety rule).
 * Both daemons run inside the namespace, so TestNamespace.delete() kills
 * whatever a failed test left behind.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestNamespace } from './netns.js';

export interface AvahiDaemon {
  /** Environment for avahi tools: points them at this daemon's bus. */
  readonly env: NodeJS.ProcessEnv;
  /** Every line avahi-daemon logged (to stderr). */
  readonly log: string[];
  /**
   * The records avahi holds in its cache right now, one zone-file line each
   * (`cam100-x.local\tIN\tA 10.99.0.1 ; ttl=120`): what the phone believes,
   * whatever it chooses to show when resolving.
   */
  cache(timeoutMs?: number): Promise<string[]>;
  /** Streams `avahi-browse -rp TYPE`: new, resolved and removed services as they happen. */
  browse(type: string): AvahiBrowse;
  /** One `avahi-browse -rtp TYPE`: what avahi knows now, resolved. */
  browseOnce(type: string, timeoutMs?: number): Promise<BrowseEvent[]>;
  /** `avahi-publish -s NAME TYPE PORT TXT…`, resolved once avahi has established the name. */
  publish(name: string, type: string, port: number, txt?: string[]): Promise<{ stop(): Promise<void> }>;
  stop(): Promise<void>;
}

/** One avahi-browse -p line. */
export interface BrowseEvent {
  /** '+' new, '=' resolved, '-' removed. */
  event: '+' | '=' | '-';
  interface: string;
  protocol: string;
  /** Instance name, unescaped. */
  name: string;
  type: string;
  domain: string;
  /** '=' lines only. */
  host?: string;
  address?: string;
  port?: number;
  txt?: Record<string, string>;
}

export interface AvahiBrowse {
  readonly events: BrowseEvent[];
  /** Resolves with the first event from index `from` on (already seen or still to come) that matches. */
  waitFor(match: (e: BrowseEvent) => boolean, timeoutMs?: number, what?: string, from?: number): Promise<BrowseEvent>;
  stop(): Promise<void>;
}

const DBUS_CONFIG = (socket: string) => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

/** Only the test interface, IPv4 only, publishing nothing of its own but what avahi-publish asks for. */
const AVAHI_CONFIG = (iface: string, hostName: string) => `[server]
host-name=${hostName}
use-ipv4=yes
use-ipv6=no
allow-interfaces=${iface}
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-addresses=no
publish-hinfo=no
publish-workstation=no
publish-domain=no
[reflector]
enable-reflector=no
[rlimits]
`;

const AVAHI_SCRIPT = 'mkdir -p /run/avahi-daemon && mount -t tmpfs -o size=1m,mode=0755 avahi-test /run/avahi-daemon && exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits --no-proc-title';

/** Starts dbus-daemon and avahi-daemon inside `ns`, listening on `iface` only. */
export async function startAvahi(ns: TestNamespace, iface: string, timeoutMs = 10_000): Promise<AvahiDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'ca-avahi-'));
  const socket = join(dir, 'system_bus_socket');
  await writeFile(join(dir, 'bus.conf'), DBUS_CONFIG(socket));
  await writeFile(join(dir, 'avahi-daemon.conf'), AVAHI_CONFIG(iface, `phone-${process.pid}-${Date.now() % 100_000}`));
  const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${socket}` };
  const children: ChildProcess[] = [];
  const log: string[] = [];
  const logWaiters = new Set<() => void>();
  /** Resolves once `done()` holds, checked on every new avahi-daemon log line. */
  const logged = (done: () => boolean, waitMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const check = () => {
        if (!done()) return;
        logWaiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        logWaiters.delete(check);
        reject(new Error(`avahi-daemon logged no ${what} within ${waitMs} ms`));
      }, waitMs);
      logWaiters.add(check);
    });
  const stop = async () => {
    for (const child of children.reverse()) await kill(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const bus = ns.spawn('dbus-daemon', ['--config-file', join(dir, 'bus.conf'), '--nofork', '--print-address'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(bus);
    await waitForLine(bus, (l) => l.startsWith('unix:'), timeoutMs, 'dbus-daemon');
    const avahi = ns.spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', AVAHI_SCRIPT, 'sh', join(dir, 'avahi-daemon.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
    children.push(avahi);
    createInterface({ input: avahi.stderr! }).on('line', (l) => {
      log.push(l);
      for (const w of logWaiters) w();
    });
    await waitForLine(avahi, (l) => l.startsWith('Server startup complete'), timeoutMs, 'avahi-daemon');
  } catch (err) {
    await stop();
    throw err;
  }

  const daemon = children[1]!;
  return {
    env,
    log,
    async cache(waitMs = 5000) {
      // SIGUSR1 makes avahi-daemon dump its zone and cache to the log. A
      // second dump's first line marks the end of the first.
      const from = log.length;
      const marker = 'Got SIGUSR1, dumping record data.';
      const dumps = () => log.slice(from).filter((l) => l === marker).length;
      daemon.kill('SIGUSR1');
      await logged(() => dumps() >= 1, waitMs, 'a cache dump');
      daemon.kill('SIGUSR1');
      await logged(() => dumps() >= 2, waitMs, 'a second cache dump');
      const dump = log.slice(from);
      const first = dump.slice(0, dump.indexOf(marker, 1));
      const records: string[] = [];
      let inCache = false;
      for (const line of first) {
        if (line.startsWith(';;;')) inCache = line.includes('CACHE DUMP');
        else if (inCache && line.trim() !== '') records.push(line);
      }
      return records;
    },
    browse(type) {
      const child = ns.spawn('avahi-browse', ['-rp', type], { stdio: ['ignore', 'pipe', 'pipe'], env });
      children.push(child);
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
      const events: BrowseEvent[] = [];
      const waiters = new Set<{ match: (e: BrowseEvent) => boolean; resolve: (e: BrowseEvent) => void }>();
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const e = parseBrowseLine(line);
        if (!e) return;
        events.push(e);
        for (const w of waiters) {
          if (w.match(e)) {
            waiters.delete(w);
            w.resolve(e);
          }
        }
      });
      return {
        events,
        waitFor(match, waitMs = 10_000, what = 'a matching avahi-browse event', from = 0) {
          const seen = events.slice(from).find(match);
          if (seen) return Promise.resolve(seen);
          return new Promise((resolve, reject) => {
            const w = {
              match,
              resolve: (e: BrowseEvent) => {
                clearTimeout(timer);
                resolve(e);
              },
            };
            const timer = setTimeout(() => {
              waiters.delete(w);
              reject(new Error(`no ${what} within ${waitMs} ms; avahi-browse printed:\n${events.map((x) => JSON.stringify(x)).join('\n')}\n${stderr}`));
            }, waitMs);
            waiters.add(w);
          });
        },
        stop: () => kill(child),
      };
    },
    async browseOnce(type, waitMs = 10_000) {
      const r = await ns.exec('avahi-browse', ['-rtp', type], { env, timeoutMs: waitMs });
      return r.stdout.split('\n').map(parseBrowseLine).filter((e): e is BrowseEvent => e !== null);
    },
    async publish(name, type, port, txt = []) {
      const child = ns.spawn('avahi-publish', ['-s', name, type, String(port), ...txt], { stdio: ['ignore', 'pipe', 'pipe'], env });
      children.push(child);
      await waitForLine(child, (l) => l.startsWith('Established under name'), timeoutMs, `avahi-publish "${name}"`);
      return { stop: () => kill(child) };
    },
    stop,
  };
}

/**
 * `+;veth;IPv4;ACME\032CAM100;_camera-agent._tcp;local` and, for '=',
 * `;host;address;port;"k=v" "k=v"`. Names escape bytes as \DDD (decimal)
 * and '.', '\' as \. and \\.
 */
export function parseBrowseLine(line: string): BrowseEvent | null {
  const f = line.split(';');
  const event = f[0];
  if ((event !== '+' && event !== '=' && event !== '-') || f.length < 6) return null;
  const e: BrowseEvent = { event, interface: f[1]!, protocol: f[2]!, name: unescapeName(f[3]!), type: f[4]!, domain: f[5]! };
  if (event === '=' && f.length >= 10) {
    e.host = f[6]!;
    e.address = f[7]!;
    e.port = Number(f[8]);
    e.txt = parseTxt(f.slice(9).join(';'));
  }
  return e;
}

function unescapeName(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^\d{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(Number(s.slice(i + 1, i + 4)));
      i += 3;
    } else if (s[i] === '\\' && i + 1 < s.length) {
      bytes.push(...Buffer.from(s[++i]!));
    } else {
      bytes.push(...Buffer.from(s[i]!));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseTxt(field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of field.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    const entry = m[1]!.replace(/\\(.)/g, '$1');
    const eq = entry.indexOf('=');
    if (eq < 0) out[entry] = '';
    else out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/** Resolves on the first line (stdout or stderr) that matches; rejects if the child exits or time runs out first. */
function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const readers = [child.stdout, child.stderr].filter((s) => s !== null).map((input) => createInterface({ input }));
    const done = (err?: Error) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      for (const r of readers) r.off('line', onLine);
      if (err) reject(err);
      else resolve();
    };
    const onLine = (line: string) => {
      output += `${line}\n`;
      if (match(line)) done();
    };
    const onExit = (code: number | null) => done(new Error(`${what} exited (${code}) before it was ready:\n${output}`));
    const timer = setTimeout(() => done(new Error(`${what} not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    for (const r of readers) r.on('line', onLine);
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if it lingers; resolves once it has exited. */
function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
