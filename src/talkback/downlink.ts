import type { Clock, Timer } from '../core/clock.js';
import type { Amplifier, AudioOut, PcmPlayback } from '../hal/types.js';
import type { Logger } from '../log/logger.js';
import type { AudioTranscoder } from '../media/ffmpeg.js';
import { OPUS_PRE_SKIP, payloadDuration, silencePayloads, type CodecSpec } from './codec.js';
import { JitterBuffer, type JitterOut, type JitterPush } from './jitter-buffer.js';
import { MatroskaAudioWriter } from './matroska-writer.js';
import { pcmLevelDbfs, scalePcm } from './pcm.js';
import { LatencyTracker } from './latency-tracker.js';

/**
 * App → speaker: wire frames through the jitter buffer into one ffmpeg
 * decoder (fed a Matroska stream, one cluster per frame, so it decodes frame
 * by frame instead of in 40 ms raw-demuxer reads), and the decoded PCM, at
 * the session's volume, into the ALSA playback.
 *
 *   receive() → JitterBuffer → (frames | concealed gaps) → MatroskaAudioWriter
 *     → ffmpeg decoder → PCM × volume → PcmPlayback (aplay, short period)
 *
 * The amplifier is switched on before the first sample of a talk spurt and
 * off a little after the last, so a listen-only session does not hiss.
 */
export interface DownlinkSettings {
  /** Percent of full scale, applied to the decoded samples (live). */
  volume: number;
  jitterMs: number;
  maxJitterMs: number;
  periodMs: number;
  bufferMs: number;
}

export interface DownlinkDeps {
  codec: CodecSpec;
  /** Rate of the PCM the decoder puts out (the codec's native rate; ALSA resamples). */
  decodedRate: number;
  audioOut: AudioOut;
  amplifier: Amplifier;
  /** Starts the decoder (ffmpeg reading Matroska on stdin, S16LE mono on stdout). */
  spawnDecoder: () => AudioTranscoder;
  settings: () => DownlinkSettings;
  clock: Clock;
  logger: Logger;
}

export interface DownlinkStats {
  framesReceived: number;
  duplicates: number;
  late: number;
  lost: number;
  reordered: number;
  overflowDrops: number;
  concealedMs: number;
  playedMs: number;
  /** Audio held in the jitter buffer now, and the most it ever held (ms). */
  bufferedMs: number;
  maxBufferedMs: number;
  /** PCM waiting for the playback pipe now, and the most ever (ms). */
  outputQueuedMs: number;
  maxOutputQueuedMs: number;
  outputDrops: number;
  /** Frame arrival → its last sample handed to ALSA. */
  latencyMs: { count: number; p50: number | null; p95: number | null; max: number | null };
}

/** Samples in one AAC-LC access unit. */
const AAC_FRAME_SAMPLES = 1024;
/** Above this level the far end is speaking (half duplex mutes the microphone). */
const VOICE_DBFS = -45;
/** Amplifier off after this long without audio: a quiet speaker, not a hissing one. */
const AMP_IDLE_OFF_MS = 2_000;
/** The most PCM queued for the playback pipe; past it, the oldest is dropped so latency cannot grow. */
const MAX_OUTPUT_QUEUE_MS = 250;

export class Downlink {
  readonly #deps: DownlinkDeps;
  readonly #jitter: JitterBuffer;
  readonly #writer: MatroskaAudioWriter;
  readonly #latency = new LatencyTracker();
  #decoder: AudioTranscoder | null = null;
  #playback: PcmPlayback | null = null;
  #opening: Promise<PcmPlayback> | null = null;
  #pumpTimer: Timer | null = null;
  #ampOffTimer: Timer | null = null;
  /** Clock units written to the decoder so far: the Matroska timestamps and the sample positions. */
  #writtenTs = 0;
  #decodedSamplesOut = 0;
  #lastVoiceMs = -Infinity;
  #lastFrameMs = -Infinity;
  #closed = false;
  #failure: ((err: Error) => void) | null = null;
  /** Playback writes in flight, in order; the queue is bounded by #queuedSamples. */
  #chain: Promise<void> = Promise.resolve();
  #queuedSamples = 0;
  #maxQueuedSamples = 0;
  #outputDrops = 0;
  #playedTs = 0;
  #concealedTs = 0;

