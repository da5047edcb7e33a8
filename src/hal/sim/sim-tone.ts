import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { TonePlayer } from '../types.js';
import type { SimAudioLoop } from './sim-audio-loop.js';

/** The test tone on a development machine: sounds into the simulated room for `ms` of clock time. */
export class SimTone implements TonePlayer {
  readonly #loop: SimAudioLoop;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(deps: { loop: SimAudioLoop; clock: Clock; logger: Logger }) {
    this.#loop = deps.loop;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  playTone(hz: number, ms: number, _sampleRate: number): Promise<void> {
    this.#logger.info({ hz, ms }, 'test tone');
    this.#loop.emit(hz, ms);
    return new Promise((resolve) => {
      this.#clock.setTimeout(resolve, ms);
    });
  }
}
