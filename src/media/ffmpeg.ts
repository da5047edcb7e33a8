/**
 * The one place that runs ffmpeg. Everything else asks for gray frames
 * through `SpawnGrayFrames` and never sees a process, a command line or
 * fluent-ffmpeg.
 *
 * fluent-ffmpeg is archived upstream (fluent-ffmpeg/node-fluent-ffmpeg#1324),
 * so it stays behind this adapter: replacing it with a plain
 * child_process.spawn of `toArgv(args)` touches this file only. It is given
 * an argv array; no shell string is ever built, so a URL cannot inject
 * commands.
 *
 * Every string that leaves this module (command line, stderr lines, error
 * messages, log fields) is passed through maskUrlCredentials() first.
 */
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { createRequire } from 'node:module';
import type FfmpegCommandFactory from 'fluent-ffmpeg';
import type { Logger } from '../log/logger.js';
import { buildGrayFrameArgs, buildJpegGrabArgs, toArgv, type GrayFrameSpec } from './ffmpeg-args.js';
import { MediaError } from './media-error.js';
import { credentialSecrets, maskUrlCredentials } from '../log/url-mask.js';

export interface FfmpegExit {
  /** Exit code, or null when ffmpeg was killed by a signal or never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why it ended; null only for a clean exit (code 0, e.g. end of a non-looped file). */
  error: MediaError | null;
  /** The last stderr lines, credentials masked, oldest first. */
  stderrTail: string[];
}

/** One ffmpeg run producing raw gray frames on its stdout. */
export interface FfmpegProcess {
  /** The command line, credentials masked: for logs and diagnostics only. */
  readonly commandLine: string;
  /** Resolves once, when the process is gone (reaped) or failed to start. Never rejects. */
  readonly exited: Promise<FfmpegExit>;
  /** The OS pid once spawned (spawning is asynchronous), else undefined. */
  pid(): number | undefined;
  /** Raw stdout bytes, in chunks of arbitrary size. */
  onData(listener: (chunk: Uint8Array) => void): void;
  /** Sends a signal; one requested before the process exists is delivered as soon as it does. */
  kill(signal: NodeJS.Signals): void;
}

export type SpawnGrayFrames = (spec: GrayFrameSpec) => FfmpegProcess;

export interface FfmpegAdapterOptions {
  logger: Logger;
  /**
   * Path to the ffmpeg binary; default: FFMPEG_PATH or PATH lookup. Note that
   * fluent-ffmpeg keeps this in a process-wide cache.
   */
  ffmpegPath?: string;
  /** How many stderr lines to keep for the exit report. */
  stderrTailLines?: number;
}

/** fluent-ffmpeg sets this before emitting 'start'; it is not in its typings. */
interface FluentInternals {
  ffmpegProc?: ChildProcess;
}

/**
 * fluent-ffmpeg is loaded on first use: a camera whose agent has no
 * analysis stream configured does not pay its ~9 MB of RSS.
 */
let fluent: typeof FfmpegCommandFactory | null = null;
function loadFluent(): typeof FfmpegCommandFactory {
  fluent ??= createRequire(import.meta.url)('fluent-ffmpeg') as typeof FfmpegCommandFactory;
  return fluent;
}

export function createGrayFrameSpawner(opts: FfmpegAdapterOptions): SpawnGrayFrames {
  return (spec) => spawnGrayFrames(spec, opts);
}