  constructor(deps: DownlinkDeps) {
    this.#deps = deps;
    const s = deps.settings();
    this.#jitter = new JitterBuffer({
      clockRate: deps.codec.clockRate,
      depthMs: s.jitterMs,
      maxDepthMs: s.maxJitterMs,
      // No lead: fed one Matroska cluster per frame, ffmpeg decodes each frame
      // as it arrives (~0.3 ms, media/audio-transcode-args.ts).
    });
    this.#writer = new MatroskaAudioWriter(deps.codec);
  }

  /** Report a failure of the decoder or the audio device (the session ends). */
  onFailure(listener: (err: Error) => void): void {
    this.#failure = listener;
  }

  /**
   * Start the decoder now, before any audio: ffmpeg takes tens of ms to
   * start (hundreds on a small ARM core), which would otherwise land on
   * the first words.
   */
  async start(): Promise<void> {
    const decoder = this.#ensureDecoder();
    // The device is opened now too (aplay, and a PulseAudio or codec driver
    // behind it, can take a while) and the session is answered only once it
    // is open: the far end's first words then never wait behind it.
    const [spawned] = await Promise.all([decoder.started, this.#openPlayback()]);
    if (!spawned) throw new Error('the talkback decoder (ffmpeg) did not start');
  }

  /** One audio frame from the far end. */
  receive(frame: { seq: number; timestamp: number; marker: boolean; payload: Uint8Array }, arrivalMs: number): JitterPush | 'malformed' {
    if (this.#closed) return 'late';
    const duration = payloadDuration(this.#deps.codec, frame.payload);
    if (duration === null) return 'malformed';
    this.#lastFrameMs = arrivalMs;
    const result = this.#jitter.push({ seq: frame.seq, timestamp: frame.timestamp, duration, payload: frame.payload, marker: frame.marker }, arrivalMs);
    if (result === 'accepted') {
      this.#ampOffTimer?.cancel();
      this.#ampOffTimer = null;
      this.#schedulePump();
    }
    return result;
  }

  /** The far end finished a talk spurt: play what is held without waiting for more. */
  endOfSpurt(): void {
    this.#pump(Infinity);
  }

  /** Whether the far end was heard within `hangMs` (half duplex: the level of what the speaker plays). */
  farEndSpeaking(nowMs: number, hangMs: number): boolean {
    return nowMs - this.#lastVoiceMs < hangMs;
  }

  /**
   * Whether audio frames arrived within `hangMs` (push-to-talk: the app's
   * talk button is held, pauses between words included), or were still
   * being played out then.
   */
  farEndTalking(nowMs: number, hangMs: number): boolean {
    return nowMs - this.#lastFrameMs < hangMs + this.#deps.settings().jitterMs || this.farEndSpeaking(nowMs, hangMs);
  }

  stats(): DownlinkStats {
    const j = this.#jitter.stats();
    const rate = this.#deps.codec.clockRate;
    const ms = (ts: number): number => Math.round((ts * 1000) / rate);
    const outMs = (samples: number): number => Math.round((samples * 1000) / this.#deps.decodedRate);
    return {
      framesReceived: j.received,
      duplicates: j.duplicates,
      late: j.late,
      lost: j.lost,
      reordered: j.reordered,
      overflowDrops: j.overflowDrops,
      concealedMs: ms(this.#concealedTs),
      playedMs: ms(this.#playedTs),
      bufferedMs: ms(this.#jitter.heldDuration()),
      maxBufferedMs: ms(this.#jitter.maxHeldDuration()),
      outputQueuedMs: outMs(this.#queuedSamples),
      maxOutputQueuedMs: outMs(this.#maxQueuedSamples),
      outputDrops: this.#outputDrops,
      latencyMs: this.#latency.summary(),
    };
  }

  /** Raw latency samples (ms), for the bench. */
  latencySamples(): readonly number[] {
    return this.#latency.samples();
  }

  /**
   * End the downlink. 'drain' plays what is buffered first (the far end
   * hung up after its last word); 'abort' cuts it (privacy, shutdown).
   */
  async close(mode: 'drain' | 'abort'): Promise<void> {
    if (this.#closed) return;
    if (mode === 'drain') this.#pump(Infinity);
    this.#closed = true;
    for (const t of [this.#pumpTimer, this.#ampOffTimer]) t?.cancel();
    const decoder = this.#decoder;
    if (decoder) {
      if (mode === 'drain') {
        decoder.end();
        await Promise.race([decoder.exited, delay(this.#deps.clock, 2_000)]);
      }
      decoder.kill();
      await decoder.exited;
    }
    await this.#chain;
    const playback = this.#playback ?? (this.#opening ? await this.#opening.catch(() => null) : null);
    if (playback) {
      if (mode === 'drain') await playback.drain().catch(() => undefined);
      else await playback.abort();
    }
    await this.#ampOff();
  }

  #schedulePump(): void {
    const due = this.#jitter.nextDueMs();
    if (due === null) return;
    const wait = Math.max(0, due - this.#deps.clock.monotonic());
    this.#pumpTimer?.cancel();
    this.#pumpTimer = this.#deps.clock.setTimeout(() => {
      this.#pumpTimer = null;
      this.#pump(this.#deps.clock.monotonic());
    }, wait);
  }

  #pump(nowMs: number): void {
    if (this.#closed) return;
    const out = this.#jitter.pull(nowMs);
    for (const item of out) this.#feed(item);
    if (this.#jitter.nextDueMs() !== null) {
      this.#schedulePump();
      return;
    }
    // The buffer ran dry (the far end paused): the amplifier goes off if the pause lasts.
    if (out.length > 0) {
      this.#ampOffTimer?.cancel();
      this.#ampOffTimer = this.#deps.clock.setTimeout(() => {
        this.#ampOffTimer = null;
        void this.#chain.then(() => this.#ampOff());
      }, AMP_IDLE_OFF_MS);
    }
  }

  #feed(item: JitterOut): void {
    if (item.kind === 'gap') {
      this.#conceal(item.duration);
      return;
    }
    const { frame, arrivalMs } = item;
    this.#write(frame.payload, frame.duration);
    this.#playedTs += frame.duration;
    this.#latency.expect(this.#samplesAt(this.#writtenTs) + this.#decoderShift, arrivalMs);
  }

  /** A lost frame's time, filled with the codec's own silence so the speech keeps its length. */
  #conceal(duration: number): void {
    for (const payload of silencePayloads(this.#deps.codec, duration)) {
      const d = payloadDuration(this.#deps.codec, payload) ?? duration;
      this.#write(payload, d);
      this.#concealedTs += d;
    }
  }

  #write(payload: Uint8Array, duration: number): void {
    const decoder = this.#ensureDecoder();
    const ms = Math.round((this.#writtenTs * 1000) / this.#deps.codec.clockRate);
    decoder.write(this.#writer.frame(payload, ms));
    this.#writtenTs += duration;
  }

  /**
   * Where the decoder's output runs against the input, in decoded samples:
   * ffmpeg trims Opus's pre-skip (312 at 48 kHz) from the start and puts
   * AAC's priming frame (1024) in front. Without this the measured latency
   * of every Opus frame would include the next frame's 20 ms.
   */
  get #decoderShift(): number {
    switch (this.#deps.codec.name) {
      case 'opus':
        return -OPUS_PRE_SKIP;
      case 'aac':
        return AAC_FRAME_SAMPLES;
      default:
        return 0;
    }
  }

  #samplesAt(ts: number): number {
    return Math.round((ts * this.#deps.decodedRate) / this.#deps.codec.clockRate);
  }

  #ensureDecoder(): AudioTranscoder {
    if (this.#decoder) return this.#decoder;
    const decoder = this.#deps.spawnDecoder();
    this.#decoder = decoder;
    decoder.onData((pcm) => this.#onPcm(pcm));
    void decoder.exited.then((exit) => {
      if (this.#closed) return;
      this.#deps.logger.warn({ code: exit.code, signal: exit.signal, reason: exit.error?.message }, 'talkback decoder ended');
      this.#failure?.(new Error(`talkback decoder ended: ${exit.error?.message ?? 'exit'}`));
    });
    decoder.write(this.#writer.header());
    return decoder;
  }

  #onPcm(raw: Buffer): void {
    if (this.#closed) return;
    const now = this.#deps.clock.monotonic();
    if (pcmLevelDbfs(raw) > VOICE_DBFS) this.#lastVoiceMs = now;
    const samples = raw.length >> 1;
    const cap = Math.round((MAX_OUTPUT_QUEUE_MS * this.#deps.decodedRate) / 1000);
    // Only a device that is open and still not taking samples is "not keeping
    // up"; while it opens, the first words wait rather than being dropped.
    if (this.#playback && this.#queuedSamples + samples > cap) {
      // The device is not keeping up (a slower DAC clock, a stalled pipe):
      // dropping here keeps latency bounded; the jitter buffer cannot help.
      this.#outputDrops++;
      this.#decodedSamplesOut += samples;
      this.#latency.discardThrough(this.#decodedSamplesOut);
      return;
    }
    const pcm = scalePcm(raw, this.#deps.settings().volume / 100);
    this.#queuedSamples += samples;
    this.#maxQueuedSamples = Math.max(this.#maxQueuedSamples, this.#queuedSamples);
    this.#chain = this.#chain
      .then(async () => {
        const playback = await this.#openPlayback();
        // Amplifier on (and settled) before the device gets the first sample of a spurt.
        if (!this.#deps.amplifier.isOn()) await this.#deps.amplifier.set(true);
        await playback.write(pcm);
      })
      .then(
        () => {
          this.#queuedSamples -= samples;
          this.#decodedSamplesOut += samples;
          this.#latency.reached(this.#decodedSamplesOut, this.#deps.clock.monotonic());
        },
        (err: unknown) => {
          this.#queuedSamples -= samples;
          if (!this.#closed) this.#failure?.(err instanceof Error ? err : new Error(String(err)));
        },
      );
  }

  async #openPlayback(): Promise<PcmPlayback> {
    if (this.#playback) return this.#playback;
    this.#opening ??= (async () => {
      const s = this.#deps.settings();
      const playback = await this.#deps.audioOut.openPlayback({ sampleRate: this.#deps.decodedRate, periodMs: s.periodMs, bufferMs: s.bufferMs });
      void playback.ended.then((err) => {
        if (err && !this.#closed) this.#failure?.(err);
      });
      this.#playback = playback;
      return playback;
    })();
    return this.#opening;
  }

  async #ampOff(): Promise<void> {
    if (!this.#deps.amplifier.isOn()) return;
    await this.#deps.amplifier.set(false).catch((err: unknown) => this.#deps.logger.warn({ err }, 'amplifier off failed'));
  }
}

function delay(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
