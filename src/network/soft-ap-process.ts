/**
 * How the soft-AP backends run programs: one-shot tools (`ip`, `iw`) with
 * execFile, long-running daemons (hostapd, dnsmasq) with spawn and a line
 * reader. Always an argv array and never a shell, so no SSID, passphrase
 * or configured name can turn into a command (provisioning.md §2.5, the
 * Aqara lesson). The programs come from the PATH of the environment given.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Clock } from '../core/clock.js';

export interface ToolResult {
  /** null when the program could not be started or was killed. */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** ENOENT: not installed (or not on PATH). */
  missing: boolean;
  timedOut: boolean;
}

const TOOL_OUTPUT_BYTES = 256 * 1024;

/** Runs a short command to completion; never rejects. */
export function runTool(command: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: opts.env, timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: TOOL_OUTPUT_BYTES, encoding: 'utf8', shell: false },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ exitCode: 0, stdout, stderr, missing: false, timedOut: false });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
        resolve({
          exitCode: typeof e.code === 'number' ? e.code : null,
          stdout: stdout ?? '',
          stderr: stderr ?? '',
          missing: e.code === 'ENOENT',
          timedOut: Boolean(e.killed || e.signal),
        });
      },
    );
  });
}

/** The first non-empty stderr line (or stdout's), trimmed and bounded, for a result message. */
export function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim() !== '') ?? '').trim().slice(0, 300);
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** ENOENT/EACCES when the program could not be started. */
  spawnError: NodeJS.ErrnoException | null;
  /** The last output lines, for the log and the failure message. */
  tail: string[];
}

export type ReadyOutcome = { ready: true } | { ready: false; exit: DaemonExit | null; timedOut: boolean };

export interface Daemon {
  readonly pid: number | undefined;
  readonly exited: Promise<DaemonExit>;
  /** Resolves when a line matches `ready`, or with the exit / a timeout before that. */
  waitReady(clock: Clock, timeoutMs: number): Promise<ReadyOutcome>;
  /** SIGTERM, SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<DaemonExit>;
}

const TAIL_LINES = 12;

/**
 * Starts a long-running program and reads its stdout and stderr line by
 * line. `onLine` sees every line (the caller parses events from it);
 * `ready` says which line means "serving".
 */
export function startDaemon(
  command: string,
  args: readonly string[],
  opts: { env: NodeJS.ProcessEnv; ready: RegExp; onLine?: (line: string) => void },
): Daemon {
  const child = spawn(command, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  const tail: string[] = [];
  let isReady = false;
  const readyWaiters = new Set<() => void>();
  let spawnError: NodeJS.ErrnoException | null = null;

  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    if (!isReady && opts.ready.test(line)) {
      isReady = true;
      for (const w of readyWaiters) w();
    }
    opts.onLine?.(line);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);

  let done = false;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (child.pid === undefined) {
        done = true;
        resolve({ code: null, signal: null, spawnError, tail: [...tail] });
      }
    });
    // 'close': both pipes have delivered their last line.
    child.on('close', (code, signal) => {
      done = true;
      resolve({ code, signal, spawnError, tail: [...tail] });
    });
  });

  return {
    pid: child.pid,
    exited,
    waitReady(clock, timeoutMs) {
      if (isReady) return Promise.resolve({ ready: true });
      return new Promise<ReadyOutcome>((resolve) => {
        const finish = (outcome: ReadyOutcome) => {
          timer.cancel();
          readyWaiters.delete(onReady);
          resolve(outcome);
        };
        const onReady = () => finish({ ready: true });
        const timer = clock.setTimeout(() => finish({ ready: false, exit: null, timedOut: true }), timeoutMs);
        readyWaiters.add(onReady);
        void exited.then((exit) => {
          // A program may print its ready line and exit at once; ready wins only if it came first.
          if (!isReady) finish({ ready: false, exit, timedOut: false });
        });
      });
    },
    async stop(graceMs = 3000) {
      if (done) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
