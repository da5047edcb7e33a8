import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import type { AudioOut, PcmFormat, PcmPlayback, PlaybackOptions } from '../types.js';
import { startProgram, type ProgramExit, type RunningProgram } from './child-process.js';

/**
 * How far the writer may run ahead of where the DAC should be, on top of the
 * ALSA buffer: covers event-loop jitter and aplay's read-ahead of one period.
 * Without this bound only the stdin socket pushes back, and Node gives a
 * child a socketpair whose buffers took 3.5–4 s of 16 kHz mono before
 * write() returned false (measured with aplay on the PulseAudio rig), which
 * would be talkback latency.
 */
const LEAD_HEADROOM_MS = 100;
/** After stdin ends, aplay plays out what it holds; past this slack it is wedged. */
const DRAIN_SLACK_MS = 5_000;
/** aplay traps SIGTERM and closes the device; SIGKILL if it has not within this. */
const KILL_GRACE_MS = 500;

/**
 * The speaker as a PCM sink for talkback, through ALSA's aplay reading raw
 * S16_LE mono on stdin, with a short period and buffer (`--period-time`,
 * `--buffer-time`) so the device adds little latency.
 *
 * One playback at a time: a second openPlayback() while one is open is
 * refused with `audio_busy`, because two aplay processes on a non-mixing
 * device would fail or talk over each other.
 */
export class AplayPlayback implements AudioOut {
  readonly #alsaDevice: string;
  readonly #command: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #current: AplayStream | null = null;

