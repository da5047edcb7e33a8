import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import { checkPlaybackOptions } from '../linux/aplay-playback.js';
import type { AudioOut, PcmFormat, PcmPlayback, PlaybackOptions } from '../types.js';
import type { SimAudioLoop } from './sim-audio-loop.js';
import { wavHeader } from '../wav.js';

/**
 * The talkback speaker on a development machine. It behaves like a DAC:
 * every period of clock time it takes one period's worth of samples from its
 * buffer (silence when the buffer is empty, as in an underrun), and write()
 * resolves only once the buffer is back down to `bufferMs`, so a caller is
 * paced exactly as by aplay on the camera.
 *
 * What it plays sounds into the simulated room (the microphone hears it) and,
 * with a `recordingPath`, is kept and written as a WAV file when each
 * playback ends, replacing the previous one atomically. The recording is held
 * in memory until then: 16 kHz mono is 1.9 MB a minute, fine for a simulator.
 */
export class SimAudioOut implements AudioOut {
  readonly #loop: SimAudioLoop;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #recordingPath: string;
  #current: SimPlayback | null = null;

  constructor(deps: { loop: SimAudioLoop; clock: Clock; logger: Logger; recordingPath?: string }) {
    this.#loop = deps.loop;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#recordingPath = deps.recordingPath ?? '';
  }

  async openPlayback(opts: PlaybackOptions): Promise<PcmPlayback> {
    checkPlaybackOptions(opts);
    if (this.#current) throw new HalError('audio_busy', 'a talkback playback is already open on the simulated speaker');
    const playback = new SimPlayback(opts, { loop: this.#loop, clock: this.#clock, logger: this.#logger, recordingPath: this.#recordingPath });
    this.#current = playback;
    void playback.ended.then(() => {
      if (this.#current === playback) this.#current = null;
    });
    this.#logger.info({ sampleRate: opts.sampleRate, periodMs: opts.periodMs, bufferMs: opts.bufferMs }, 'talkback playback opened');
    return playback;
  }

  async stopAll(): Promise<void> {
    await this.#current?.abort();
  }
}

interface PendingWrite {
  /** Resolve once this many frames have been consumed. */
  untilConsumed: number;
  resolve: () => void;
}

class SimPlayback implements PcmPlayback {
  readonly format: PcmFormat;
  readonly ended: Promise<HalError | null>;
  readonly #loop: SimAudioLoop;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #recordingPath: string;
  readonly #rate: number;
  readonly #bufferFrames: number;
  readonly #periodMs: number;
  readonly #startMs: number;
  readonly #ticker: Timer;
  #queue: Buffer[] = [];
  #queuedFrames = 0;
  #enqueued = 0;
  #consumed = 0;
  /** The simulated DAC's position in frames since open, silence included. */
  #devicePos = 0;
  #pending: PendingWrite[] = [];
  readonly #recording: Buffer[] = [];
  #state: 'open' | 'draining' | 'closed' = 'open';
  #resolveEnded!: (v: HalError | null) => void;

  constructor(opts: PlaybackOptions, deps: { loop: SimAudioLoop; clock: Clock; logger: Logger; recordingPath: string }) {
    this.format = { sampleRate: opts.sampleRate };
    this.#loop = deps.loop;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#recordingPath = deps.recordingPath;
    this.#rate = opts.sampleRate;
    this.#bufferFrames = Math.round((opts.bufferMs * opts.sampleRate) / 1000);
    this.#periodMs = opts.periodMs;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));
    this.#startMs = this.#clock.monotonic();
    this.#ticker = this.#clock.setInterval(() => this.#tick(), opts.periodMs);
  }

  write(pcm: Buffer): Promise<void> {
    if (pcm.length % 2 !== 0) return Promise.reject(new RangeError(`PCM must be whole 16-bit samples, got ${pcm.length} bytes`));
    if (this.#state !== 'open') return Promise.reject(new HalError('playback_closed', 'write after the playback was closed'));
    if (pcm.length === 0) return Promise.resolve();
    this.#queue.push(Buffer.from(pcm)); // the caller may reuse its buffer
    this.#queuedFrames += pcm.length / 2;
    this.#enqueued += pcm.length / 2;
    const untilConsumed = this.#enqueued - this.#bufferFrames;
    if (this.#consumed >= untilConsumed) return Promise.resolve();
    return new Promise((resolve) => this.#pending.push({ untilConsumed, resolve }));
  }

  async drain(): Promise<void> {
    if (this.#state === 'open') {
      this.#state = 'draining';
      if (this.#queuedFrames === 0) await this.#finish();
    }
    await this.ended;
  }

  async abort(): Promise<void> {
    if (this.#state !== 'closed') {
      this.#queue = [];
      this.#queuedFrames = 0;
      await this.#finish();
    }
    await this.ended;
  }

  #tick(): void {
    const due = Math.floor(((this.#clock.monotonic() - this.#startMs) * this.#rate) / 1000);
    const frames = Math.min(due - this.#devicePos, this.#queuedFrames);
    if (frames > 0) {
      const played = this.#take(frames);
      // Samples taken in a period sound one period later, as from a DAC's DMA buffer; this also means a
      // microphone reading the room up to "now" never misses samples a same-instant tick has yet to take.
      this.#loop.play(toSamples(played), this.#rate, this.#startMs + (this.#devicePos * 1000) / this.#rate + this.#periodMs);
      if (this.#recordingPath) this.#recording.push(played);
      this.#consumed += frames;
    }
    this.#devicePos = due;
    const ready = this.#pending.filter((p) => this.#consumed >= p.untilConsumed);
    this.#pending = this.#pending.filter((p) => this.#consumed < p.untilConsumed);
    for (const p of ready) p.resolve();
    if (this.#state === 'draining' && this.#queuedFrames === 0) void this.#finish();
  }

  /** Removes `frames` frames from the head of the queue. */
  #take(frames: number): Buffer {
    const want = frames * 2;
    const parts: Buffer[] = [];
    let got = 0;
    while (got < want) {
      const head = this.#queue[0]!;
      const n = Math.min(head.length, want - got);
      parts.push(head.subarray(0, n));
      got += n;
      if (n === head.length) this.#queue.shift();
      else this.#queue[0] = head.subarray(n);
    }
    this.#queuedFrames -= frames;
    return Buffer.concat(parts);
  }

  async #finish(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#ticker.cancel();
    // Writes waiting for room are released: what they queued was dropped or played.
    for (const p of this.#pending) p.resolve();
    this.#pending = [];
    if (this.#recordingPath) {
      try {
        await writeWavAtomically(this.#recordingPath, Buffer.concat(this.#recording), this.#rate);
      } catch (err) {
        this.#logger.warn({ err, path: this.#recordingPath }, 'could not write the simulated speaker recording');
      }
    }
    this.#logger.info({ playedMs: Math.round((this.#consumed * 1000) / this.#rate) }, 'talkback playback ended');
    this.#resolveEnded(null);
  }
}

function toSamples(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readInt16LE(i * 2);
  return out;
}

/**
 * A reader (a test, a developer's player) never sees a half-written file:
 * temp file in the same directory (so rename is atomic), fsync, rename.
 */
export async function writeWavAtomically(path: string, pcm: Buffer, sampleRate: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(Buffer.concat([wavHeader(pcm.length, sampleRate), pcm]));
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

