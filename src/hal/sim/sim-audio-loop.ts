import { mulberry32 } from '../../core/seeded-random.js';
import type { Clock } from '../../core/clock.js';

/**
 * The air between the simulated board's speaker and microphone: a tone
 * played through SimTone is heard by SimMicrophone while both overlap in
 * (clock) time, attenuated as by a short acoustic path, over a little room
 * noise. This is what lets the factory self-test's speaker→microphone check
 * pass on a development machine, and fail when nothing is played. PCM played
 * through SimAudioOut (talkback) is heard the same way, so an echo path exists.
 */

interface SoundingTone {
  hz: number;
  /** Clock.monotonic() at the first sample. */
  startMs: number;
  endMs: number;
}

interface SoundingPcm {
  samples: Int16Array;
  sampleRate: number;
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
  #pcm: SoundingPcm[] = [];
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

  /** Samples start sounding on the speaker at `startMs` (clock time; default now), at full scale as played. */
  play(samples: Int16Array, sampleRate: number, startMs: number = this.#clock.monotonic()): void {
    if (samples.length === 0) return;
    const now = this.#clock.monotonic();
    this.#pcm = this.#pcm.filter((p) => p.endMs > now - 60_000);
    this.#pcm.push({ samples, sampleRate, startMs, endMs: startMs + (samples.length * 1000) / sampleRate });
  }

  /** What the microphone picked up between startMs and startMs + samples/sampleRate. */
  capture(startMs: number, samples: number, sampleRate: number): Int16Array {
    const pcm = new Int16Array(samples);
    const endMs = startMs + (samples * 1000) / sampleRate;
    const tones = this.#tones.filter((t) => t.startMs < endMs && t.endMs > startMs);
    const pcms = this.#pcm.filter((p) => p.startMs < endMs && p.endMs > startMs);
    for (let i = 0; i < samples; i++) {
      const t = startMs + (i * 1000) / sampleRate;
      let v = (this.#random() * 2 - 1) * NOISE_AMPLITUDE;
      for (const tone of tones) {
        if (t >= tone.startMs && t < tone.endMs) {
          v += PATH_GAIN * SIM_TONE_AMPLITUDE * Math.sin((2 * Math.PI * tone.hz * (t - tone.startMs)) / 1000);
        }
      }
      for (const p of pcms) {
        // Nearest sample, no interpolation: the room is a test double, not a resampler.
        // The epsilon keeps float error from landing an aligned capture one sample early.
        const k = Math.floor(((t - p.startMs) * p.sampleRate) / 1000 + 1e-6);
        if (k >= 0 && k < p.samples.length) v += PATH_GAIN * p.samples[k]!;
      }
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    return pcm;
  }
}
