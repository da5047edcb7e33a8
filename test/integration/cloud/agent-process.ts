import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import type { CloudConfig } from '../../../src/cloud/cloud-config.js';

const CHILD = fileURLToPath(new URL('./outage-child.ts', import.meta.url));

export interface AgentSpec {
  deviceId: string;
  config: CloudConfig;
  tls: { ca: string; cert: string; key: string };
  outboxDir: string;
}

/** One "agent" (outage-child.ts) in its own process; lines from its stdout can be awaited. */
export class AgentProcess {
  readonly ids: string[] = [];
  readonly lines: string[] = [];
  #child: ChildProcess;
  #stderr = '';
  #waiters = new Set<() => void>();
  #buf = '';

  constructor(t: Test, spec: AgentSpec) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    this.#child.stdout!.on('data', (d: Buffer) => {
      this.#buf += d.toString();
      const parts = this.#buf.split('\n');
      this.#buf = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        if (line.startsWith('ID ')) this.ids.push(line.slice(3));
      }
      for (const w of [...this.#waiters]) w();
    });
    this.#child.once('exit', () => [...this.#waiters].forEach((w) => w()));
    t.teardown(() => void this.#child.kill('SIGKILL'));
  }

  /** The first line matching `re` (from the start of the output), waiting up to timeoutMs. */
  waitLine(re: RegExp, timeoutMs = 20_000, from = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.slice(from).find((l) => re.test(l));
        if (hit !== undefined) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        } else if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`agent exited before ${re}: ${this.#stderr.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no line ${re} within ${timeoutMs} ms; stderr: ${this.#stderr.slice(-2000)}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  send(cmd: string): void {
    this.#child.stdin!.write(`${cmd}\n`);
  }

  /** Ask for the outbox figures. */
  async stats(): Promise<{ pending: number; dropped: number }> {
    const from = this.lines.length;
    this.send('stats');
    const line = await this.waitLine(/^STATS /, 10_000, from);
    const [, pending, dropped] = line.split(' ');
    return { pending: Number(pending), dropped: Number(dropped) };
  }

  async produce(n: number, timeoutMs = 30_000): Promise<string[]> {
    const from = this.lines.length;
    const before = this.ids.length;
    this.send(`produce ${n}`);
    await this.waitLine(/^PRODUCED /, timeoutMs, from);
    return this.ids.slice(before);
  }

  /** A clean stop: `stopped` status if connected, outbox flushed and closed, exit 0. */
  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.send('stop');
    await this.waitLine(/^STOPPED$/, 15_000);
    await exited;
  }

  async kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGKILL');
    await exited;
  }
}
