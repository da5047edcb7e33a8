/**
 * The one place that runs ffmpeg. Everything else asks for gray frames
 * through `SpawnGrayFrames`, a JPEG through `grabJpegFrame` or a talkback
 * audio pipe through `spawnAudioTranscoder`, and never sees a process, a
 * command line or fluent-ffmpeg.
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
import { PassThrough, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import type FfmpegCommandFactory from 'fluent-ffmpeg';
import type { Logger } from '../log/logger.js';
import { buildGrayFrameArgs, buildJpegGrabArgs, toArgv, type GrayFrameSpec } from './ffmpeg-args.js';
import type { AudioTranscodeSpec } from './audio-transcode-args.js';
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

export type { AudioTranscodeSpec } from './audio-transcode-args.js';

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
    const exit = exitReport(child, err, stderrTail, mask);
    logger.info(
      { ffmpegPid: child?.pid, code: exit.code, signal: exit.signal, reason: exit.error?.message ?? 'clean exit' },
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

/**
 * One ffmpeg turning bytes written to its stdin into bytes on its stdout:
 * the talkback decoder and encoder (audio-transcode-args.ts).
 */
export interface AudioTranscoder {
  /** The OS pid once spawned (spawning is asynchronous), else undefined. */
  readonly pid: number | undefined;
  /**
   * Queue input bytes for ffmpeg's stdin. Like stream.write, returns false
   * when the pipe is backed up (the bytes are still queued). After end() or
   * once ffmpeg is gone the bytes are dropped and it returns false; it never
   * throws.
   */
  write(bytes: Uint8Array): boolean;
  /** Resolves once a backed-up stdin has drained; at once when it is not backed up, or when ffmpeg is gone. */
  drained(): Promise<void>;
  /** Listen for stdout bytes, in chunks of arbitrary size. */
  onData(listener: (bytes: Buffer) => void): void;
  /** End stdin: ffmpeg flushes what it has and exits (code 0). Idempotent. */
  end(): void;
  /** SIGKILL now; one requested before the process exists is delivered as soon as it does. */
  kill(): void;
  /** Resolves once, when the process is gone (reaped) or failed to start. Never rejects. */
  readonly exited: Promise<FfmpegExit>;
  /**
   * Resolves true once the process is spawned, false when it never was.
   * A caller that must not build up a backlog (the talkback decoder: its
   * first words would come out as one late burst) waits for it.
   */
  readonly started: Promise<boolean>;
}

/**
 * Bytes queued in front of ffmpeg's stdin (twice this: the PassThrough's two
 * sides) before write() returns false. Behind it are Node's own stdin buffer
 * and the kernel pipe: measured with ffmpeg SIGSTOPped, write() turns false
 * after ~128 KiB (4 s of 16 kHz PCM, ~14 s of G.711 in Matroska). So
 * back-pressure is an "ffmpeg is stuck" signal, not a pacing one (ffmpeg
 * reads as fast as bytes arrive). Small so that the signal is not delayed
 * further.
 */
const AUDIO_STDIN_HIGH_WATER = 4096;

/**
 * Starts ffmpeg for `spec` (audio-transcode-args.ts), stdin in, stdout out.
 *
 * Start-up, measured: ffmpeg reads stdin ~60 ms after this call (the
 * process start itself), ~250 ms for the first run in a process because
 * fluent-ffmpeg first runs `ffmpeg -formats` and `-encoders` once (cached).
 * Bytes written meanwhile are queued, so a session should spawn its decoder
 * when it opens, not on its first frame. After that the adapter adds nothing
 * measurable: a 20 ms G.711 frame's PCM is delivered to onData 0.3–0.6 ms
 * after write().
 */
