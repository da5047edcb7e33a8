import type { Clock, Timer } from '../../core/clock.js';
import type { HalError } from '../hal-error.js';
import type { Microphone, PcmCapture, PcmFormat } from '../types.js';
import type { SimAudioLoop } from './sim-audio-loop.js';

/** How often an open capture delivers: 20 ms, the talkback frame length. */
const CHUNK_MS = 20;

/** The microphone on a development machine: records the simulated room in clock time. */
export class SimMicrophone implements Microphone {
  readonly #loop: SimAudioLoop;
  readonly #clock: Clock;

  constructor(deps: { loop: SimAudioLoop; clock: Clock }) {
    this.#loop = deps.loop;
    this.#clock = deps.clock;
  }

  record(ms: number, sampleRate: number): Promise<Int16Array> {
    const startMs = this.#clock.monotonic();
    const samples = Math.round((ms * sampleRate) / 1000);
    return new Promise((resolve) => {
      // Captured at the end, like a real buffer: a tone started meanwhile is in it.
      this.#clock.setTimeout(() => resolve(this.#loop.capture(startMs, samples, sampleRate)), ms);
    });
  }

  /**
   * Streams the room in real (clock) time: every CHUNK_MS, the samples that
   * fell due since the last chunk. The count follows elapsed time rather than
   * the number of ticks, so a late timer gives a longer chunk, not a drift.
   */
  async open(format: PcmFormat): Promise<PcmCapture> {
    const { sampleRate } = format;
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 192_000) throw new RangeError(`cannot capture at ${sampleRate} Hz`);
    const listeners = new Set<(pcm: Buffer) => void>();
    const startMs = this.#clock.monotonic();
    let delivered = 0;
    let resolveEnded!: (v: HalError | null) => void;
    const ended = new Promise<HalError | null>((resolve) => (resolveEnded = resolve));
    const timer: Timer = this.#clock.setInterval(() => {
      const due = Math.floor(((this.#clock.monotonic() - startMs) * sampleRate) / 1000);
      if (due <= delivered) return;
      const pcm = this.#loop.capture(startMs + (delivered * 1000) / sampleRate, due - delivered, sampleRate);
      delivered = due;
      const bytes = Buffer.alloc(pcm.length * 2);
      pcm.forEach((s, i) => bytes.writeInt16LE(s, i * 2));
      for (const listener of listeners) listener(bytes);
    }, CHUNK_MS);
    return {
      format: { sampleRate },
      ended,
      onData(listener) {
        listeners.add(listener);
      },
      async stop() {
        timer.cancel();
        listeners.clear();
        resolveEnded(null);
      },
    };
  }
}
