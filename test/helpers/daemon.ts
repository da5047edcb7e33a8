import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * CAMERA_AGENT_TEST_BIN: run a frozen copy of the compiled agent instead (long fault runs use one so a
 * concurrent `npm run build`, which empties dist/ first, cannot pull chunks from under a starting agent).
 */
export const BIN = process.env.CAMERA_AGENT_TEST_BIN ?? join(ROOT, 'bin/camera-agent.js');

/** Integration tests run the compiled agent, as systemd would; refuse a stale build. */
export function assertBuilt(): void {
  // A frozen copy (CAMERA_AGENT_TEST_BIN) is checked by whoever made it, not against this tree's dist/.
  if (process.env.CAMERA_AGENT_TEST_BIN) return;
  const built = statSync(join(ROOT, 'dist/camera-agent.mjs'), { throwIfNoEntry: false });
  if (!built) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const newest = newestMtime(join(ROOT, 'src'));
  // CAMERA_AGENT_SKIP_BUILD_CHECK=1: for a developer editing src/ while an earlier build is under test.
  if (process.env.CAMERA_AGENT_SKIP_BUILD_CHECK !== '1' && newest > built.mtimeMs + 1000) throw new Error('dist/ is older than src/: run `npm run build` (npm test does)');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export interface Daemon {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when a stdout JSON line with this msg appears. */
  waitForLog(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves once `msg` has been logged at least `count` times (counting from the daemon's start). */
  waitForLogCount(msg: string, count: number, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface DaemonOptions {
  /** How to start the process (default node:child_process spawn); e.g. a network namespace's spawn to run the agent inside it. */
  spawn?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
}

export function startDaemon(t: Test, args: string[], env: Record<string, string> = {}, options: DaemonOptions = {}): Daemon {
  assertBuilt();
  const child = (options.spawn ?? spawn)(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
  });
  let out = '';
  let err = '';
  const listeners: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      listeners.forEach((l) => l());
    }),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitForLogCount(msg, count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      const seen = () => out.split('\n').filter((l) => l.startsWith('{') && (JSON.parse(l) as { msg?: unknown }).msg === msg).length;
      while (seen() < count) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`daemon exited after ${seen()} of ${count} "${msg}": ${err}`);
        if (Date.now() > deadline) throw new Error(`only ${seen()} of ${count} "${msg}" within ${timeoutMs} ms`);
        await new Promise((res) => setTimeout(res, 50));
      }
    },
    waitForLog(msg, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of out.split('\n')) {
            if (!line.startsWith('{')) continue;
            const rec = JSON.parse(line) as Record<string, unknown>;
            if (typeof rec.msg === 'string' && (typeof msg === 'string' ? rec.msg === msg : msg.test(rec.msg))) {
              cleanup();
              resolve(rec);
              return;
            }
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`daemon exited before logging ${String(msg)}: ${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no log ${String(msg)} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          const i = listeners.indexOf(check);
          if (i >= 0) listeners.splice(i, 1);
        };
        listeners.push(check);
        check();
      });
    },
  };
}

/** The children of a process, from /proc (to prove nothing is left behind). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
