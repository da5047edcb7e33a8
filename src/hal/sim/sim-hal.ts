import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { HalConfig } from '../config.js';
import type { Hal, PromptId } from '../types.js';
import type { DeviceKeySource } from '../types.js';
import { UNCONFIGURED_KEY_SOURCE } from '../../crypto/device-key-error.js';
import { AplayPlayback } from '../linux/aplay-playback.js';
import { AplaySpeaker } from '../linux/aplay-speaker.js';
import { AplayTone } from '../linux/aplay-tone.js';
import { ArecordMicrophone } from '../linux/arecord-microphone.js';
import { SimAmplifier } from './sim-amplifier.js';
import { SimAudioLoop } from './sim-audio-loop.js';
import { SimAudioOut } from './sim-audio-out.js';
import { SimButton } from './sim-button.js';
import { SimFacts } from './sim-facts.js';
import { SimLed } from './sim-led.js';
import { SimMicrophone } from './sim-microphone.js';
import { SimPower } from './sim-power.js';
import { SimTone } from './sim-tone.js';
import { SimShutter } from './sim-shutter.js';
import { SimSpeaker } from './sim-speaker.js';

/**
 * What the simulator reads: its own keys, plus the ALSA devices for `sim.alsaAudio`
 * and, when given, facts.firmwareVersionFile (the simulated board's installed version).
 */
export type SimHalConfig = Pick<HalConfig, 'sim' | 'speaker' | 'microphone'> & { facts?: Pick<HalConfig['facts'], 'firmwareVersionFile'> };

/**
 * The whole simulated board, with the extra controls the local API exposes in sim mode.
 * With `sim.alsaAudio` the audio parts are the linux ones on hal.speaker/hal.microphone's
 * ALSA devices (a development machine's sound card, or the test rig's PulseAudio).
 */
export class SimHal implements Hal {
  readonly mode = 'sim' as const;
  readonly led: SimLed;
  readonly button: SimButton;
  readonly speaker: SimSpeaker;
  readonly shutter: SimShutter;
  readonly facts: SimFacts;
  /** Speaker and microphone share one simulated room: a tone or talkback audio played is heard. */
  readonly microphone: SimMicrophone | ArecordMicrophone;
  readonly tone: SimTone | AplayTone;
  readonly audioOut: SimAudioOut | AplayPlayback;
  readonly amplifier: SimAmplifier;
  readonly keys: DeviceKeySource;
  readonly power: SimPower;

  constructor(config: SimHalConfig, deps: { logger: Logger; clock: Clock; keys?: DeviceKeySource }) {
    const logger = deps.logger.child({ hal: 'sim' });
    const { clock } = deps;
    const sim = config.sim;
    this.led = new SimLed(logger);
    this.button = new SimButton({ clock, logger, buttonFile: sim.buttonFile });
    this.shutter = new SimShutter({ logger, shutterFile: sim.shutterFile });
    this.facts = new SimFacts({ ...sim, firmwareVersionFile: config.facts?.firmwareVersionFile ?? '' });
    if (sim.alsaAudio) {
      const alsaDevice = config.speaker.alsaDevice;
      this.speaker = new AlsaSimSpeaker(logger, new AplaySpeaker({ alsaDevice, promptsDir: config.speaker.promptsDir, clock, logger }));
      this.microphone = new ArecordMicrophone({ alsaDevice: config.microphone.alsaDevice, clock, logger });
      this.tone = new AplayTone({ alsaDevice, clock, logger });
      this.audioOut = new AplayPlayback({ alsaDevice, clock, logger });
    } else {
      const room = new SimAudioLoop({ clock });
      this.speaker = new SimSpeaker(logger);
      this.microphone = new SimMicrophone({ loop: room, clock });
      this.tone = new SimTone({ loop: room, clock, logger });
      this.audioOut = new SimAudioOut({ loop: room, clock, logger, recordingPath: sim.speakerRecording });
    }
    this.amplifier = new SimAmplifier(logger);
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
    if ('stopAll' in this.tone) await this.tone.stopAll();
    await this.audioOut.stopAll();
    if ('stopAll' in this.microphone) await this.microphone.stopAll();
    await this.amplifier.set(false);
  }

  simulatePress(ms: number): Promise<void> {
    return this.button.simulatePress(ms);
  }

  setShutter(closed: boolean): void {
    this.shutter.setShutter(closed);
  }
}

/**
 * Prompts logged and remembered as by SimSpeaker (the sim API and tests read
 * lastPrompt()), and also played through aplay.
 */
class AlsaSimSpeaker extends SimSpeaker {
  readonly #aplay: AplaySpeaker;

  constructor(logger: Logger, aplay: AplaySpeaker) {
    super(logger);
    this.#aplay = aplay;
  }

  override async playPrompt(id: PromptId, language: string): Promise<void> {
    await super.playPrompt(id, language);
    await this.#aplay.playPrompt(id, language);
  }

  override async stopAll(): Promise<void> {
    await this.#aplay.stopAll();
  }
}
