import type { Hal } from './types.js';
import type { SharedAudioOutput } from './shared-audio-output.js';

/**
 * The board as the rest of the agent sees it: the same parts, except that
 * prompts and test tones go through the shared audio output, so whoever
 * plays a prompt (indicator, provisioning, the API's identify) waits while
 * a talkback session holds the speaker, without knowing about talkback.
 */
export function withSharedAudio(hal: Hal, output: SharedAudioOutput): Hal {
  return {
    mode: hal.mode,
    led: hal.led,
    button: hal.button,
    speaker: output.speaker,
    shutter: hal.shutter,
    facts: hal.facts,
    keys: hal.keys,
    microphone: hal.microphone,
    tone: output.tone,
    audioOut: hal.audioOut,
    amplifier: hal.amplifier,
    power: hal.power,
    start: () => hal.start(),
    stop: () => hal.stop(),
  };
}
