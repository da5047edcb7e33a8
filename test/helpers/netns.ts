/**
 * Network namespaces for tests that multicast (WS-Discovery, mDNS). The
 * network safety rule (test-rigs.md): no multicast from the root namespace,
 * whose eth0 has a default route, so such tests run their processes inside
 * a namespace made here and always deleted afterwards.
 *
 * - `loopbackNamespace()`: only `lo`, with MULTICAST on and a
 *   224.0.0.0/4 route. lo has no MULTICAST flag by default, and node-onvif
 *   does not set IP_MULTICAST_IF: without the route its sends fail with
 *   ENETUNREACH, which it swallows (startProbe() then simply finds nothing).
 * - `vethPair()`: "cam" (10.99.0.1) and "phone" (10.99.0.2) joined by a veth
 *   pair, each with the multicast route on its veth end and no default route.
 */
import { spawn, execFile, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
let counter = 0;

export interface TestNamespace {
  readonly name: string;
  /** Starts `command` inside the namespace (`ip netns exec`); the returned child is the command itself. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs `command` inside the namespace to completion. Never rejects on a non-zero exit. */
  exec(command: string, args: string[], options?: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv }): Promise<ExecResult>;
  /** Kills what still runs inside and deletes the namespace. Idempotent. */
  delete(): Promise<void>;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface VethPair {
  cam: TestNamespace;
  phone: TestNamespace;
  camAddress: string;
  phoneAddress: string;
  delete(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}

function uniqueName(role: string): string {
  counter += 1;
  return `ca-${role}-${process.pid}-${counter}`;
}

async function createNamespace(name: string): Promise<TestNamespace> {
  await ip('netns', 'add', name);
  let deleted = false;
  const ns: TestNamespace = {
    name,
    spawn(command, args, options = {}) {
      return spawn('ip', ['netns', 'exec', name, command, ...args], options);
    },
    exec(command, args, options = {}) {
      return new Promise((resolve) => {
        const child = spawn('ip', ['netns', 'exec', name, command, ...args], { env: options.env ?? process.env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => void (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
        // A command that never reads stdin (ip addr add) may exit before the write lands: EPIPE then is
        // no error of the command, whose exit code `close` reports; unhandled it was an uncaught exception.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input ?? '');
      });
    },
    async delete() {
      if (deleted) return;
      deleted = true;
      // A process left inside would keep the namespace (and its sockets) alive.
      const { stdout } = await run('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }));
      for (const pid of stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await ip('netns', 'del', name).catch(() => undefined);
    },
  };
  return ns;
}

/** A namespace with only loopback, multicast-capable. */
export async function loopbackNamespace(): Promise<TestNamespace> {
  const ns = await createNamespace(uniqueName('lo'));
  try {
    await ip('-n', ns.name, 'link', 'set', 'lo', 'up');
    await ip('-n', ns.name, 'link', 'set', 'lo', 'multicast', 'on');
    await ip('-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo');
  } catch (err) {
    await ns.delete();
    throw err;
  }
  return ns;
}

/** Two namespaces joined by a veth pair, like a camera and a phone on one LAN. */
export async function vethPair(): Promise<VethPair> {
  const cam = await createNamespace(uniqueName('cam'));
  const phone = await createNamespace(uniqueName('ph'));
  const pair: VethPair = {
    cam,
    phone,
    camAddress: '10.99.0.1',
    phoneAddress: '10.99.0.2',
    async delete() {
      // Deleting a namespace destroys its veth end, and with it the pair.
      await cam.delete();
      await phone.delete();
    },
  };
  // Interface names are limited to 15 characters.
  const tag = `${process.pid % 100_000}${counter}`;
  const camIf = `vc${tag}`.slice(0, 15);
  const phoneIf = `vp${tag}`.slice(0, 15);
  try {
    await ip('link', 'add', camIf, 'netns', cam.name, 'type', 'veth', 'peer', 'name', phoneIf, 'netns', phone.name);
    for (const [ns, dev, addr] of [
      [cam, camIf, pair.camAddress],
      [phone, phoneIf, pair.phoneAddress],
    ] as const) {
      await ip('-n', ns.name, 'link', 'set', 'lo', 'up');
      await ip('-n', ns.name, 'addr', 'add', `${addr}/24`, 'dev', dev);
      await ip('-n', ns.name, 'link', 'set', dev, 'up');
      await ip('-n', ns.name, 'route', 'add', '224.0.0.0/4', 'dev', dev);
    }
  } catch (err) {
    await pair.delete();
    throw err;
  }
  return pair;
}

/** The name of the interface in `ns` that holds `address` (e.g. a vethPair end). */
export async function interfaceWithAddress(ns: TestNamespace, address: string): Promise<string> {
  const { stdout } = await run('ip', ['-n', ns.name, '-o', '-4', 'addr', 'show']);
  for (const line of stdout.split('\n')) {
    // "3: vc12341@if2    inet 10.99.0.1/24 scope global vc12341\ ..."
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+inet\s+([\d.]+)\//.exec(line);
    if (m && m[2] === address) return m[1]!;
  }
  throw new Error(`no interface in ${ns.name} holds ${address}`);
}

/**
 * An extra interface inside `ns` with `cidr` on it, standing in for a
 * second network the host is on (a camera's soft-AP). It is one end of a
 * veth pair whose other end stays in the same namespace, because `dummy`
 * needs a kernel module the test machines may not have. Goes away with
 * the namespace.
 */
export async function addStubInterface(ns: TestNamespace, name: string, cidr: string): Promise<void> {
  const peer = `${name}p`.slice(0, 15);
  await ip('-n', ns.name, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer);
  await ip('-n', ns.name, 'addr', 'add', cidr, 'dev', name);
  await ip('-n', ns.name, 'link', 'set', name, 'up');
  await ip('-n', ns.name, 'link', 'set', peer, 'up');
}
