import type { Clock } from '../../core/clock.js';
import type { Microphone } from '../types.js';
import type { SimAudioLoop } from './sim-audio-loop.js';

/** The microphone on a development machine: records the simulated room for `ms` of clock time. */
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
}
