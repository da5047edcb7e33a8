import { randomBytes } from 'node:crypto';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { LiveConfig } from '../config/live-config.js';
import type { Amplifier, AudioOut, LedPattern, Microphone } from '../hal/types.js';
import type { Logger } from '../log/logger.js';
import type { AudioTranscoder, AudioTranscodeSpec } from '../media/ffmpeg.js';
import type { OpHandlers, OpOutcome } from '../cloud/ops.js';
import { parseCodecSpec, type CodecSpec } from './codec.js';
import { decodedRate, talkbackDecoderSpec, talkbackEncoderSpec } from '../media/audio-transcode-args.js';
import { Downlink } from './downlink.js';
import { Uplink } from './uplink.js';
import { TalkbackSession, type Duplex, type SessionEndReason, type SessionInfo, type SessionOrigin, type SessionSummary } from './talkback-session.js';
import type { TalkTransport, TransportKind } from './transport.js';

/**
 * Talkback as a feature: admits sessions (one talker at a time, never in
 * privacy mode), builds each one from its transport and the audio parts,
 * reports every start, refusal and end as a `talkback` event, shows the
 * live microphone on the LED, and ends the session when privacy mode comes
 * on, talkback is switched off, or the agent stops.
 *
 * Sessions come from the cloud (request op talkback.start over the relay
 * or MQTT push-to-talk) and from the local API's WebSocket endpoint.
 */
export type RefusalCode = 'busy' | 'privacy_mode' | 'talkback_disabled' | 'invalid_codec' | 'audio_busy' | 'audio_device_failed' | 'not_found' | TransportFailureCode;

export type TransportFailureCode =
  | 'relay_url_invalid'
  | 'relay_unreachable'
  | 'relay_rejected'
  | 'relay_tls_failed'
  | 'relay_timeout'
  | 'mqtt_unavailable';

export type TransportOpening = { ok: true; transport: TalkTransport } | { ok: false; code: TransportFailureCode; message: string };

export interface TalkbackServiceDeps {
  config: LiveConfig;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
  audioOut: AudioOut;
  microphone: Microphone;
  amplifier: Amplifier;
  /** The one speaker: prompts wait while a session holds it (hal/shared-audio-output.ts). */
  acquireOutput: () => Promise<() => void>;
  /** Privacy mode or a closed shutter. */
  privacy: () => boolean;
  /** The LED shows the open microphone over the device state. */
  showActivity: (pattern: LedPattern | null) => void;
  publishEvent: (type: string, data: Record<string, unknown>, priority: 'high' | 'low') => Promise<unknown>;
  connectRelay: (url: string, token: string) => Promise<TransportOpening>;
  openMqttTransport: (sessionId: string) => Promise<TransportOpening>;
  spawnTranscoder: (spec: AudioTranscodeSpec) => AudioTranscoder;
}

export interface LocalSessionRequest {
  codec: { name: string; sampleRate?: number };
  principal: string;
  source: string;
}

export type SessionOpening = { ok: true; sessionId: string; done: Promise<SessionSummary> } | { ok: false; code: RefusalCode; message: string };

/** Ends that close a session the far end did not ask to close report at high priority. */
const HIGH_PRIORITY_ENDS: ReadonlySet<SessionEndReason> = new Set(['transport_lost', 'audio_device_failed', 'privacy_mode']);

export class TalkbackService implements Service {
  readonly name = 'talkback';
  readonly #deps: TalkbackServiceDeps;
  #session: TalkbackSession | null = null;
  /** Set while a start is being admitted (relay connecting): a second start is busy too. */
  #admitting: string | null = null;
  #off: Array<() => void> = [];

