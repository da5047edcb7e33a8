/**
 * The video analysis input: small grayscale frames at a steady low rate,
 * kept flowing by supervising ffmpeg.
 *
 * Supervision, in one paragraph: each ffmpeg run is watched for exit and for
 * stalls (no frame within stallTimeoutMs). A failed run is terminated
 * (SIGTERM, SIGKILL after killGraceMs), and only once it is gone is the next
 * one started, after an exponential backoff (restart-backoff.ts). Never two
 * ffmpeg at once: many cameras allow only a few RTSP sessions. `health`
 * is emitted once per transition (up→down, down→up), not per retry, so the
 * cloud link and LED see one alarm per outage.
 */
import { EventEmitter } from 'node:events';
import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import { classifyInput } from './ffmpeg-args.js';
import { createGrayFrameSpawner, type FfmpegExit, type FfmpegProcess, type SpawnGrayFrames } from './ffmpeg.js';
import { FrameAssembler } from './frame-assembler.js';
import { checkFrameSourceConfig, type FrameSourceConfig } from './frame-source-config.js';
import { MediaError, type MediaErrorCode } from './media-error.js';
import { RestartBackoff, defaultRestartBackoff, type RestartBackoffOptions } from './restart-backoff.js';

export type { FrameSourceConfig } from './frame-source-config.js';
export { frameSourceDefaults } from './frame-source-config.js';

export interface GrayFrame {
  /** width×height bytes, one luma byte per pixel, row-major. Read-only: may share memory with other frames' chunk. */
  data: Uint8Array;
  width: number;
  height: number;
  /** 0, 1, 2… over the life of the source, across ffmpeg restarts. */
  seq: number;
  /** Clock.monotonic() when the frame was received (not the stream's own timestamp). */
  ptsMs: number;
}

export type FrameSourceHealth =
  | { state: 'up'; reason: string }
  | { state: 'down'; reason: string; code: MediaErrorCode };

export interface FrameSourceEvents {
  frame: GrayFrame;
  health: FrameSourceHealth;
}

export type FrameSourceState = 'stopped' | 'starting' | 'up' | 'down';

export interface FrameSourceStats {
  state: FrameSourceState;
  frames: number;
  /** ffmpeg runs started after a failure. */
  restarts: number;
  /** Clock.monotonic() of the last frame, or null before the first. */
  lastFrameAtMs: number | null;
  ffmpegPid: number | undefined;
}

export interface FrameSourceDeps {
  config: FrameSourceConfig;
  clock: Clock;
  logger: Logger;
  /** Default: real ffmpeg through ffmpeg.ts. */
  spawnGrayFrames?: SpawnGrayFrames;
  backoff?: RestartBackoffOptions;
  /** Time between SIGTERM and SIGKILL. ffmpeg normally exits within 40–100 ms of SIGTERM. */
  killGraceMs?: number;
  /**
   * Network socket timeout handed to ffmpeg. Default: half the stall timeout,
   * at most 5 s, so that ffmpeg usually exits with its own, more telling,
   * error before the stall watchdog fires.
   */
  socketTimeoutMs?: number;
}

interface Run {
  proc: FfmpegProcess;
  assembler: FrameAssembler;
  /** Set when we decided to end this run; its frames are ignored from then on. */
  failure: MediaError | null;
}

export class FrameSource implements Service {
  readonly name = 'frame-source';
  readonly #deps: FrameSourceDeps;
  readonly #events = new EventEmitter();
  #spawn: SpawnGrayFrames | null = null;
  #backoff: RestartBackoff | null = null;
  #running = false;
  #state: FrameSourceState = 'stopped';
  #run: Run | null = null;
  #stallTimer: Timer | null = null;
  #restartTimer: Timer | null = null;
  #stopping: Promise<void> | null = null;
  /** Bumped by every start() and stop(): a start() still waiting for a stop only proceeds if no later call came. */
  #calls = 0;
  #frames = 0;
  #restarts = 0;
  #lastFrameAtMs: number | null = null;

  constructor(deps: FrameSourceDeps) {
    this.#deps = deps;
  }

  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof FrameSourceEvents>(name: K, listener: (payload: FrameSourceEvents[K]) => void): () => void {
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }

