import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import { wavHeader } from '../wav.js';
import type { TonePlayer } from '../types.js';
import { awaitWithDeadline, startProgram, type RunningProgram } from './child-process.js';

const MAX_TONE_MS = 30_000;
/** −6 dBFS: loud enough to measure, no clipping in the codec's output stage. */
export const TONE_AMPLITUDE = 16384;
/** Raised-cosine ramps: a sine switched on at full level clicks across the whole spectrum. */
const RAMP_MS = 10;

/**
 * The self-test tone through aplay, from a WAV written to a private temp
 * file (startProgram gives the child no stdin; a file also lets aplay read
 * the format from the header).
 *
 * Tones are played one at a time. They do not share AplaySpeaker's queue
 * (it is private to that class), so a prompt and a tone asked for at the same
 * moment would race for the device; the self-test runs as its own process
 * and plays no prompts, so it never asks for both.
 */
export class AplayTone implements TonePlayer {
  readonly #alsaDevice: string;
  readonly #command: string;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #tmpDir: string;
  #queue: Promise<void> = Promise.resolve();
  #playing: RunningProgram | null = null;

  constructor(deps: { alsaDevice: string; clock: Clock; logger: Logger; command?: string; tmpDir?: string }) {
    this.#alsaDevice = deps.alsaDevice;
    this.#command = deps.command ?? 'aplay';
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#tmpDir = deps.tmpDir ?? tmpdir();
  }

  playTone(hz: number, ms: number, sampleRate: number): Promise<void> {
    if (!(hz > 0 && hz < sampleRate / 2) || !(ms > 0 && ms <= MAX_TONE_MS) || !Number.isInteger(sampleRate) || sampleRate < 8000) {
      return Promise.reject(new RangeError(`cannot play ${hz} Hz for ${ms} ms at ${sampleRate} Hz`));
    }
    const turn = this.#queue.then(() => this.#play(hz, ms, sampleRate));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Cuts the tone being played. */
  async stopAll(): Promise<void> {
    await this.#playing?.stop(500);
  }

  async #play(hz: number, ms: number, sampleRate: number): Promise<void> {
    const dir = await mkdtemp(join(this.#tmpDir, 'camera-agent-tone-'));
    const file = join(dir, 'tone.wav');
    try {
      await writeFile(file, toneWav(hz, ms, sampleRate));
      const program = startProgram(this.#command, ['-q', '-D', this.#alsaDevice, file]);
      this.#playing = program;
      try {
        const { exit, timedOut } = await awaitWithDeadline(program, this.#clock, ms);
        if (exit.code !== 0 || timedOut) {
          this.#logger.warn(
            { device: this.#alsaDevice, hz, code: exit.code, signal: exit.signal, err: exit.spawnError ?? undefined, stderr: exit.stderrTail || undefined, timedOut },
            'aplay failed for test tone',
          );
          throw new HalError('audio_device_failed', `aplay failed for a ${hz} Hz tone`, { cause: exit.spawnError ?? undefined });
        }
      } finally {
        if (this.#playing === program) this.#playing = null;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** 16-bit mono PCM samples of a sine with short fade-in/out. */
export function toneSamples(hz: number, ms: number, sampleRate: number, amplitude = TONE_AMPLITUDE): Int16Array {
  const n = Math.round((ms * sampleRate) / 1000);
  const ramp = Math.min(Math.round((RAMP_MS * sampleRate) / 1000), Math.floor(n / 2));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const edge = Math.min(i, n - 1 - i);
    const gain = edge < ramp ? 0.5 - 0.5 * Math.cos((Math.PI * edge) / ramp) : 1;
    out[i] = Math.round(amplitude * gain * Math.sin((2 * Math.PI * hz * i) / sampleRate));
  }
  return out;
}

/** A canonical 44-byte-header RIFF/WAVE file holding toneSamples(). */
export function toneWav(hz: number, ms: number, sampleRate: number): Buffer {
  const samples = toneSamples(hz, ms, sampleRate);
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(s, i * 2));
  return Buffer.concat([wavHeader(data.length, sampleRate), data]);
}