  constructor(deps: TalkbackServiceDeps) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    this.#off.push(
      this.#deps.bus.on('state.changed', ({ to }) => {
        if (to === 'privacy') void this.#session?.end('privacy_mode');
      }),
      this.#deps.bus.on('config.changed', ({ changed }) => {
        if (changed.includes('privacy.mode') && this.#deps.privacy()) void this.#session?.end('privacy_mode');
        if (changed.includes('talkback.enabled') && !this.#deps.config.current.talkback.enabled) void this.#session?.end('disabled');
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    await this.#session?.end('shutdown');
  }

  /** The session in progress, if any (the OTA update lock asks). */
  active(): SessionInfo | null {
    return this.#session && !this.#session.ended ? this.#session.info : null;
  }

  ops(): OpHandlers {
    return {
      'talkback.start': async (args) => this.#cloudStart(args),
      'talkback.stop': async (args) => {
        const id = String(args.sessionId);
        const session = this.#session;
        if (!session || session.ended || session.info.sessionId !== id) {
          return { ok: false, error: { code: 'not_found', message: `no talkback session ${id}` } };
        }
        const summary = await session.end('stopped');
        return { ok: true, data: { sessionId: id, durationMs: summary.durationMs } };
      },
    };
  }

  /** A session from the local API's WebSocket endpoint; the socket is already authenticated. */
  async openLocalSession(transport: TalkTransport, request: LocalSessionRequest): Promise<SessionOpening> {
    const sessionId = `local-${randomBytes(6).toString('hex')}`;
    const codec = parseCodecSpec(request.codec);
    if (!codec.ok) return this.#refuse(sessionId, 'local', 'invalid_codec', codec.message);
    const refusal = this.#admission();
    if (refusal) return this.#refuse(sessionId, 'local', refusal.code, refusal.message);
    this.#admitting = sessionId;
    try {
      const info: SessionInfo = { sessionId, origin: 'local', transport: 'local', codec: codec.spec, duplex: this.#deps.config.current.talkback.duplex, principal: request.principal };
      return await this.#open(info, transport);
    } finally {
      this.#admitting = null;
    }
  }

  async #cloudStart(args: Record<string, unknown>): Promise<OpOutcome> {
    const sessionId = String(args.sessionId);
    const codec = parseCodecSpec(args.codec);
    if (!codec.ok) return asOutcome(await this.#refuse(sessionId, 'cloud', 'invalid_codec', codec.message));
    const refusal = this.#admission();
    if (refusal) return asOutcome(await this.#refuse(sessionId, 'cloud', refusal.code, refusal.message));
    const kind: TransportKind = args.transport === 'mqtt' ? 'mqtt' : 'relay';
    const relay = args.relay as { url?: unknown; token?: unknown } | undefined;
    if (kind === 'relay' && (typeof relay?.url !== 'string' || typeof relay.token !== 'string')) {
      return { ok: false, error: { code: 'invalid_args', message: 'a relay session needs relay.url and relay.token' } };
    }
    this.#admitting = sessionId;
    try {
      const opened = kind === 'relay' ? await this.#deps.connectRelay(String(relay?.url), String(relay?.token)) : await this.#deps.openMqttTransport(sessionId);
      if (!opened.ok) return asOutcome(await this.#refuse(sessionId, 'cloud', opened.code, opened.message));
      // Privacy may have come on (or talkback gone off) while the relay connected.
      const late = this.#admission({ ignoreAdmitting: true });
      if (late) {
        await opened.transport.close();
        return asOutcome(await this.#refuse(sessionId, 'cloud', late.code, late.message));
      }
      const requested = args.duplex === 'full' || args.duplex === 'half' ? args.duplex : this.#deps.config.current.talkback.duplex;
      // Push-to-talk over MQTT is half duplex by nature: one direction at a time.
      const duplex: Duplex = kind === 'mqtt' ? 'half' : requested;
      const info: SessionInfo = { sessionId, origin: 'cloud', transport: kind, codec: codec.spec, duplex };
      const r = await this.#open(info, opened.transport);
      if (!r.ok) return asOutcome(r);
      return { ok: true, data: { sessionId, transport: kind, codec: codec.spec, duplex, decodedRate: decodedRate(codec.spec) } };
    } finally {
      this.#admitting = null;
    }
  }

  #admission(opts: { ignoreAdmitting?: boolean } = {}): { code: RefusalCode; message: string } | null {
    if (!this.#deps.config.current.talkback.enabled) return { code: 'talkback_disabled', message: 'talkback is switched off (talkback.enabled)' };
    if (this.#deps.privacy()) return { code: 'privacy_mode', message: 'the camera is in privacy mode' };
    const current = this.active();
    if (current) return { code: 'busy', message: `another talkback session is active (${current.origin})` };
    if (this.#admitting && !opts.ignoreAdmitting) return { code: 'busy', message: 'another talkback session is starting' };
    return null;
  }

  async #open(info: SessionInfo, transport: TalkTransport): Promise<SessionOpening> {
    const deps = this.#deps;
    let release: () => void;
    try {
      release = await deps.acquireOutput();
    } catch (err) {
      await transport.close();
      return this.#refuse(info.sessionId, info.origin, 'audio_busy', err instanceof Error ? err.message : String(err));
    }
    const logger = deps.logger.child({ sessionId: info.sessionId });
    const downlink = new Downlink({
      codec: info.codec,
      decodedRate: decodedRate(info.codec),
      audioOut: deps.audioOut,
      amplifier: deps.amplifier,
      spawnDecoder: () => deps.spawnTranscoder(talkbackDecoderSpec()),
      settings: () => this.settings().downlink,
      clock: deps.clock,
      logger,
    });
    let session: TalkbackSession | null = null;
    const uplink = new Uplink({
      codec: info.codec,
      microphone: deps.microphone,
      // The microphone is opened at the codec's rate; ALSA's plug layer converts from the hardware's.
      spawnEncoder: () => deps.spawnTranscoder(talkbackEncoderSpec(info.codec, info.codec.sampleRate)),
      muted: () => session?.muted() ?? false,
      suppressMuted: info.transport === 'mqtt',
      send: (frame) => transport.send(frame),
      logger,
    });
    session = new TalkbackSession(info, { transport, downlink, uplink }, { limits: () => this.settings().limits, clock: deps.clock, logger });
    this.#session = session;
    deps.showActivity('talkback');
    logger.info({ origin: info.origin, transport: info.transport, codec: info.codec.name, sampleRate: info.codec.sampleRate, duplex: info.duplex, principal: info.principal }, 'talkback session started');
    void deps.publishEvent('talkback', startedEvent(info), 'low').catch(() => undefined);
    const done = session.done.then((summary) => {
      if (this.#session === session) this.#session = null;
      deps.showActivity(null);
      release();
      logger.info({ reason: summary.reason, detail: summary.detail, durationMs: summary.durationMs, downlink: summary.downlink, uplink: summary.uplink, badFrames: summary.badFrames }, 'talkback session ended');
      void deps.publishEvent('talkback', endedEvent(summary), HIGH_PRIORITY_ENDS.has(summary.reason) ? 'high' : 'low').catch(() => undefined);
      return summary;
    });
    try {
      await session.start();
    } catch (err) {
      await done;
      return { ok: false, code: 'audio_device_failed', message: err instanceof Error ? err.message : String(err) };
    }
    return { ok: true, sessionId: info.sessionId, done };
  }

  /** Current settings, read live: volume and the jitter depth apply to the next session at the latest. */
  settings(): { downlink: { volume: number; jitterMs: number; maxJitterMs: number; periodMs: number; bufferMs: number }; limits: { idleTimeoutMs: number; maxSessionMs: number; halfDuplexHangMs: number } } {
    const t = this.#deps.config.current.talkback;
    return {
      downlink: { volume: t.volume, jitterMs: t.jitterMs, maxJitterMs: t.maxJitterMs, periodMs: t.periodMs, bufferMs: t.bufferMs },
      limits: { idleTimeoutMs: t.idleTimeoutS * 1000, maxSessionMs: t.maxSessionS * 1000, halfDuplexHangMs: t.halfDuplexHangMs },
    };
  }

  async #refuse(sessionId: string, origin: SessionOrigin, code: RefusalCode, message: string): Promise<{ ok: false; code: RefusalCode; message: string }> {
    this.#deps.logger.info({ sessionId, origin, code }, 'talkback session refused');
    void this.#deps.publishEvent('talkback', { sessionId, state: 'refused', origin, reason: code }, 'low').catch(() => undefined);
    return { ok: false, code, message };
  }
}

function asOutcome(r: { ok: false; code: string; message: string }): OpOutcome {
  return { ok: false, error: { code: r.code, message: r.message } };
}

function codecData(codec: CodecSpec): Record<string, unknown> {
  return { name: codec.name, sampleRate: codec.sampleRate };
}

export function startedEvent(info: SessionInfo): Record<string, unknown> {
  return { sessionId: info.sessionId, state: 'started', origin: info.origin, transport: info.transport, codec: codecData(info.codec), duplex: info.duplex };
}

export function endedEvent(s: SessionSummary): Record<string, unknown> {
  return {
    sessionId: s.sessionId,
    state: 'ended',
    origin: s.origin,
    transport: s.transport,
    codec: codecData(s.codec),
    duplex: s.duplex,
    reason: s.reason,
    durationMs: s.durationMs,
    stats: {
      framesIn: s.downlink.framesReceived,
      framesOut: s.uplink.framesSent,
      lost: s.downlink.lost,
      late: s.downlink.late,
      duplicates: s.downlink.duplicates,
      reordered: s.downlink.reordered,
      badFrames: s.badFrames,
      concealedMs: s.downlink.concealedMs,
      playedMs: s.downlink.playedMs,
      outputDrops: s.downlink.outputDrops,
      latencyP95Ms: s.downlink.latencyMs.p95,
    },
  };
}