export function spawnAudioTranscoder(spec: AudioTranscodeSpec, opts: FfmpegAdapterOptions): AudioTranscoder {
  const { logger } = opts;
  const { role } = spec;
  const tailLines = opts.stderrTailLines ?? 20;
  // No URL in these commands, but every string leaving this module is masked.
  const mask = (text: string): string => maskUrlCredentials(text);
  const stderrTail: string[] = [];
  const dataListeners: Array<(bytes: Buffer) => void> = [];
  const drainWaiters = new Set<() => void>();
  let child: ChildProcess | undefined;
  let killRequested = false;
  let ending = false;
  let finished = false;
  let resolveExited: (exit: FfmpegExit) => void = () => undefined;
  const exited = new Promise<FfmpegExit>((resolve) => {
    resolveExited = resolve;
  });
  let resolveStarted: (started: boolean) => void = () => undefined;
  const started = new Promise<boolean>((resolve) => {
    resolveStarted = resolve;
  });
  void exited.then(() => resolveStarted(false));

  // stdin: a PassThrough, because fluent-ffmpeg spawns asynchronously (after
  // its capability checks) and frames written meanwhile must be kept.
  const input = new PassThrough({ highWaterMark: AUDIO_STDIN_HIGH_WATER });
  const releaseDrainWaiters = (): void => {
    for (const waiter of drainWaiters) waiter();
    drainWaiters.clear();
  };
  input.on('drain', releaseDrainWaiters);
  input.on('error', () => undefined); // never errors by itself; a stray write must not crash the agent

  // stdout: a Writable that hands each chunk straight to the listeners (no
  // second buffer). emitClose: false, because fluent-ffmpeg treats the
  // output stream's 'close' as "consumer gone" and kills ffmpeg 20 ms later,
  // which could race a clean exit whose 'exit' event is late.
  const output = new Writable({
    emitClose: false,
    write(chunk: Buffer, _encoding, callback) {
      for (const listener of dataListeners) listener(chunk);
      callback();
    },
  });

  const command = loadFluent()();
  if (opts.ffmpegPath !== undefined) command.setFfmpegPath(opts.ffmpegPath);
  // Spread, not one array: see spawnGrayFrames.
  command
    .input(input)
    .inputFormat(spec.inputFormat)
    .inputOptions(...spec.inputOptions)
    .outputOptions(...spec.outputOptions)
    .format(spec.outputFormat);

  command.on('start', (commandLine: string) => {
    child = (command as unknown as FluentInternals).ffmpegProc;
    if (child?.pid === undefined) return; // spawn failed; 'error' follows
    // EPIPE when ffmpeg has died with input still queued. fluent-ffmpeg adds
    // a listener too; ours does not depend on it staying there.
    child.stdin?.on('error', (err: Error) => {
      logger.debug({ role, ffmpegPid: child?.pid, err: mask(err.message) }, 'ffmpeg stdin closed');
    });
    logger.info({ role, ffmpegPid: child.pid, command: mask(commandLine) }, 'ffmpeg started');
    resolveStarted(true);
    if (killRequested) child.kill('SIGKILL');
  });

  command.on('stderr', (line: string) => {
    const masked = mask(line);
    stderrTail.push(masked);
    if (stderrTail.length > tailLines) stderrTail.shift();
    logger.debug({ role, ffmpegPid: child?.pid, line: masked }, 'ffmpeg stderr');
  });

  const report = (err: Error | null): void => {
    const exit = exitReport(child, err, stderrTail, mask);
    logger.info(
      { role, ffmpegPid: child?.pid, code: exit.code, signal: exit.signal, reason: exit.error?.message ?? 'clean exit' },
      'ffmpeg ended',
    );
    releaseDrainWaiters();
    input.destroy(); // drop what ffmpeg will never read
    resolveExited(exit);
  };
  const finish = (err: Error | null): void => {
    if (finished) return;
    finished = true;
    // fluent-ffmpeg reports after the process exit, except when it gives up
    // on its own; then wait for the real exit status before reporting.
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.once('exit', () => report(err));
      return;
    }
    report(err);
  };
  command.on('error', (err: Error) => finish(err));
  command.on('end', () => finish(null));

  command.pipe(output, { end: true });

  return {
    get pid() {
      return child?.pid;
    },
    exited,
    started,
    write: (bytes) => {
      if (finished || ending) return false;
      return input.write(bytes);
    },
    drained: () => {
      if (finished || !input.writableNeedDrain) return Promise.resolve();
      return new Promise<void>((resolve) => drainWaiters.add(resolve));
    },
    onData: (listener) => {
      dataListeners.push(listener);
    },
    end: () => {
      if (finished || ending) return;
      ending = true;
      input.end();
    },
    kill: () => {
      if (finished) return;
      if (child === undefined) {
        killRequested = true; // delivered on 'start' (see spawnGrayFrames)
        return;
      }
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * What ended a run. Reads the child's own fields, not fluent-ffmpeg's error
 * message: fluent-ffmpeg may report before our own 'exit' listener would have
 * run, and its message embeds unmasked stderr.
 */
function exitReport(
  child: ChildProcess | undefined,
  err: Error | null,
  stderrTail: readonly string[],
  mask: (text: string) => string,
): FfmpegExit {
  const started = child?.pid !== undefined;
  const code = started ? (child?.exitCode ?? null) : null;
  const signal = started ? (child?.signalCode ?? null) : null;
  return {
    code,
    signal,
    error: describeFailure(started, code, signal, err, stderrTail, mask),
    stderrTail: [...stderrTail],
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
