/**
 * Failures of the hardware layer, as values with a code so a user-facing
 * surface (API reply, LED, log line) can map them without parsing messages.
 */
export type HalErrorCode =
  /** No audio file for the prompt in the requested language nor in English. */
  | 'prompt_missing'
  /** aplay/arecord could not be started or exited with an error (device busy, no card, bad file). */
  | 'audio_device_failed'
  /**
   * The speaker is taken: a talkback playback is already open, or a talkback
   * session already holds the shared output. One talker at a time.
   */
  | 'audio_busy'
  /** PCM was written to a playback after drain() or abort(), or after it ended. */
  | 'playback_closed'
  /** The amplifier enable GPIO could not be written. */
  | 'amplifier_failed'
  /** The prompt was queued or playing when the speaker was stopped. */
  | 'speaker_stopped'
  /** A simulated press was requested while another one is still held. */
  | 'button_busy'
  /** A simulated press duration is not a positive whole number of milliseconds in range. */
  | 'invalid_press_duration'
  /** The reboot command is missing or failed. */
  | 'reboot_failed';

export class HalError extends Error {
  readonly code: HalErrorCode;

  constructor(code: HalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HalError';
    this.code = code;
  }
}

export function isHalError(err: unknown, code?: HalErrorCode): err is HalError {
  return err instanceof HalError && (code === undefined || err.code === code);
}
