import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { HalConfig } from '../config.js';
import type { Hal } from '../types.js';
import type { DeviceKeySource } from '../types.js';
import { UNCONFIGURED_KEY_SOURCE } from '../../crypto/device-key-error.js';
import { SimAudioLoop } from './sim-audio-loop.js';
import { SimButton } from './sim-button.js';
import { SimFacts } from './sim-facts.js';
import { SimLed } from './sim-led.js';
import { SimMicrophone } from './sim-microphone.js';
import { SimPower } from './sim-power.js';
import { SimTone } from './sim-tone.js';
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
  /** Speaker and microphone share one simulated room: a tone played is heard. */
  readonly microphone: SimMicrophone;
  readonly tone: SimTone;
  readonly keys: DeviceKeySource;
  readonly power: SimPower;

  constructor(config: HalConfig['sim'], deps: { logger: Logger; clock: Clock; keys?: DeviceKeySource }) {
    const logger = deps.logger.child({ hal: 'sim' });
    this.led = new SimLed(logger);
    this.button = new SimButton({ clock: deps.clock, logger, buttonFile: config.buttonFile });
    this.speaker = new SimSpeaker(logger);
    this.shutter = new SimShutter({ logger, shutterFile: config.shutterFile });
    this.facts = new SimFacts(config);
    const room = new SimAudioLoop({ clock: deps.clock });
    this.microphone = new SimMicrophone({ loop: room, clock: deps.clock });
    this.tone = new SimTone({ loop: room, clock: deps.clock, logger });
    this.keys = deps.keys ?? UNCONFIGURED_KEY_SOURCE;
    this.power = new SimPower(logger);
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
