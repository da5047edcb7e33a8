import { mulberry32 } from '../../core/seeded-random.js';
import type { Clock } from '../../core/clock.js';

/**
 * The air between the simulated board's speaker and microphone: a tone
 * played through SimTone is heard by SimMicrophone while both overlap in
 * (clock) time, attenuated as by a short acoustic path, over a little room
 * noise. This is what lets the factory self-test's speaker→microphone check
 * pass on a development machine, and fail when nothing is played.
 */

interface SoundingTone {
  hz: number;
  /** Clock.monotonic() at the first sample. */
  startMs: number;
  endMs: number;
}

/** Speaker-to-microphone gain: the tone arrives about 10 dB down. */
const PATH_GAIN = 0.3;
/** Full-scale amplitude SimTone plays at (−6 dBFS, as the linux tone). */
export const SIM_TONE_AMPLITUDE = 16384;
/** Room noise, peak amplitude: about −50 dBFS. */
const NOISE_AMPLITUDE = 100;

export class SimAudioLoop {
  readonly #clock: Clock;
  #tones: SoundingTone[] = [];
  readonly #random: () => number;

  constructor(deps: { clock: Clock; seed?: number }) {
    this.#clock = deps.clock;
    this.#random = mulberry32(deps.seed ?? 0x5eed);
  }

  /** A tone starts now on the speaker. */
  emit(hz: number, ms: number): void {
    const now = this.#clock.monotonic();
    // Forget tones that ended long ago; no recording is longer than a minute.
    this.#tones = this.#tones.filter((t) => t.endMs > now - 60_000);
    this.#tones.push({ hz, startMs: now, endMs: now + ms });
  }

  /** What the microphone picked up between startMs and startMs + samples/sampleRate. */
  capture(startMs: number, samples: number, sampleRate: number): Int16Array {
    const pcm = new Int16Array(samples);
    const endMs = startMs + (samples * 1000) / sampleRate;
    const tones = this.#tones.filter((t) => t.startMs < endMs && t.endMs > startMs);
    for (let i = 0; i < samples; i++) {
      const t = startMs + (i * 1000) / sampleRate;
      let v = (this.#random() * 2 - 1) * NOISE_AMPLITUDE;
      for (const tone of tones) {
        if (t >= tone.startMs && t < tone.endMs) {
          v += PATH_GAIN * SIM_TONE_AMPLITUDE * Math.sin((2 * Math.PI * tone.hz * (t - tone.startMs)) / 1000);
        }
      }
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    return pcm;
  }
}
