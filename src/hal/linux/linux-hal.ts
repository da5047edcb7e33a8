import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { HalConfig } from '../config.js';
import { GestureButton } from '../gesture-button.js';
import type { Hal } from '../types.js';
import type { DeviceKeySource } from '../types.js';
import { UNCONFIGURED_KEY_SOURCE } from '../../crypto/device-key-error.js';
import { AplayPlayback } from './aplay-playback.js';
import { AplaySpeaker } from './aplay-speaker.js';
import { CommandPower } from './command-power.js';
import { AplayTone } from './aplay-tone.js';
import { ArecordMicrophone } from './arecord-microphone.js';
import { EvdevButton } from './evdev-button.js';
import { GpioShutter } from './gpio-shutter.js';
import { GpiomonButton } from './gpiomon-button.js';
import { ProcFacts } from './proc-facts.js';
import { underRoot } from './sys-path.js';
import { SysfsLedChannel } from './sysfs-led-channel.js';
import { SysfsAmplifier } from './sysfs-amplifier.js';
import { SysfsStatusLed } from './sysfs-status-led.js';

type ButtonPart = GestureButton & { start?(): Promise<void>; stop?(): Promise<void> };

/** The camera's real hardware. Every absolute path is resolved under config.sysRoot. */
export class LinuxHal implements Hal {
  readonly mode = 'linux' as const;
  readonly led: SysfsStatusLed;
  readonly button: ButtonPart;
  readonly speaker: AplaySpeaker;
  readonly shutter: GpioShutter;
  readonly facts: ProcFacts;
  readonly microphone: ArecordMicrophone;
  readonly tone: AplayTone;
  readonly audioOut: AplayPlayback;
  readonly amplifier: SysfsAmplifier;
  readonly keys: DeviceKeySource;
  readonly power: CommandPower;

  constructor(config: HalConfig, deps: { logger: Logger; clock: Clock; keys?: DeviceKeySource }) {
    const logger = deps.logger.child({ hal: 'linux' });
    const { clock } = deps;
    const root = (p: string): string => underRoot(config.sysRoot, p);
    const ledDir = (name: string): string | null => (name ? root(join('/sys/class/leds', name)) : null);
    this.led = new SysfsStatusLed({
      blue: new SysfsLedChannel('blue', ledDir(config.led.blue), logger),
      red: new SysfsLedChannel('red', ledDir(config.led.red), logger),
      clock,
    });
    const b = config.button;
    if (b.source === 'evdev') {
      this.button = new EvdevButton({ path: root(b.evdevPath), keyCode: b.evdevKeyCode, layout: b.evdevLayout, clock, logger });
    } else if (b.source === 'gpiod') {
      this.button = new GpiomonButton({ chip: b.gpioChip, line: b.gpioLine, activeLow: b.activeLow, clock, logger });
    } else {
      // No button on this board: listeners simply never fire.
      this.button = new GestureButton({ clock, logger });
    }
    this.speaker = new AplaySpeaker({
      alsaDevice: config.speaker.alsaDevice,
      promptsDir: root(config.speaker.promptsDir),
      clock,
      logger,
    });
    this.shutter = new GpioShutter({
      valuePath: config.shutter.gpioValuePath ? root(config.shutter.gpioValuePath) : '',
      activeLow: config.shutter.activeLow,
      clock,
      logger,
    });
    this.facts = new ProcFacts({ sysRoot: config.sysRoot, ...config.facts });
    this.microphone = new ArecordMicrophone({ alsaDevice: config.microphone.alsaDevice, clock, logger });
    this.tone = new AplayTone({ alsaDevice: config.speaker.alsaDevice, clock, logger });
    this.audioOut = new AplayPlayback({ alsaDevice: config.speaker.alsaDevice, clock, logger });
    this.amplifier = new SysfsAmplifier({
      valuePath: config.amplifier.gpioValuePath ? root(config.amplifier.gpioValuePath) : '',
      activeLow: config.amplifier.activeLow,
      settleMs: config.amplifier.settleMs,
      clock,
      logger,
    });
    this.power = new CommandPower({ argv: config.power.rebootCommand.split(' ').filter(Boolean), logger });
    this.keys = deps.keys ?? UNCONFIGURED_KEY_SOURCE;
  }

  async start(): Promise<void> {
    await this.led.start();
    await this.button.start?.();
    await this.shutter.start();
  }

  async stop(): Promise<void> {
    await this.speaker.stopAll();
    await this.tone.stopAll();
    await this.audioOut.stopAll();
    await this.microphone.stopAll();
    // Best effort: an amplifier left on hisses and draws current; the failure is already logged.
    await this.amplifier.set(false).catch(() => undefined);
    await this.shutter.stop();
    await this.button.stop?.();
    await this.led.stop();
  }
}