  /**
   * Starts the first ffmpeg run and returns without waiting for a frame: an
   * unreachable camera must not hold up the agent's boot. Rejects with a
   * MediaError('invalid_config') when the configuration is unusable.
   */
  async start(): Promise<void> {
    const call = ++this.#calls;
    if (this.#stopping) await this.#stopping;
    // The last call wins: a stop() that came while this start() waited for an earlier stop
    // (the agent shutting down while a QR window reopens) must not be followed by an ffmpeg.
    if (call !== this.#calls) return;
    if (this.#running) return;
    const invalid = checkFrameSourceConfig(this.#deps.config);
    if (invalid) throw invalid;
    this.#spawn ??= this.#deps.spawnGrayFrames ?? createGrayFrameSpawner({ logger: this.#deps.logger });
    this.#backoff = new RestartBackoff(this.#deps.backoff ?? defaultRestartBackoff);
    this.#running = true;
    this.#state = 'starting';
    this.#launch();
  }

  /** Terminates ffmpeg (SIGTERM, then SIGKILL after the grace period) and resolves once it is reaped. */
  stop(): Promise<void> {
    this.#calls++;
    this.#stopping ??= this.#shutdown().finally(() => {
      this.#stopping = null;
    });
    return this.#stopping;
  }

  /**
   * Whether frames are flowing. Deliberately not Service.healthy(): a dead
   * camera stream is not fixed by systemd restarting the agent, so it must
   * not withhold the watchdog ping.
   */
  streaming(): boolean {
    return this.#state === 'up';
  }

  stats(): FrameSourceStats {
    return {
      state: this.#state,
      frames: this.#frames,
      restarts: this.#restarts,
      lastFrameAtMs: this.#lastFrameAtMs,
      ffmpegPid: this.#run?.proc.pid(),
    };
  }

  async #shutdown(): Promise<void> {
    this.#running = false;
    this.#restartTimer?.cancel();
    this.#restartTimer = null;
    this.#stallTimer?.cancel();
    this.#stallTimer = null;
    const run = this.#run;
    if (run) {
      run.failure ??= new MediaError('ffmpeg_killed', 'frame source stopped');
      this.#terminate(run.proc);
      await run.proc.exited;
    }
    this.#run = null;
    this.#state = 'stopped';
  }

  #launch(): void {
    const { config } = this.#deps;
    const spawn = this.#spawn;
    if (spawn === null) return; // only reachable before start(), which sets it
    const socketTimeoutMs = this.#deps.socketTimeoutMs ?? Math.min(5_000, config.stallTimeoutMs / 2);
    const proc = spawn({
      input: config.input,
      loop: config.loop,
      width: config.width,
      height: config.height,
      fps: config.fps,
      socketTimeoutMs,
    });
    // One assembler per run: a partial frame from a dead process must never
    // be completed with bytes from the next one.
    const run: Run = { proc, assembler: new FrameAssembler(config.width * config.height), failure: null };
    this.#run = run;
    proc.onData((chunk) => this.#onData(run, chunk));
    void proc.exited.then((exit) => this.#onExit(run, exit));
    this.#armStallTimer(run);
  }

  #onData(run: Run, chunk: Uint8Array): void {
    if (run !== this.#run || run.failure !== null || !this.#running) return;
    for (const data of run.assembler.push(chunk)) {
      // A listener may have stopped us (or failed the run) mid-chunk.
      if (run !== this.#run || run.failure !== null || !this.#running) return;
      this.#onFrame(run, data);
    }
  }

  #onFrame(run: Run, data: Uint8Array): void {
    const { config, clock } = this.#deps;
    const now = clock.monotonic();
    const seq = this.#frames;
    this.#frames += 1;
    this.#lastFrameAtMs = now;
    this.#backoff?.markHealthy(now);
    this.#armStallTimer(run);
    if (this.#state !== 'up') {
      this.#state = 'up';
      this.#deps.logger.info({ restarts: this.#restarts }, 'frame source up');
      this.#emit('health', { state: 'up', reason: 'receiving frames' });
    }
    this.#emit('frame', { data, width: config.width, height: config.height, seq, ptsMs: now });
  }

  #armStallTimer(run: Run): void {
    this.#stallTimer?.cancel();
    const ms = this.#deps.config.stallTimeoutMs;
    this.#stallTimer = this.#deps.clock.setTimeout(() => {
      this.#stallTimer = null;
      this.#fail(run, new MediaError('ffmpeg_stalled', `no frame from ffmpeg for ${ms} ms`));
    }, ms);
  }

  /** Ends a run we consider broken; #onExit takes over once the process is gone. */
  #fail(run: Run, failure: MediaError): void {
    if (run.failure !== null) return;
    run.failure = failure;
    this.#terminate(run.proc);
  }

  #terminate(proc: FfmpegProcess): void {
    proc.kill('SIGTERM');
    const escalate = this.#deps.clock.setTimeout(() => proc.kill('SIGKILL'), this.#deps.killGraceMs ?? 2_000);
    void proc.exited.then(() => escalate.cancel());
  }

  #onExit(run: Run, exit: FfmpegExit): void {
    if (run !== this.#run) return;
    this.#run = null;
    this.#stallTimer?.cancel();
    this.#stallTimer = null;
    if (!this.#running) return; // stop() is awaiting this exit itself

    const failure = run.failure ?? exit.error ?? this.#cleanExitMeaning();
    const { logger, clock } = this.#deps;
    logger.warn({ code: failure.code, reason: failure.message, stderr: exit.stderrTail }, 'ffmpeg run ended');
    if (this.#state !== 'down') {
      this.#state = 'down';
      this.#emit('health', { state: 'down', reason: failure.message, code: failure.code });
    }
    if (failure.code === 'input_ended') return;

    const delayMs = this.#backoff?.nextDelay(clock.monotonic()) ?? defaultRestartBackoff.initialMs;
    logger.info({ delayMs }, 'restarting ffmpeg after backoff');
    this.#restartTimer = clock.setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#running) return;
      this.#restarts += 1;
      this.#launch();
    }, delayMs);
  }

  /** ffmpeg exited 0: the input ended. Final for a non-looping file, a failure otherwise. */
  #cleanExitMeaning(): MediaError {
    const { input, loop } = this.#deps.config;
    if (classifyInput(input) === 'file' && !loop) {
      return new MediaError('input_ended', 'input file ended (loop is off)');
    }
    return new MediaError('ffmpeg_exited', 'ffmpeg exited with code 0: the input ended');
  }

  #emit<K extends keyof FrameSourceEvents>(name: K, payload: FrameSourceEvents[K]): void {
    this.#events.emit(name, payload);
  }
}
