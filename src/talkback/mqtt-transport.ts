import type { Logger } from '../log/logger.js';
import { TransportEvents } from './transport-events.js';
import type { TalkTransport, TransportCloseReason } from './transport.js';
import { WS_TALK_LIMITS } from './ws-transport.js';

/**
 * Push-to-talk over the cloud MQTT link, for where there is no relay: the
 * cloud publishes wire frames on `{base}/talkback/down`, the camera on
 * `{base}/talkback/up` (topics.ts), one raw frame per message, QoS 0, not
 * retained, never through the outbox. Half-duplex in use (the cloud's
 * push-to-talk button decides who talks), but the transport carries frames
 * both ways like any other: it does not look inside them.
 *
 * There is no connection of its own to lose, so the link is the connection:
 * the link going offline (or stopping) closes the transport with
 * `transport_lost`. The far end ending the talk is a frame the session
 * reads, so this transport never reports `remote_closed` itself.
 */

/** What the transport needs of the MQTT link (src/cloud/mqtt-link.ts MqttLink has it). */
export interface MqttTalkLink {
  readonly state: string;
  readonly topics: { readonly talkbackDown: string; readonly talkbackUp: string } | null;
  subscribeRaw(topic: string, qos: 0, listener: (payload: Buffer) => void): Promise<() => Promise<void>>;
  publishRaw(topic: string, payload: Buffer, qos: 0): boolean;
  on(event: 'offline' | 'stopped', listener: () => void): () => void;
}

export type MqttTransportOpening = { ok: true; transport: TalkTransport } | { ok: false; code: 'mqtt_unavailable'; message: string };

export interface MqttTransportOptions {
  link: MqttTalkLink;
  logger: Logger;
}


/**
 * Subscribes to the downlink and returns the transport; `mqtt_unavailable`
 * while the broker connection is down. Not "while the link is not online":
 * a request can arrive in the moment after the connect (status `online`
 * already sent, the link still sending info), and the connection is what
 * the frames need.
 */
export async function openMqttTransport(opts: MqttTransportOptions): Promise<MqttTransportOpening> {
  const { link } = opts;
  const logger = opts.logger.child({ svc: 'talkback', transport: 'mqtt' });
  const topics = link.topics;
  if (link.state === 'stopped' || !topics) return { ok: false, code: 'mqtt_unavailable', message: 'the cloud link is not running' };
  const transport = new MqttTalkTransport(link, topics.talkbackUp, logger);
  try {
    transport.attach(await link.subscribeRaw(topics.talkbackDown, 0, (payload) => transport.deliver(payload)));
  } catch (err) {
    transport.abandon();
    const code = (err as { code?: unknown }).code;
    logger.warn({ code }, 'talkback: could not subscribe to the MQTT downlink');
    return { ok: false, code: 'mqtt_unavailable', message: 'could not subscribe to the talkback topic' };
  }
  return { ok: true, transport };
}

class MqttTalkTransport implements TalkTransport {
  readonly kind = 'mqtt' as const;
  readonly #link: MqttTalkLink;
  readonly #up: string;
  readonly #logger: Logger;
  readonly #events: TransportEvents;
  #unsubscribe: (() => Promise<void>) | null = null;
  #offLink: Array<() => void>;
  #closing: Promise<void> | null = null;
  #refused = 0;

  constructor(link: MqttTalkLink, up: string, logger: Logger) {
    this.#link = link;
    this.#up = up;
    this.#logger = logger;
    this.#events = new TransportEvents(logger);
    // Listening before the subscribe resolves: the link can drop while it is in flight.
    this.#offLink = [
      link.on('offline', () => void this.#finish('transport_lost', 'link_offline')),
      link.on('stopped', () => void this.#finish('transport_lost', 'link_stopped')),
    ];
  }

  attach(unsubscribe: () => Promise<void>): void {
    this.#unsubscribe = unsubscribe;
    // The link went down between subscribe and now: it is already closed; drop the subscription too.
    if (this.#events.closed) void unsubscribe();
  }

  /** Subscribe failed: nobody will ever see this transport. */
  abandon(): void {
    for (const off of this.#offLink.splice(0)) off();
    this.#events.close({ reason: 'transport_lost', detail: 'subscribe_failed' });
  }

  deliver(payload: Buffer): void {
    if (this.#events.closed) return;
    // One frame per message: an empty or oversized one is not a frame (a datagram transport drops, it cannot close).
    if (payload.length === 0 || payload.length > WS_TALK_LIMITS.maxPayloadBytes) {
      if (this.#refused++ === 0) this.#logger.warn({ bytes: payload.length }, 'talkback: dropped an MQTT message that cannot be a frame');
      return;
    }
    this.#events.frame(payload);
  }

  onFrame(listener: (bytes: Uint8Array) => void): void {
    this.#events.onFrame(listener);
  }

  onClose(listener: (reason: TransportCloseReason, detail?: string) => void): void {
    this.#events.onClose(listener);
  }

  send(bytes: Uint8Array): boolean {
    if (this.#events.closed) return false;
    return this.#link.publishRaw(this.#up, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0);
  }

  close(): Promise<void> {
    return this.#finish('closed');
  }

  #finish(reason: TransportCloseReason, detail?: string): Promise<void> {
    if (this.#closing) return this.#closing;
    for (const off of this.#offLink.splice(0)) off();
    this.#logger.info({ reason, detail }, 'talkback: MQTT talk path closed');
    this.#events.close(detail === undefined ? { reason } : { reason, detail });
    const unsubscribe = this.#unsubscribe;
    this.#closing = unsubscribe ? unsubscribe() : Promise.resolve();
    return this.#closing;
  }
}
