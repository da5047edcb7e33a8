/**
 * Failure classes of the video pipeline. The code is what an API, MQTT reply
 * or LED pattern maps; the message is for humans and is always built from
 * credential-masked text (see log/url-mask.ts).
 */
export type MediaErrorCode =
  /** ffmpeg could not be found or spawned (missing package, bad path). */
  | 'ffmpeg_spawn_failed'
  /** ffmpeg exited by itself: bad input, unreachable camera, auth failure… */
  | 'ffmpeg_exited'
  /** ffmpeg died from a signal nobody in the agent sent (OOM killer, operator). */
  | 'ffmpeg_killed'
  /** ffmpeg was alive but delivered no frame within the stall timeout. */
  | 'ffmpeg_stalled'
  /** A non-looping file input reached its end; nothing more will come. */
  | 'input_ended'
  /** The frame source configuration is out of range. */
  | 'invalid_config'
  /** The streamer's ONVIF service could not be found or asked for a stream yet. */
  | 'input_unresolved';

export class MediaError extends Error {
  override readonly name = 'MediaError';

  constructor(
    readonly code: MediaErrorCode,
    message: string,
  ) {
    super(message);
  }
}
