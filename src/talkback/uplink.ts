import type { Microphone, PcmCapture } from '../hal/types.js';
import type { Logger } from '../log/logger.js';
import type { AudioTranscoder } from '../media/ffmpeg.js';
import type { CodecSpec } from './codec.js';
import { createPayloadSplitter, type PayloadSplitter } from './payload-splitter.js';
import { silenceLike } from './pcm.js';
import { encodeTalkFrame } from './talk-frame.js';

/**
 * Microphone → app: ALSA capture at the codec's rate, one ffmpeg encoder
 * for the session's codec, its output cut into payloads and framed.
 *
 * Half duplex is done on the PCM, before the encoder: while the far end
 * speaks the microphone's samples are replaced by silence, so the camera
 * never sends the app its own voice back (no camera in the field does
 * echo cancellation; the anchors all mute). The frames keep flowing with
 * their timing unless `suppressMuted` (push-to-talk over MQTT, where every
 * message costs), in which case muted frames are not sent at all.
 */
export interface UplinkDeps {
  codec: CodecSpec;
  microphone: Microphone;
  /** Starts the encoder (ffmpeg reading S16LE mono at codec.sampleRate on stdin). */
  spawnEncoder: () => AudioTranscoder;
  /** Whether the microphone must be muted now (half duplex: the far end speaks). */
  muted: () => boolean;
  /** Drop muted frames instead of sending silence. */
  suppressMuted: boolean;
  /** Hand one wire frame to the transport; false = dropped there (back-pressure). */
  send: (frame: Uint8Array) => boolean;
  logger: Logger;
}

export interface UplinkStats {
  framesSent: number;
  framesDropped: number;
  framesMuted: number;
  capturedMs: number;
}

export class Uplink {
  readonly #deps: UplinkDeps;
  readonly #splitter: PayloadSplitter;
  #capture: PcmCapture | null = null;
  #encoder: AudioTranscoder | null = null;
  #seq = 0;
  #timestamp = 0;
  #first = true;
  #closed = false;
  #failure: ((err: Error) => void) | null = null;
  /** Muted state per encoded chunk, in order: the encoder's output lags its input. */
  #mutedSamples = 0;
  readonly #stats: UplinkStats = { framesSent: 0, framesDropped: 0, framesMuted: 0, capturedMs: 0 };

  constructor(deps: UplinkDeps) {
    this.#deps = deps;
    this.#splitter = createPayloadSplitter(deps.codec);
  }

  onFailure(listener: (err: Error) => void): void {
    this.#failure = listener;
  }

  /** Open the microphone and the encoder; the microphone is open only between start() and stop(). */
  async start(): Promise<void> {
    const encoder = this.#deps.spawnEncoder();
    this.#encoder = encoder;
    encoder.onData((bytes) => this.#onEncoded(bytes));
    void encoder.exited.then((exit) => {
      if (this.#closed) return;
      this.#deps.logger.warn({ code: exit.code, signal: exit.signal, reason: exit.error?.message }, 'talkback encoder ended');
      this.#failure?.(new Error(`talkback encoder ended: ${exit.error?.message ?? 'exit'}`));
    });
    const rate = this.#deps.codec.sampleRate;
    let capture: PcmCapture;
    try {
      capture = await this.#deps.microphone.open({ sampleRate: rate });
    } catch (err) {
      this.#closed = true;
      encoder.kill();
      throw err;
    }
    if (this.#closed) {
      await capture.stop();
      return;
    }
    this.#capture = capture;
    capture.onData((pcm) => {
      if (this.#closed) return;
      this.#stats.capturedMs += ((pcm.length >> 1) * 1000) / rate;
      const muted = this.#deps.muted();
      if (muted) this.#mutedSamples += pcm.length >> 1;
      else this.#mutedSamples = 0;
      encoder.write(muted ? silenceLike(pcm) : pcm);
    });
    void capture.ended.then((err) => {
      if (err && !this.#closed) this.#failure?.(err);
    });
  }

  stats(): UplinkStats {
    return { ...this.#stats, capturedMs: Math.round(this.#stats.capturedMs) };
  }

  async stop(): Promise<void> {
    if (this.#closed && !this.#capture && !this.#encoder) return;
    this.#closed = true;
    const capture = this.#capture;
    this.#capture = null;
    await capture?.stop();
    const encoder = this.#encoder;
    this.#encoder = null;
    if (encoder) {
      encoder.kill();
      await encoder.exited;
    }
  }

  #onEncoded(bytes: Buffer): void {
    if (this.#closed) return;
    for (const { payload, duration } of this.#splitter.push(bytes)) {
      // Muted for at least a frame's worth of samples: this frame is silence.
      const muted = this.#mutedSamples > 0;
      const frame = encodeTalkFrame({
        type: 'audio',
        codec: this.#deps.codec.name,
        seq: this.#seq,
        timestamp: this.#timestamp,
        marker: this.#first,
        payload,
      });
      this.#seq = (this.#seq + 1) >>> 0;
      this.#timestamp = (this.#timestamp + duration) >>> 0;
      if (muted) {
        this.#stats.framesMuted++;
        if (this.#deps.suppressMuted) {
          // The next frame sent after the pause starts a new talk spurt.
          this.#first = true;
          continue;
        }
      }
      this.#first = false;
      if (this.#deps.send(frame)) this.#stats.framesSent++;
      else this.#stats.framesDropped++;
    }
  }
}
