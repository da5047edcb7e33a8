import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import type { Microphone, PcmCapture, PcmFormat } from '../types.js';
import { awaitWithDeadline, startProgram, type RunningProgram } from './child-process.js';

/** arecord needs a moment to open the device; past this slack on top of the recording it is wedged. */
const MAX_RECORD_MS = 60_000;

/** arecord traps SIGTERM and closes the device; SIGKILL if it has not within this. */
const KILL_GRACE_MS = 500;

/**
 * PCM capture through ALSA's arecord: mono S16_LE raw on stdout. record()
 * asks for exactly `-s` frames, so the length never depends on arecord's
 * rounding of `-d` (whole seconds only); open() streams until stopped.
 */
export class ArecordMicrophone implements Microphone {
  readonly #alsaDevice: string;
  readonly #command: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #running = new Set<RunningProgram>();
  readonly #captures = new Set<PcmCapture>();

  constructor(deps: { alsaDevice: string; clock: Clock; logger: Logger; command?: string }) {
    this.#alsaDevice = deps.alsaDevice;
    this.#command = deps.command ?? 'arecord';
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async record(ms: number, sampleRate: number): Promise<Int16Array> {
    if (!(ms > 0 && ms <= MAX_RECORD_MS) || !Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192_000) {
      throw new RangeError(`cannot record ${ms} ms at ${sampleRate} Hz`);
    }
    const frames = Math.round((ms * sampleRate) / 1000);
    const chunks: Buffer[] = [];
    const args = ['-q', '-D', this.#alsaDevice, '-f', 'S16_LE', '-c', '1', '-r', String(sampleRate), '-t', 'raw', '-s', String(frames), '-'];
    const program = startProgram(this.#command, args, { onStdout: (c) => chunks.push(c) });
    this.#running.add(program);
    try {
      const { exit, timedOut } = await awaitWithDeadline(program, this.#clock, ms);
      if (exit.code !== 0 || timedOut) {
        this.#logger.warn(
          { device: this.#alsaDevice, code: exit.code, signal: exit.signal, err: exit.spawnError ?? undefined, stderr: exit.stderrTail || undefined, timedOut },
          'arecord failed',
        );
        throw new HalError('audio_device_failed', `arecord failed on ${this.#alsaDevice}`, { cause: exit.spawnError ?? undefined });
      }
      return toSamples(Buffer.concat(chunks), frames);
    } finally {
      this.#running.delete(program);
    }
  }

  /**
   * Streams the microphone until stop(): `arecord -t raw` without `-s` runs
   * until killed. Pipes cut anywhere, so an odd trailing byte is carried into
   * the next chunk and listeners only ever see whole samples.
   */
  async open(format: PcmFormat): Promise<PcmCapture> {
    const { sampleRate } = format;
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192_000) throw new RangeError(`cannot capture at ${sampleRate} Hz`);
    const listeners = new Set<(pcm: Buffer) => void>();
    let carry: Buffer | null = null;
    const deliver = (chunk: Buffer): void => {
      let bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = null;
      if (bytes.length % 2 !== 0) {
        carry = Buffer.from(bytes.subarray(bytes.length - 1));
        bytes = bytes.subarray(0, bytes.length - 1);
      }
      if (bytes.length === 0) return;
      for (const listener of listeners) {
        try {
          listener(bytes);
        } catch (err) {
          this.#logger.warn({ err }, 'microphone listener failed');
        }
      }
    };
    const args = ['-q', '-D', this.#alsaDevice, '-f', 'S16_LE', '-c', '1', '-r', String(sampleRate), '-t', 'raw', '-'];
    const program = startProgram(this.#command, args, { onStdout: deliver });
    let stopping = false;
    const ended = program.exited.then((exit): HalError | null => {
      // arecord answers SIGTERM with "read error: Interrupted system call" and code 1: that is our stop, not a failure.
      if (stopping) return null;
      this.#logger.warn(
        { device: this.#alsaDevice, code: exit.code, signal: exit.signal, err: exit.spawnError ?? undefined, stderr: exit.stderrTail || undefined },
        'arecord capture ended unexpectedly',
      );
      return new HalError('audio_device_failed', `arecord capture failed on ${this.#alsaDevice}`, { cause: exit.spawnError ?? undefined });
    });
    const capture: PcmCapture = {
      format: { sampleRate },
      ended,
      onData(listener) {
        listeners.add(listener);
      },
      async stop() {
        stopping = true;
        await program.stop(KILL_GRACE_MS);
        await ended;
      },
    };
    this.#captures.add(capture);
    void ended.then(() => {
      this.#captures.delete(capture);
      listeners.clear();
    });
    return capture;
  }

  /** Ends every recording in progress (their record() calls reject) and every open capture. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map((p) => p.stop(KILL_GRACE_MS)));
    await Promise.all([...this.#captures].map((c) => c.stop()));
  }
}

/** Little-endian bytes to samples, whatever the CPU's byte order; at most `frames` of them. */
export function toSamples(bytes: Buffer, frames: number): Int16Array {
  const n = Math.min(frames, Math.floor(bytes.length / 2));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}