  constructor(deps: { alsaDevice: string; clock: Clock; logger: Logger; command?: string }) {
    this.#alsaDevice = deps.alsaDevice;
    this.#command = deps.command ?? 'aplay';
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async openPlayback(opts: PlaybackOptions): Promise<PcmPlayback> {
    checkPlaybackOptions(opts);
    if (this.#current) throw new HalError('audio_busy', `a talkback playback is already open on ${this.#alsaDevice}`);
    const args = [
      '-q',
      '-D',
      this.#alsaDevice,
      '-t',
      'raw',
      '-f',
      'S16_LE',
      '-c',
      '1',
      '-r',
      String(opts.sampleRate),
      `--period-time=${Math.round(opts.periodMs * 1000)}`,
      `--buffer-time=${Math.round(opts.bufferMs * 1000)}`,
      '-',
    ];
    const program = startProgram(this.#command, args, { stdin: true });
    const stream = new AplayStream(program, opts, { clock: this.#clock, logger: this.#logger, device: this.#alsaDevice });
    this.#current = stream;
    void stream.ended.then(() => {
      if (this.#current === stream) this.#current = null;
    });
    this.#logger.debug({ device: this.#alsaDevice, sampleRate: opts.sampleRate, periodMs: opts.periodMs, bufferMs: opts.bufferMs }, 'talkback playback opened');
    return stream;
  }

  /** Aborts the open playback, if any (HAL shutdown). */
  async stopAll(): Promise<void> {
    await this.#current?.abort();
  }
}

/** Shared by the linux and simulated outputs, so both refuse the same options. */
export function checkPlaybackOptions(opts: PlaybackOptions): void {
  const { sampleRate, periodMs, bufferMs } = opts;
  if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192_000) {
    throw new RangeError(`cannot play at ${sampleRate} Hz`);
  }
  if (!(periodMs > 0 && periodMs <= 1000) || !(bufferMs >= 2 * periodMs && bufferMs <= 2000)) {
    throw new RangeError(`bad ALSA timing: period ${periodMs} ms, buffer ${bufferMs} ms (need buffer >= 2 periods)`);
  }
}

class AplayStream implements PcmPlayback {
  readonly format: PcmFormat;
  readonly ended: Promise<HalError | null>;
  readonly #program: RunningProgram;
  readonly #clock: Clock;
  readonly #rate: number;
  readonly #maxLeadFrames: number;
  readonly #bufferMs: number;
  #closing: 'drain' | 'abort' | null = null;
  #done = false;
  #failure: HalError | null = null;
  /** Frames handed to aplay so far. */
  #written = 0;
  /**
   * Where the DAC should be, in frames: advances with the clock from the
   * first write, never past what was written (an underrun plays silence,
   * not our samples). A model, so the writer can be paced without a way to
   * ask aplay for its position.
   */
  #played = 0;
  #lastMs: number | null = null;
  /** Writers waiting on back-pressure; woken early when the playback ends or is aborted. */
  readonly #waiting = new Set<() => void>();
  #drainTimer: Timer | null = null;

  constructor(program: RunningProgram, opts: PlaybackOptions, deps: { clock: Clock; logger: Logger; device: string }) {
    this.#program = program;
    this.#clock = deps.clock;
    this.#rate = opts.sampleRate;
    this.#bufferMs = opts.bufferMs;
    this.format = { sampleRate: opts.sampleRate };
    this.#maxLeadFrames = Math.round(((opts.bufferMs + LEAD_HEADROOM_MS) * opts.sampleRate) / 1000);
    this.ended = program.exited.then((exit) => {
      this.#done = true;
      this.#drainTimer?.cancel();
      this.#wakeAll();
      const result = this.#outcome(exit);
      if (result) {
        this.#failure = result;
        deps.logger.warn(
          { device: deps.device, code: exit.code, signal: exit.signal, err: exit.spawnError ?? undefined, stderr: exit.stderrTail || undefined },
          'aplay failed during talkback playback',
        );
      }
      return result;
    });
  }

  async write(pcm: Buffer): Promise<void> {
    if (pcm.length % 2 !== 0) throw new RangeError(`PCM must be whole 16-bit samples, got ${pcm.length} bytes`);
    if (this.#failure) throw this.#failure;
    if (this.#closing || this.#done) throw new HalError('playback_closed', 'write after the playback was closed');
    const stdin = this.#program.stdin;
    if (!stdin || pcm.length === 0) return;
    this.#advance();
    const accepted = stdin.write(pcm);
    this.#written += pcm.length / 2;
    if (!accepted) await this.#untilEndedOr((wake) => stdin.once('drain', wake), (wake) => stdin.off('drain', wake));
    for (;;) {
      if (this.#done || this.#closing) break;
      this.#advance();
      const excess = this.#written - this.#played - this.#maxLeadFrames;
      if (excess <= 0) break;
      const waitMs = Math.max(1, Math.ceil((excess * 1000) / this.#rate));
      let timer: Timer | null = null;
      await this.#untilEndedOr(
        (wake) => (timer = this.#clock.setTimeout(wake, waitMs)),
        () => timer?.cancel(),
      );
    }
    // A write overtaken by abort() is dropped quietly (the caller asked for it); a device failure is not.
    if (this.#failure) throw this.#failure;
  }

  async drain(): Promise<void> {
    if (!this.#closing && !this.#done) {
      this.#closing = 'drain';
      this.#advance();
      // aplay still has to play what is queued; the lead model says how much that is.
      const queuedMs = ((this.#written - this.#played) * 1000) / this.#rate;
      this.#drainTimer = this.#clock.setTimeout(() => void this.#program.stop(KILL_GRACE_MS), queuedMs + this.#bufferMs + DRAIN_SLACK_MS);
      this.#program.stdin?.end();
    }
    // Failures are reported by `ended`; drain() itself only waits.
    await this.ended;
  }

  async abort(): Promise<void> {
    if (!this.#done && this.#closing !== 'abort') {
      this.#closing = 'abort';
      this.#wakeAll();
      await this.#program.stop(KILL_GRACE_MS);
    }
    await this.ended;
  }

  #outcome(exit: ProgramExit): HalError | null {
    if (this.#closing === 'abort') return null;
    const drainTimedOut = this.#closing === 'drain' && exit.signal !== null;
    if (exit.code === 0 && !exit.spawnError && !drainTimedOut) return null;
    const why = exit.spawnError ? `could not start aplay (${exit.spawnError.code ?? exit.spawnError.message})` : drainTimedOut ? 'aplay did not finish draining' : `aplay exited with ${exit.code ?? exit.signal}`;
    return new HalError('audio_device_failed', `talkback playback failed: ${why}`, { cause: exit.spawnError ?? undefined });
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiting]) wake();
  }

  #advance(): void {
    const now = this.#clock.monotonic();
    if (this.#lastMs !== null) this.#played = Math.min(this.#written, this.#played + ((now - this.#lastMs) * this.#rate) / 1000);
    this.#lastMs = now;
  }

  /** Waits for `arm`'s wake-up or the end of the playback (exit, abort), whichever comes first. */
  async #untilEndedOr(arm: (wake: () => void) => void, disarm: (wake: () => void) => void): Promise<void> {
    if (this.#done || this.#closing === 'abort') return;
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        disarm(wake);
        this.#waiting.delete(wake);
        resolve();
      };
      this.#waiting.add(wake);
      arm(wake);
    });
  }
}
