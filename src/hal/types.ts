import type { ButtonEvent } from './button-gesture.js';
import type { HalError } from './hal-error.js';

/**
 * The hardware interface: everything the agent needs from the board that a
 * development machine lacks. Each part has a production implementation for
 * Linux (sysfs, gpiod, ALSA, /proc) and a simulated one; `hal.mode` picks.
 */

/** What the status LED is telling the user. Patterns are defined in led-patterns.ts. */
export type LedPattern = 'off' | 'provisioning' | 'joining' | 'online' | 'error' | 'identify' | 'privacy' | 'talkback';

export interface StatusLed {
  show(pattern: LedPattern): Promise<void>;
  current(): LedPattern;
}

/**
 * What a press of the reset button means, by how long it was held:
 * short (< 5 s), reset to provisioning (5–15 s), factory reset (≥ 15 s).
 */
export type ButtonGesture = 'short' | 'reset-provisioning' | 'factory-reset';

export interface ResetButton {
  /** Listen for completed gestures; returns the unsubscribe function. */
  onGesture(listener: (gesture: ButtonGesture, heldMs: number) => void): () => void;
  /**
   * Every step of a press (pressed, threshold crossed while held, gesture,
   * stuck), so the LED can tell the person holding the button when to let go.
   */
  onButtonEvent(listener: (event: ButtonEvent) => void): () => void;
}

/** Spoken prompts the camera plays; one audio file per prompt and language. */
export type PromptId =
  | 'waiting-for-wifi'
  | 'qr-read'
  | 'connecting'
  | 'connected'
  | 'wrong-password'
  | 'network-not-found'
  | 'connection-failed'
  | 'binding-failed'
  | 'bound'
  | 'reset-provisioning'
  | 'factory-reset'
  | 'identify';

export interface Speaker {
  /** Play one prompt to the end; falls back to English when the language has no file. */
  playPrompt(id: PromptId, language: string): Promise<void>;
}

export interface PrivacyShutter {
  isClosed(): Promise<boolean>;
  onChange(listener: (closed: boolean) => void): () => void;
}

export interface SystemFactsSnapshot {
  serial: string | null;
  mac: string | null;
  firmwareVersion: string | null;
  uptimeSeconds: number;
  /** SoC temperature in °C, null where the board has no sensor. */
  temperatureC: number | null;
}

export interface SystemFacts {
  read(): Promise<SystemFactsSnapshot>;
}

/**
 * Device-unique secret material from which the personal-data store's key
 * encryption key is derived (HKDF). Production: the factory partition's
 * device-secret file (and the SoC's unique id where the board exposes one);
 * simulated: a file in the data partition.
 */
export interface DeviceKeySource {
  /** At least 32 bytes of input key material; the same on every call on this unit. */
  keyMaterial(): Promise<Uint8Array>;
}

/** Mono signed 16-bit little-endian PCM: the only sample format the agent moves around. */
export interface PcmFormat {
  sampleRate: number;
}

/**
 * A continuous capture (talkback uplink). PCM arrives in chunks of whole
 * samples, in real time, until stop() or a device failure.
 */
export interface PcmCapture {
  readonly format: PcmFormat;
  /** Listen for PCM chunks (mono S16LE, whole samples). */
  onData(listener: (pcm: Buffer) => void): void;
  /** Resolves once when the capture ends: null after stop(), the error when the device failed. */
  readonly ended: Promise<HalError | null>;
  /** Close the device; idempotent. */
  stop(): Promise<void>;
}

/** PCM capture for the factory self-test and talkback uplink. */
export interface Microphone {
  /** Record `ms` milliseconds of mono signed 16-bit little-endian PCM at `sampleRate`. */
  record(ms: number, sampleRate: number): Promise<Int16Array>;
  /** Open the microphone until stop(): the talkback uplink. The device is open only while this runs. */
  open(format: PcmFormat): Promise<PcmCapture>;
}

/** A playback stream to the speaker (talkback downlink). */
export interface PcmPlayback {
  readonly format: PcmFormat;
  /**
   * Queue PCM (mono S16LE, whole samples). Resolves when the device side has
   * taken it (pipe back-pressure), so a caller that awaits never queues more
   * than the ALSA buffer plus one pipe's worth.
   */
  write(pcm: Buffer): Promise<void>;
  /** Play out everything queued, then close the device. */
  drain(): Promise<void>;
  /** Close the device now, dropping what is queued; idempotent. */
  abort(): Promise<void>;
  /** Resolves once when the playback ends: null after drain()/abort(), the error when the device failed. */
  readonly ended: Promise<HalError | null>;
}

export interface PlaybackOptions extends PcmFormat {
  /** ALSA period and buffer: short, because talkback latency adds up from them. */
  periodMs: number;
  bufferMs: number;
}

/** The speaker as a PCM sink, for talkback. Prompts keep using Speaker. */
export interface AudioOut {
  openPlayback(opts: PlaybackOptions): Promise<PcmPlayback>;
}

/** The speaker amplifier's enable line; boards without one get an always-on stand-in. */
export interface Amplifier {
  /** Switch the amplifier; on(true) resolves after the configured settle time. */
  set(on: boolean): Promise<void>;
  isOn(): boolean;
}

/** A raw test tone for the factory self-test (and later the talkback test tone). */
export interface TonePlayer {
  /** Play a sine of `hz` for `ms` at `sampleRate` through the prompt output. */
  playTone(hz: number, ms: number, sampleRate: number): Promise<void>;
}

/** Restarting the whole camera (cloud `reboot` op, technician API). */
export interface Power {
  reboot(reason: string): Promise<void>;
}

export interface Hal {
  readonly mode: 'sim' | 'linux';
  readonly led: StatusLed;
  readonly button: ResetButton;
  readonly speaker: Speaker;
  readonly shutter: PrivacyShutter;
  readonly facts: SystemFacts;
  readonly keys: DeviceKeySource;
  readonly microphone: Microphone;
  readonly tone: TonePlayer;
  readonly audioOut: AudioOut;
  readonly amplifier: Amplifier;
  readonly power: Power;
  start(): Promise<void>;
  stop(): Promise<void>;
}
