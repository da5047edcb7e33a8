/**
 * The one place the agent runs the platform's updater (RAUC, SWUpdate,
 * mender-update or an A/B script): `ota.installer.command` to write the
 * image into the inactive slot, `ota.installer.markGoodCommand` to confirm
 * the running slot after a healthy boot (docs/security.md §3.2). The agent
 * never writes partitions itself.
 *
 * Templates are split on spaces into an argv array and spawned without a
 * shell, so nothing in a template or in the image path is ever interpreted:
 * `;`, `$(…)`, backticks and quotes are literal arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';

export type InstallerErrorCode = 'installer_missing' | 'installer_failed' | 'installer_timeout';

export type InstallerResult =
  | { ok: true }
  | { ok: false; code: InstallerErrorCode; message: string; exitCode: number | null; tail: string[] };

export type MarkGoodResult =
  | { ok: true }
  | { ok: false; code: 'mark_good_failed'; message: string; exitCode: number | null; tail: string[] };

/** The placeholder a template's argument may hold (whole or inside, e.g. `--bundle={image}`). */
export const IMAGE_TOKEN = '{image}';

/** Lines of output kept for the error report (AWS's device client keeps the last 1 024 chars; lines read better). */
export const TAIL_LINES = 20;

/** SIGTERM first so RAUC can release its D-Bus install; SIGKILL when it has not ended after this. */
export const KILL_GRACE_MS = 5_000;

/** A line longer than this is cut: a progress bar without newlines must not grow memory. */
const MAX_LINE_CHARS = 1_000;

/** After the program exited, how long its output pipes may stay open (a stray grandchild holding them). */
const DRAIN_MS = 1_000;

/**
 * Splits a command template on spaces into argv. Pure. Null when there is
 * no program, an argument holds a NUL (which no argv can carry), or the
 * program itself is `{image}` — the downloaded file must never be what runs.
 */
export function parseArgvTemplate(template: string): string[] | null {
  const argv = template.split(' ').filter((a) => a !== '');
  if (argv.length === 0) return null;
  if (argv.some((a) => a.includes('\0'))) return null;
  if (argv[0]!.includes(IMAGE_TOKEN)) return null;
  return argv;
}

/** Replaces every `{image}` in every argument with the path, literally (no `$&`-style replacement patterns). */
export function substituteImage(argv: readonly string[], image: string): string[] {
  return argv.map((a) => a.split(IMAGE_TOKEN).join(image));
}

/** The first `NN%` in a progress line (RAUC: "installing: 20% Checking bundle"), when 0–100. */
export function parsePercent(line: string): number | null {
  const m = /(?<![\d.])(\d{1,3})%/.exec(line);
  if (!m) return null;
  const n = Number(m[1]);
  return n <= 100 ? n : null;
}

export interface InstallerOptions {
  /** `ota.installer.command`, e.g. `rauc install {image}`. */
  argvTemplate: string;
  /** Path of the verified image. */
  image: string;
  /** `ota.installer.timeoutS` × 1000. */
  timeoutMs: number;
  logger: Logger;
  clock: Clock;
  /** Every line the installer prints (stdout and stderr, in arrival order). */
  onOutput?: (line: string) => void;
  /** Progress parsed from a line's `NN%`. */
  onPercent?: (percent: number, line: string) => void;
  /** SIGTERM → SIGKILL grace; 5 s unless a test shortens it. */
  killGraceMs?: number;
  /**
   * Aborting (the agent is stopping) kills the installer like a timeout does and
   * resolves installer_failed "stopped"; an A/B install only ever wrote the inactive slot.
   */
  signal?: AbortSignal;
}