export function spawnGrayFrames(spec: GrayFrameSpec, opts: FfmpegAdapterOptions): FfmpegProcess {
  const { logger } = opts;
  const tailLines = opts.stderrTailLines ?? 20;
  const secrets = credentialSecrets(spec.input);
  const mask = (text: string): string => maskUrlCredentials(text, secrets);

  const args = buildGrayFrameArgs(spec);
  const commandLine = mask(['ffmpeg', ...toArgv(args)].join(' '));
  const stderrTail: string[] = [];
  const out = new PassThrough();
  const dataListeners: Array<(chunk: Uint8Array) => void> = [];
  let child: ChildProcess | undefined;
  let pendingSignal: NodeJS.Signals | null = null;
  let finished = false;
  let resolveExited: (exit: FfmpegExit) => void = () => undefined;
  const exited = new Promise<FfmpegExit>((resolve) => {
    resolveExited = resolve;
  });

  const command = loadFluent()();
  if (opts.ffmpegPath !== undefined) command.setFfmpegPath(opts.ffmpegPath);
  // Spread, not one array: fluent-ffmpeg splits an array element containing
  // exactly one space into two arguments, but not separate arguments.
  command.input(args.input).inputOptions(...args.inputOptions).outputOptions(...args.outputOptions);

  command.on('start', () => {
    child = (command as unknown as FluentInternals).ffmpegProc;
    if (child?.pid === undefined) return; // spawn failed; 'error' follows
    logger.info({ ffmpegPid: child.pid, command: commandLine }, 'ffmpeg started');
    if (pendingSignal !== null) child.kill(pendingSignal);
  });

  command.on('stderr', (line: string) => {
    const masked = mask(line);
    stderrTail.push(masked);
    if (stderrTail.length > tailLines) stderrTail.shift();
    logger.debug({ ffmpegPid: child?.pid, line: masked }, 'ffmpeg stderr');
  });

  const finish = (err: Error | null): void => {
    if (finished) return;
    finished = true;
    // Read the child's own fields, not the message: fluent-ffmpeg may report
    // before our own 'exit' listener would have run, and its message embeds
    // unmasked stderr.
    const started = child?.pid !== undefined;
    const code = started ? (child?.exitCode ?? null) : null;
    const signal = started ? (child?.signalCode ?? null) : null;
    const exit: FfmpegExit = {
      code,
      signal,
      error: describeFailure(started, code, signal, err, stderrTail, mask),
      stderrTail: [...stderrTail],
    };
    logger.info(
      { ffmpegPid: child?.pid, code, signal, reason: exit.error?.message ?? 'clean exit' },
      'ffmpeg ended',
    );
    resolveExited(exit);
  };
  command.on('error', (err: Error) => finish(err));
  command.on('end', () => finish(null));

  out.on('data', (chunk: Buffer) => {
    for (const listener of dataListeners) listener(chunk);
  });
  command.pipe(out, { end: true });

  return {
    commandLine,
    exited,
    pid: () => child?.pid,
    onData: (listener) => {
      dataListeners.push(listener);
    },
    kill: (signal) => {
      if (finished) return;
      if (child === undefined) {
        // fluent-ffmpeg spawns after async capability checks; remember the
        // request so a stop() during that window cannot leave ffmpeg running.
        pendingSignal = signal;
        return;
      }
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
      }
    },
  };
}

function describeFailure(
  started: boolean,
  code: number | null,
  signal: NodeJS.Signals | null,
  err: Error | null,
  stderrTail: readonly string[],
  mask: (text: string) => string,
): MediaError | null {
  if (!started) {
    return new MediaError('ffmpeg_spawn_failed', `ffmpeg did not start: ${mask(err?.message ?? 'unknown error')}`);
  }
  if (signal !== null) return new MediaError('ffmpeg_killed', `ffmpeg was killed by ${signal}`);
  if (code === 0) return null;
  const lastLine = [...stderrTail].reverse().find((line) => line.trim() !== '');
  const detail = lastLine === undefined ? '' : `: ${lastLine.trim()}`;
  return new MediaError('ffmpeg_exited', `ffmpeg exited with code ${code ?? 'unknown'}${detail}`);
}

export type JpegGrab = { ok: true; bytes: Buffer } | { ok: false; code: 'timeout' | 'too_large' | 'failed'; message: string };

/**
 * One JPEG frame of `url` (buildJpegGrabArgs), read from ffmpeg's stdout.
 * ffmpeg is SIGKILLed at the deadline or once the frame exceeds maxBytes;
 * messages are credential-masked.
 */
export function grabJpegFrame(url: string, timeoutMs: number, opts: { maxBytes?: number } = {}): Promise<JpegGrab> {
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  const secrets = credentialSecrets(url);
  const mask = (text: string): string => maskUrlCredentials(text, secrets);
  return new Promise((resolve) => {
    const args = buildJpegGrabArgs(url, timeoutMs);
    const command = loadFluent()();
    command.input(args.input).inputOptions(...args.inputOptions).outputOptions(...args.outputOptions);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let lastStderr = '';
    let child: ChildProcess | undefined;
    const kill = (): void => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const settle = (r: JpegGrab): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      kill();
      resolve(r);
    };
    const timer = setTimeout(() => settle({ ok: false, code: 'timeout', message: `ffmpeg gave no frame within ${timeoutMs} ms` }), timeoutMs);
    command.on('start', () => {
      child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      if (settled) kill();
    });
    command.on('stderr', (line: string) => {
      if (line.trim() !== '') lastStderr = mask(line.trim());
    });
    out.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settle({ ok: false, code: 'too_large', message: `ffmpeg frame larger than ${maxBytes} bytes` });
        return;
      }
      chunks.push(chunk);
    });
    command.on('error', (err: Error) => {
      // fluent-ffmpeg's message embeds the unmasked command line; use ours.
      const why = lastStderr || (/ENOENT|Cannot find ffmpeg/i.test(err.message) ? 'ffmpeg not found' : 'ffmpeg failed');
      settle({ ok: false, code: 'failed', message: `frame grab failed: ${mask(why)}` });
    });
    command.on('end', () => settle({ ok: true, bytes: Buffer.concat(chunks) }));
    command.pipe(out, { end: true });
  });
}
