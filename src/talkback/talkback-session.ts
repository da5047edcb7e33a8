import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { CodecSpec } from './codec.js';
import type { Downlink, DownlinkStats } from './downlink.js';
import { parseTalkFrame, type TalkFrameErrorCode } from './talk-frame.js';
import type { TalkTransport, TransportKind } from './transport.js';
import type { Uplink, UplinkStats } from './uplink.js';

/**
 * One talkback session: a transport, a downlink to the speaker and an
 * uplink from the microphone, the timers that bound it, and the one place
 * that decides why it ended. Everything that ends a session (the cloud's
 * stop, the far end hanging up, the relay dying, silence, the hard cap,
 * privacy, a failing device, shutdown) goes through end(), which runs once.
 */
export type SessionEndReason =
  | 'stopped'
  | 'remote_closed'
  | 'transport_lost'
  | 'idle_timeout'
  | 'max_duration'
  | 'privacy_mode'
  | 'disabled'
  | 'audio_device_failed'
  | 'shutdown';

export type SessionOrigin = 'cloud' | 'local';
export type Duplex = 'half' | 'full';

export interface SessionInfo {
  sessionId: string;
  origin: SessionOrigin;
  transport: TransportKind;
  codec: CodecSpec;
  duplex: Duplex;
  /** Who asked: the technician's token subject for local sessions. */
  principal?: string;
}

export interface SessionSummary extends SessionInfo {
  reason: SessionEndReason;
  detail?: string;
  durationMs: number;
  downlink: DownlinkStats;
  uplink: UplinkStats;
  badFrames: number;
}

export interface SessionLimits {
  idleTimeoutMs: number;
  maxSessionMs: number;
  halfDuplexHangMs: number;
}

export interface SessionParts {
  transport: TalkTransport;
  downlink: Downlink;
  /** Built with a `muted` callback that asks this session (see muted()). */
  uplink: Uplink;
}

/** Reasons after which what is buffered is still played (the far end said goodbye normally). */
const DRAIN_REASONS: ReadonlySet<SessionEndReason> = new Set(['stopped', 'remote_closed', 'idle_timeout', 'max_duration']);

export class TalkbackSession {
  readonly info: SessionInfo;
  readonly #parts: SessionParts;
  readonly #limits: () => SessionLimits;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #startedMs: number;
  #idleTimer: Timer | null = null;
  #maxTimer: Timer | null = null;
  #badFrames = 0;
  #lastBadCode: TalkFrameErrorCode | 'codec_mismatch' | 'malformed_payload' | null = null;
  #ending: Promise<SessionSummary> | null = null;
  #resolveDone: (s: SessionSummary) => void = () => undefined;
  /** Resolves once with the summary, whoever ended the session. */
  readonly done: Promise<SessionSummary>;

  constructor(info: SessionInfo, parts: SessionParts, deps: { limits: () => SessionLimits; clock: Clock; logger: Logger }) {
    this.info = info;
    this.#parts = parts;
    this.#limits = deps.limits;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#startedMs = deps.clock.monotonic();
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /**
   * Half duplex: the microphone is muted while the far end is heard. Push-to-talk
   * (MQTT) mutes while the app's frames arrive at all: its talk button is held,
   * and the pauses between its words are not the camera's turn.
   */
  muted(): boolean {
    if (this.info.duplex === 'full') return false;
    const now = this.#clock.monotonic();
    const hang = this.#limits().halfDuplexHangMs;
    return this.info.transport === 'mqtt' ? this.#parts.downlink.farEndTalking(now, hang) : this.#parts.downlink.farEndSpeaking(now, hang);
  }

  /** Wire everything up and open the microphone. A failure here ends the session (and is rethrown). */
  async start(): Promise<void> {
    const { transport, downlink, uplink } = this.#parts;
    transport.onClose((reason, detail) => {
      void this.end(reason === 'closed' ? 'stopped' : reason, detail);
    });
    transport.onFrame((bytes) => this.#onWire(bytes));
    downlink.onFailure((err) => void this.end('audio_device_failed', err.message));
    uplink.onFailure((err) => void this.end('audio_device_failed', err.message));
    const limits = this.#limits();
    this.#maxTimer = this.#clock.setTimeout(() => void this.end('max_duration'), limits.maxSessionMs);
    this.#touch();
    try {
      await Promise.all([downlink.start(), uplink.start()]);
    } catch (err) {
      await this.end('audio_device_failed', err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  get ended(): boolean {
    return this.#ending !== null;
  }

  /** End the session (idempotent: the first reason wins). */
  end(reason: SessionEndReason, detail?: string): Promise<SessionSummary> {
    this.#ending ??= this.#finish(reason, detail);
    return this.#ending;
  }

  async #finish(reason: SessionEndReason, detail: string | undefined): Promise<SessionSummary> {
    this.#idleTimer?.cancel();
    this.#maxTimer?.cancel();
    const { transport, downlink, uplink } = this.#parts;
    const settle = async (what: string, p: Promise<void>): Promise<void> => {
      await p.catch((err: unknown) => this.#logger.warn({ err, part: what }, 'talkback: closing part failed'));
    };
    // Microphone first: it is the privacy-sensitive part.
    await settle('uplink', uplink.stop());
    await Promise.all([settle('downlink', downlink.close(DRAIN_REASONS.has(reason) ? 'drain' : 'abort')), settle('transport', transport.close())]);
    const summary: SessionSummary = {
      ...this.info,
      reason,
      ...(detail ? { detail } : {}),
      durationMs: Math.round(this.#clock.monotonic() - this.#startedMs),
      downlink: downlink.stats(),
      uplink: uplink.stats(),
      badFrames: this.#badFrames,
    };
    this.#resolveDone(summary);
    return summary;
  }

  #touch(): void {
    this.#idleTimer?.cancel();
    this.#idleTimer = this.#clock.setTimeout(() => void this.end('idle_timeout'), this.#limits().idleTimeoutMs);
  }

  #onWire(bytes: Uint8Array): void {
    if (this.#ending) return;
    const arrival = this.#clock.monotonic();
    const parsed = parseTalkFrame(bytes);
    if (!parsed.ok) return this.#bad(parsed.code, parsed.message);
    const frame = parsed.frame;
    // Anything well-formed from the far end proves it is still there.
    this.#touch();
    if (frame.type === 'keepalive') return;
    if (frame.type === 'end') {
      this.#parts.downlink.endOfSpurt();
      return;
    }
    if (frame.codec !== this.info.codec.name) return this.#bad('codec_mismatch', `frame codec ${frame.codec}, session codec ${this.info.codec.name}`);
    const result = this.#parts.downlink.receive(frame, arrival);
    if (result === 'malformed') this.#bad('malformed_payload', `not a valid ${frame.codec} payload`);
  }

  #bad(code: TalkFrameErrorCode | 'codec_mismatch' | 'malformed_payload', message: string): void {
    this.#badFrames++;
    // One line per kind of problem, not one per frame: a broken sender sends 50 a second.
    if (this.#lastBadCode !== code) {
      this.#lastBadCode = code;
      this.#logger.warn({ sessionId: this.info.sessionId, code, message, badFrames: this.#badFrames }, 'talkback: frame refused');
    }
  }
}