/** Runs the installer on the image; resolves (never rejects) with ok or a coded error and the output's last lines. */
export async function runInstaller(opts: InstallerOptions): Promise<InstallerResult> {
  const template = parseArgvTemplate(opts.argvTemplate);
  if (!template) {
    return { ok: false, code: 'installer_missing', message: 'ota.installer.command names no program', exitCode: null, tail: [] };
  }
  const argv = substituteImage(template, opts.image);
  const logger = opts.logger.child({ installer: argv[0] });
  logger.info({ argv }, 'installer started');
  const outcome = await runProgram(argv, {
    timeoutMs: opts.timeoutMs,
    killGraceMs: opts.killGraceMs ?? KILL_GRACE_MS,
    clock: opts.clock,
    signal: opts.signal,
    onLine: (line) => {
      opts.onOutput?.(line);
      const percent = opts.onPercent ? parsePercent(line) : null;
      if (percent !== null) opts.onPercent!(percent, line);
    },
  });
  return report(outcome, logger, 'installer', {
    missing: 'installer_missing',
    failed: 'installer_failed',
    timeout: 'installer_timeout',
  });
}

/** `argvTemplate` is `ota.installer.markGoodCommand`, e.g. `rauc status mark-good`; no image, no progress. */
export type MarkGoodOptions = Omit<InstallerOptions, 'image' | 'onOutput' | 'onPercent'>;

/** Marks the running slot good; any failure (missing, non-zero exit, timeout) is mark_good_failed with the reason in message. */
export async function runMarkGood(opts: MarkGoodOptions): Promise<MarkGoodResult> {
  const argv = parseArgvTemplate(opts.argvTemplate);
  if (!argv) {
    return { ok: false, code: 'mark_good_failed', message: 'ota.installer.markGoodCommand names no program', exitCode: null, tail: [] };
  }
  const logger = opts.logger.child({ markGood: argv[0] });
  logger.info({ argv }, 'mark-good started');
  const outcome = await runProgram(argv, {
    timeoutMs: opts.timeoutMs,
    killGraceMs: opts.killGraceMs ?? KILL_GRACE_MS,
    clock: opts.clock,
    signal: opts.signal,
    onLine: () => undefined,
  });
  return report(outcome, logger, 'mark-good', {
    missing: 'mark_good_failed',
    failed: 'mark_good_failed',
    timeout: 'mark_good_failed',
  });
}

type Outcome =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; tail: string[]; ms: number }
  | { kind: 'spawn_error'; error: NodeJS.ErrnoException; tail: string[]; ms: number }
  | { kind: 'timeout' | 'aborted'; code: number | null; signal: NodeJS.Signals | null; tail: string[]; ms: number };

function report<C extends string>(
  outcome: Outcome,
  logger: Logger,
  what: string,
  codes: { missing: C; failed: C; timeout: C },
): { ok: true } | { ok: false; code: C; message: string; exitCode: number | null; tail: string[] } {
  const { tail, ms } = outcome;
  if (outcome.kind === 'spawn_error') {
    const message = `${what} could not be started: ${outcome.error.code ?? outcome.error.message}`;
    logger.error({ err: outcome.error, ms }, message);
    return { ok: false, code: codes.missing, message, exitCode: null, tail };
  }
  if (outcome.kind === 'aborted') {
    const message = `${what} was stopped (the agent is stopping)`;
    logger.warn({ ms, exitCode: outcome.code, signal: outcome.signal }, message);
    return { ok: false, code: codes.failed, message, exitCode: outcome.code, tail };
  }
  if (outcome.kind === 'timeout') {
    const message = `${what} did not finish in time and was killed`;
    logger.error({ ms, exitCode: outcome.code, signal: outcome.signal, tail }, message);
    return { ok: false, code: codes.timeout, message, exitCode: outcome.code, tail };
  }
  if (outcome.code === 0) {
    logger.info({ ms }, `${what} succeeded`);
    return { ok: true };
  }
  const message = outcome.signal ? `${what} was killed by ${outcome.signal}` : `${what} exited with code ${outcome.code}`;
  logger.error({ ms, exitCode: outcome.code, signal: outcome.signal, tail }, message);
  return { ok: false, code: codes.failed, message, exitCode: outcome.code, tail };
}

