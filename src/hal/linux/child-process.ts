import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/**
 * The one place the linux HAL starts programs (aplay, gpiomon). Always an
 * argv array, never a shell, so no configured value can inject commands.
 */

export interface ProgramExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawnError: NodeJS.ErrnoException | null;
  /** Last lines of stderr, for the log; programs here never print secrets. */
  stderrTail: string;
}

export interface RunningProgram {
  readonly pid: number | undefined;
  /**
   * The program's stdin when started with `stdin: true`, else null. Node
   * gives children a socketpair, not a pipe: the kernel takes several
   * seconds of 16 kHz audio before write() reports back-pressure. Write
   * errors (EPIPE after the program died) are swallowed here; `exited` tells.
   */
  readonly stdin: Writable | null;
  readonly exited: Promise<ProgramExit>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is reaped. */
  stop(graceMs?: number): Promise<ProgramExit>;
}

const STDERR_TAIL_CHARS = 2000;

export function startProgram(
  command: string,
  args: readonly string[],
  options: { onStdout?: (chunk: Buffer) => void; env?: NodeJS.ProcessEnv; stdin?: boolean } = {},
): RunningProgram {
  const child = spawn(command, args, {
    stdio: [options.stdin ? 'pipe' : 'ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe'],
    env: options.env ?? process.env,
    shell: false,
  });
  let stderr = '';
  let spawnError: NodeJS.ErrnoException | null = null;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    stderr = (stderr + s).slice(-STDERR_TAIL_CHARS);
  });
  if (options.onStdout) child.stdout?.on('data', options.onStdout);
  // Without a listener an EPIPE from a dead reader would crash the agent.
  child.stdin?.on('error', () => undefined);

  const exited = new Promise<ProgramExit>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      // A failed spawn emits 'error' and no 'exit'; 'close' follows in current Node, but don't rely on it.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError, stderrTail: stderr.trim() });
    });
    // 'close' (not 'exit') so stdout has been fully delivered before we report the end.
    child.on('close', (code, signal) => resolve({ code, signal, spawnError, stderrTail: stderr.trim() }));
  });

  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
    pid: child.pid,
    stdin: child.stdin ?? null,
    exited,
    async stop(graceMs = 2000): Promise<ProgramExit> {
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

/**
 * Waits for a program that should end by itself within `ms` (an audio clip,
 * a recording); past that plus a slack it is stopped, so a wedged sound
 * driver cannot hang its caller.
 */
export async function awaitWithDeadline(
  program: RunningProgram,
  clock: { setTimeout(fn: () => void, ms: number): { cancel(): void } },
  ms: number,
  slackMs = 5_000,
): Promise<{ exit: ProgramExit; timedOut: boolean }> {
  let timedOut = false;
  const watchdog = clock.setTimeout(() => {
    timedOut = true;
    void program.stop(500);
  }, ms + slackMs);
  try {
    const exit = await program.exited;
    return { exit, timedOut };
  } finally {
    watchdog.cancel();
  }
}
