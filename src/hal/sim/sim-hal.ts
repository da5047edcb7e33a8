import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { HalConfig } from '../config.js';
import type { Hal } from '../types.js';
import { SimButton } from './sim-button.js';
import { SimFacts } from './sim-facts.js';
import { SimLed } from './sim-led.js';
import { SimShutter } from './sim-shutter.js';
import { SimSpeaker } from './sim-speaker.js';

/** The whole simulated board, with the extra controls the local API exposes in sim mode. */
export class SimHal implements Hal {
  readonly mode = 'sim' as const;
  readonly led: SimLed;
  readonly button: SimButton;
  readonly speaker: SimSpeaker;
  readonly shutter: SimShutter;
  readonly facts: SimFacts;

  constructor(config: HalConfig['sim'], deps: { logger: Logger; clock: Clock }) {
    const logger = deps.logger.child({ hal: 'sim' });
    this.led = new SimLed(logger);
    this.button = new SimButton({ clock: deps.clock, logger, buttonFile: config.buttonFile });
    this.speaker = new SimSpeaker(logger);
    this.shutter = new SimShutter({ logger, shutterFile: config.shutterFile });
    this.facts = new SimFacts(config);
  }

  async start(): Promise<void> {
    await this.button.start();
    await this.shutter.start();
  }

  async stop(): Promise<void> {
    await this.shutter.stop();
    await this.button.stop();
    await this.speaker.stopAll();
  }

  simulatePress(ms: number): Promise<void> {
    return this.button.simulatePress(ms);
  }

  setShutter(closed: boolean): void {
    this.shutter.setShutter(closed);
  }
}