/**
 * Spawns argv (no shell) in its own process group, so a timeout kills the
 * whole tree: a script's `sleep` or a helper it started would otherwise keep
 * the output pipes open after the script itself died.
 */
function runProgram(
  argv: string[],
  opts: { timeoutMs: number; killGraceMs: number; clock: Clock; signal?: AbortSignal | undefined; onLine: (line: string) => void },
): Promise<Outcome> {
  const started = opts.clock.monotonic();
  const tail: string[] = [];
  const line = (text: string) => {
    const l = text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text;
    tail.push(l);
    if (tail.length > TAIL_LINES) tail.shift();
    try {
      opts.onLine(l);
    } catch {
      // A listener's bug must not leave the installer unsupervised.
    }
  };

  return new Promise<Outcome>((resolve) => {
    if (opts.signal?.aborted) {
      resolve({ kind: 'aborted', code: null, signal: null, tail, ms: 0 });
      return;
    }
    let child: ChildProcess;
    try {
      child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
    } catch (err) {
      // Synchronous throws: invalid arguments (already excluded by the parser) or EMFILE-like conditions.
      resolve({ kind: 'spawn_error', error: err as NodeJS.ErrnoException, tail, ms: 0 });
      return;
    }
    const timers: Timer[] = [];
    const splitters = [lineSplitter(line), lineSplitter(line)];
    child.stdout!.setEncoding('utf8').on('data', (s: string) => splitters[0]!.push(s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => splitters[1]!.push(s));

    let ended: 'timeout' | 'aborted' | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      for (const t of timers) t.cancel();
      // Whatever of a killed tree is left (a grandchild that ignored SIGTERM) goes now, not after the grace period.
      if (ended) killGroup(child, 'SIGKILL');
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout!.destroy();
      child.stderr!.destroy();
      resolve(o);
    };
    const ms = () => Math.round(opts.clock.monotonic() - started);
    const settle = () => {
      for (const s of splitters) s.flush();
      const e = exit ?? { code: null, signal: null };
      finish({ kind: ended ?? 'exited', code: e.code, signal: e.signal, tail, ms: ms() });
    };

    child.on('error', (err: NodeJS.ErrnoException) => {
      // ENOENT/EACCES: 'error' without 'exit'. An error from kill() after exit is harmless.
      if (child.pid === undefined) finish({ kind: 'spawn_error', error: err, tail, ms: ms() });
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // 'close' normally follows at once; don't wait forever for pipes a stray grandchild holds.
      timers.push(opts.clock.setTimeout(settle, DRAIN_MS));
    });
    child.on('close', settle);

    const end = (why: 'timeout' | 'aborted') => {
      if (exit || ended) return;
      ended = why;
      killGroup(child, 'SIGTERM');
      timers.push(opts.clock.setTimeout(() => killGroup(child, 'SIGKILL'), opts.killGraceMs));
    };
    function onAbort(): void {
      end('aborted');
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    timers.push(opts.clock.setTimeout(() => end('timeout'), opts.timeoutMs));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already (ESRCH): nothing left to kill.
    child.kill(signal);
  }
}

/** Cuts a stream into lines at \n or \r (progress bars redraw with \r); empty lines are dropped. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; flush(): void } {
  let partial = '';
  const emit = (l: string) => {
    const trimmed = l.trimEnd();
    if (trimmed !== '') onLine(trimmed);
  };
  return {
    push(chunk) {
      const parts = (partial + chunk).split(/\r\n|\r|\n/);
      partial = parts.pop()!;
      for (const p of parts) emit(p);
      // An endless line is emitted in pieces rather than buffered.
      if (partial.length > MAX_LINE_CHARS) {
        emit(partial);
        partial = '';
      }
    },
    flush() {
      emit(partial);
      partial = '';
    },
  };
}
