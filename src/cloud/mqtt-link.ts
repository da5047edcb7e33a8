import { connect as connectTcp, isIP, Socket } from 'node:net';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import { fail, type CloudError, type Result } from './cloud-error.js';
import type { CloudConfig } from './cloud-config.js';
import { ConfigSync, type ConfigSyncDeps } from './config-sync.js';
import { haDiscoveryMessages } from './ha-discovery.js';
import { processHealthFacts, type HealthFacts } from './health-sample.js';
import { pingHandler, type OpHandlers } from './ops.js';
import { Outbox, wire, type OutboxEvent, type OutboxStats } from './outbox.js';
import { OutboxDrain, type PublishOutcome } from './outbox-drain.js';
import type { ActivatePayload, EventPriority, InfoPayload, LinkState, StatusPayload } from './payloads.js';
import { MAX_SCAN_BYTES } from './protocol.js';
import { PublishThrottle } from './rate-limiter.js';
import { RequestHandler } from './request-handler.js';
import { ReconnectBackoff } from './backoff.js';
import { checkPublish, DELIVERY, LIMITS, TALKBACK_DELIVERY, topicScheme, type OutgoingKind, type OutgoingPayloads, type QoS, type TopicScheme } from './topics.js';

/** TLS material from the identity store, as buffers (never paths: the key may live in a secure element export). */
export interface LinkTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface MqttLinkOptions {
  /** The device certificate's CN: MQTT client id and `{deviceId}` in topics. */
  deviceId: string;
  config: CloudConfig;
  tls: LinkTls;
  /** Where the durable outbox lives (proposed: `<data.dir>/cloud-outbox`). */
  outboxDir: string;
  /** reboot, logs.upload, unbind… (ping is built in; config.get/set come from `configSync`). */
  handlers: OpHandlers;
  /** How to apply and read configuration; without it config sync and config.* are off. */
  configSync?: Omit<ConfigSyncDeps, 'clock'>;
  /** Device facts for `info` (masked by the provider). */
  deviceInfo(): InfoPayload | Promise<InfoPayload>;
  /** Health facts; default: process memory and load. */
  healthFacts?(): HealthFacts | Promise<HealthFacts>;
  clock: Clock;
  logger: Logger;
  /** Uniform [0,1) for the backoff jitter; Math.random by default. */
  random?: () => number;
  /** Fixed reconnect period instead of backoff: only for the fleet simulation's comparison run. */
  fixedReconnectMs?: number;
}

export type LinkEvent = 'online' | 'offline' | 'stopped';

const MQTT5_UNSUPPORTED = new Set([1, 0x84]);
/**
 * Some 3.1.1-only brokers do not answer a v5 CONNECT with CONNACK 0x01 but
 * close the socket. A peer close before CONNACK, without a transport error
 * and before our connect timeout, is a strike; this many in a row mean "v5
 * unsupported" (one could be a broker restarting). A broker that closes on
 * bad credentials (AWS IoT does) costs us MQTT 5 too, which is harmless:
 * everything the link needs works on 3.1.1.
 */
const MQTT5_CLOSE_STRIKES = 2;
/** A PUBACK later than one keep-alive period (at most this) means a stuck connection. */
const MAX_PUBACK_TIMEOUT_MS = 60_000;
/** How long a clean stop waits for the broker to take the `stopped` status. */
const STOP_TIMEOUT_MS = 3_000;
/**
 * Raw (talkback) publishes are dropped while more than this waits in the
 * socket: real-time audio must not queue behind a slow uplink (≈ 20 frames).
 */
const RAW_MAX_BUFFERED_BYTES = 32 * 1024;

/**
 * The one module that owns mqtt.js. Connects with mutual TLS, keeps a
 * persistent session, publishes retained status/info, answers requests,
 * syncs config and drains the outbox while connected; reconnects with its
 * own backoff (mqtt.js's reconnect is off: it retries at a fixed period).
 *
 * Each connection attempt uses a fresh mqtt.js client: in-flight QoS 1
 * publishes of a dropped connection are re-sent from the durable outbox on
 * the next one, so nothing depends on mqtt.js's in-memory store.
 *
 * MQTT 5 → 3.1.1 (`protocol: auto`): a CONNACK 0x01/0x84 (aedes 1.x,
 * Mosquitto 1.5) switches at once; a broker that just closes the socket on a
 * v5 CONNECT switches after MQTT5_CLOSE_STRIKES such closes in a row. Either
 * way the link stays on 3.1.1 for the rest of its life.
 *
 * Dead connections: mqtt.js sends PINGREQ after a keep-alive period without
 * an ack and closes after 1.5 × keep-alive without one. A QoS 1 publish whose
 * PUBACK has not come within one keep-alive period (≤ 60 s) drops the
 * connection too, even if the broker still answers pings; the event stays in
 * the outbox and goes out again after the (backed-off) reconnect. That drop
 * resets the TCP connection (RST) instead of closing it: a closed socket
 * leaves the kernel retransmitting the unacknowledged PUBLISH, and once a
 * dead link comes back it reached the broker after the outbox had sent the
 * same event on the new connection — a duplicate for every link cut
 * (test/resilience/faults/network-cut.test.ts). The link owns the TCP socket
 * under TLS for that reason (node cannot reset a TLS socket's own).
 */
export class MqttLink implements Service {
  readonly name = 'cloud-link';
  #scheme: TopicScheme | null = null;
  #outbox: Outbox;
  #drain: OutboxDrain | null = null;
  #requests: RequestHandler | null = null;
  #configSync: ConfigSync | null = null;
  #backoff: ReconnectBackoff;
  #client: MqttClient | null = null;
  #protocol: 4 | 5;
  #state: LinkState | 'idle' = 'idle';
  #stopping = false;
  #failed: CloudError | null = null;
  #reconnectTimer: Timer | null = null;
  #healthTimer: Timer | null = null;
  #lastAttemptAt = -Infinity;
  /** The TCP connection under the current client, so a dead connection can be reset rather than closed. */
  #transport: Socket | null = null;
  #inflight = new Set<(err: Error) => void>();
  #listeners = new Map<LinkEvent, Set<() => void>>();
  #connects = 0;
  #v5CloseStrikes = 0;
  /** Raw subscriptions (talkback/down) → their listeners; the broker subscription exists while the set is non-empty. */
  #raw = new Map<string, Set<(payload: Buffer) => void>>();

  constructor(private readonly opts: MqttLinkOptions) {
    this.#outbox = new Outbox({
      dir: opts.outboxDir,
      clock: opts.clock,
      logger: opts.logger,
      limits: {
        maxCount: opts.config.outbox.maxCount,
        maxBytes: opts.config.outbox.maxBytes,
        maxAgeMs: opts.config.outbox.maxAgeH * 3_600_000,
      },
    });
    this.#backoff = new ReconnectBackoff({ ...opts.config.backoff, minGapMs: 1_000, random: opts.random ?? Math.random });
    this.#protocol = opts.config.protocol === '3.1.1' ? 4 : 5;
  }

  /**
   * Opens the outbox and the request machinery, and schedules the first
   * connect unless `connect` is false: then events queue durably and
   * connect() starts connecting (a camera waiting for its network).
   */
  async start(options: { connect?: boolean } = {}): Promise<void> {
    const { opts } = this;
    const scheme = topicScheme({ deviceId: opts.deviceId, prefix: opts.config.topicPrefix, discoveryPrefix: opts.config.homeAssistant.discoveryPrefix });
    if (!scheme.ok) throw Object.assign(new Error(scheme.error.message), { code: scheme.error.code });
    const insecure = plainTextUrlProblem(opts.config.url);
    if (insecure) throw Object.assign(new Error(insecure), { code: 'invalid_config' });
    this.#scheme = scheme.value;
    await this.#outbox.open();
    this.#configSync = opts.configSync ? new ConfigSync({ ...opts.configSync, clock: opts.clock }) : null;
    const handlers: OpHandlers = {
      ping: pingHandler(opts.clock),
      info: async () => ({ ok: true, data: await opts.deviceInfo() }),
      ...opts.handlers,
    };
    if (this.#configSync) {
      handlers['config.get'] = this.#configSync.getHandler();
      handlers['config.set'] = this.#configSync.setHandler((r) => void this.#send('config/reported', this.#scheme!.configReported, r).catch(() => undefined));
    }
    this.#requests = new RequestHandler({ scheme: this.#scheme, handlers, clock: opts.clock, logger: opts.logger, defaultTtlMs: opts.config.requestTtlMs });
    this.#drain = new OutboxDrain({
      outbox: this.#outbox,
      throttle: new PublishThrottle(opts.clock, {
        messagesPerSecond: opts.config.drain.messagesPerSecond,
        messageBurst: 10,
        bytesPerSecond: opts.config.drain.bytesPerSecond,
        byteBurst: LIMITS.maxPayloadBytes,
      }),
      publish: (e) => this.#publishEvent(e),
      maxInflight: opts.config.drain.maxInflight,
      logger: opts.logger,
    });
    this.#stopping = false;
    this.#state = 'offline';
    if (options.connect !== false) this.connect();
  }

  /** Starts connecting now (after start({ connect: false })); no effect while connected or already trying. */
  connect(): void {
    if (this.#client || this.#reconnectTimer || this.#stopping) return;
    this.#schedule(this.opts.fixedReconnectMs ?? this.#backoff.startDelay());
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#reconnectTimer?.cancel();
    this.#healthTimer?.cancel();
    this.#drain?.stop();
    const client = this.#client;
    this.#client = null;
    if (client?.connected) {
      // A clean stop says `stopped` (the will would say `offline`), then DISCONNECT, which cancels the will.
      await withTimeout(this.#publishOn(client, this.#scheme!.status, json<StatusPayload>({ state: 'stopped', ts: this.opts.clock.now() }), 1, true), STOP_TIMEOUT_MS).catch(() => undefined);
      await withTimeout(client.endAsync(false), STOP_TIMEOUT_MS).catch(() => client.end(true));
    } else client?.end(true);
    this.#failInflight(new Error('link stopped'));
    await this.#outbox.close();
    this.#setState('stopped');
  }

  /** The link's own machinery works: started, outbox open, no fatal configuration error. Not: the broker is reachable. */
  healthy(): boolean {
    return this.#failed === null && this.#state !== 'idle' && this.#state !== 'stopped';
  }

  get state(): LinkState | 'idle' {
    return this.#state;
  }

  get protocolVersion(): 4 | 5 {
    return this.#protocol;
  }

  /** Successful connections so far (the fleet simulation counts them). */
  get connects(): number {
    return this.#connects;
  }

  outboxStats(): OutboxStats {
    return this.#outbox.stats();
  }

  /** The topic scheme in use, once started (talkback asks it for its topics). */
  get topics(): TopicScheme | null {
    return this.#scheme;
  }

  /**
   * Listen to a raw binary topic — only the ones parseIncoming names as raw
   * kinds (`talkback/down`): payloads go to `listener` as received, never
   * parsed as JSON. QoS 0 only. Rejects with code `link_down` when not
   * connected (a QoS 0 stream has nothing to wait for), `invalid_args` for
   * any other topic. Resolves with the unsubscribe, which never rejects.
   *
   * The session is persistent, so the broker keeps the subscription over a
   * reconnect; callers stop on `offline` anyway (talkback does), and frames
   * without a listener are dropped.
   */
  async subscribeRaw(topic: string, qos: 0, listener: (payload: Buffer) => void): Promise<() => Promise<void>> {
    const client = this.#client;
    if (!client?.connected || !this.#scheme) throw Object.assign(new Error('the cloud link is down'), { code: 'link_down' });
    const kind = this.#scheme.parseIncoming(topic);
    if (!kind.ok || kind.value.kind !== 'talkback/down' || qos !== 0) throw Object.assign(new Error('raw subscriptions are for talkback/down at QoS 0 only'), { code: 'invalid_args' });
    let set = this.#raw.get(topic);
    const first = !set;
    if (!set) this.#raw.set(topic, (set = new Set()));
    set.add(listener);
    if (first) {
      try {
        const granted = await client.subscribeAsync(topic, { qos });
        if (granted.some((g) => g.qos >= 0x80)) throw Object.assign(new Error('the broker refused the subscription'), { code: 'subscribe_refused' });
      } catch (err) {
        set.delete(listener);
        if (!set.size) this.#raw.delete(topic);
        const code = (err as { code?: unknown }).code;
        throw Object.assign(new Error((err as Error).message), { code: typeof code === 'string' ? code : 'link_down' });
      }
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = this.#raw.get(topic);
      current?.delete(listener);
      if (current && current.size === 0) {
        this.#raw.delete(topic);
        const c = this.#client;
        if (c?.connected) await c.unsubscribeAsync(topic).catch(() => undefined);
      }
    };
  }

  /**
   * Publish one raw binary message (talkback/up) at QoS 0, not retained:
   * straight to the socket, never via the outbox. Returns false — dropped —
   * when the link is down, the socket is backed up, or the topic is not a
   * raw outgoing one.
   */
  publishRaw(topic: string, payload: Buffer, qos: 0): boolean {
    const client = this.#client;
    if (!client?.connected || !this.#scheme || qos !== TALKBACK_DELIVERY.qos) return false;
    if (topic !== this.#scheme.talkbackUp) return false;
    if (checkPublish(topic, payload.byteLength, qos)) return false;
    if ((client.stream?.writableLength ?? 0) > RAW_MAX_BUFFERED_BYTES) return false;
    client.publish(topic, payload, { qos, retain: TALKBACK_DELIVERY.retain }, () => undefined);
    return true;
  }

  /**
   * Binary QoS 1 publish of an alarm image, only under `{base}/snapshot/`:
   * images are too big for the outbox (they wait in the snapshot spool
   * instead), so this resolves on PUBACK or rejects while the link is down.
   */
  async publishBinary(topic: string, payload: Buffer): Promise<PublishOutcome> {
    const client = this.#client;
    if (!client?.connected || !this.#scheme) throw Object.assign(new Error('the cloud link is down'), { code: 'link_down' });
    if (!topic.startsWith(`${this.#scheme.base}/snapshot/`)) throw Object.assign(new Error('binary publishes are for snapshot topics only'), { code: 'invalid_args' });
    const problem = checkPublish(topic, payload.length, 1);
    if (problem) throw Object.assign(new Error(problem.message), { code: problem.code });
    return this.#publishOn(client, topic, payload, 1, false);
  }

  /**
   * Present a binding token: QoS 1, straight to the broker and never via the
   * outbox (a single-use secret must not wait on flash). Rejects with
   * code `link_down` when not connected; the caller retries.
   */
  async publishActivation(payload: ActivatePayload): Promise<PublishOutcome> {
    if (!this.#client?.connected || !this.#scheme) throw Object.assign(new Error('the cloud link is down'), { code: 'link_down' });
    return this.#send('activate', this.#scheme.activate, payload);
  }

  on(event: LinkEvent, listener: () => void): () => void {
    const set = this.#listeners.get(event) ?? new Set();
    set.add(listener);
    this.#listeners.set(event, set);
    return () => set.delete(listener);
  }

  /** Queue a QoS 1 event durably; resolves once it is on flash (sent when the link is up). */
  async publishEvent(type: string, data: Record<string, unknown>, priority: EventPriority = 'low'): Promise<Result<OutboxEvent>> {
    if (this.#state === 'idle' || this.#state === 'stopped') return fail('outbox_closed', 'the cloud link is not running');
    return this.#outbox.add({ type, data, priority });
  }

  /** Republish `info` (call when a fact changes: IP, SSID, firmware). */
  async publishInfo(): Promise<void> {
    if (this.#client?.connected) await this.#send('info', this.#scheme!.info, await this.opts.deviceInfo());
  }

  /** Publish one `health` sample now (QoS 0: dropped, not queued, while offline). */
  async publishHealth(): Promise<void> {
    if (!this.#client?.connected) return;
    const facts = await (this.opts.healthFacts ?? processHealthFacts)();
    const s = this.#outbox.stats();
    await this.#send('health', this.#scheme!.health, {
      ...facts,
      ts: this.opts.clock.now(),
      queues: { outbox: s.count, outboxBytes: s.bytes, outboxDropped: s.dropped.total },
    });
  }

  // ---- connection ----

  #schedule(delayMs: number): void {
    if (this.#stopping) return;
    this.#reconnectTimer?.cancel();
    this.#reconnectTimer = this.opts.clock.setTimeout(() => {
      this.#reconnectTimer = null;
      this.#connect();
    }, delayMs);
  }

  #clientOptions(): IClientOptions {
    const { config, tls, deviceId } = this.opts;
    const url = new URL(config.url);
    const port = Number(url.port || (url.protocol === 'mqtts:' ? 8883 : 1883));
    const statusTopic = this.#scheme!.status;
    const o: IClientOptions = {
      clientId: deviceId,
      protocolVersion: this.#protocol,
      clean: false,
      keepalive: config.keepaliveS,
      connectTimeout: config.connectTimeoutMs,
      reconnectPeriod: 0,
      resubscribe: false,
      queueQoSZero: false,
      will: { topic: statusTopic, payload: json<StatusPayload>({ state: 'offline' }), qos: 1, retain: true },
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: true,
    };
    if (this.#protocol === 5) {
      o.properties = { sessionExpiryInterval: config.sessionExpiryS, maximumPacketSize: MAX_SCAN_BYTES + 1024 };
    }
    const serverName = config.serverName || url.hostname;
    if (!isIP(serverName)) o.servername = serverName;
    if (config.alpn === 'on' || (config.alpn === 'auto' && port === 443)) o.ALPNProtocols = ['x-amzn-mqtt-ca'];
    return o;
  }

  #connect(): void {
    if (this.#stopping) return;
    this.#lastAttemptAt = this.opts.clock.monotonic();
    let client: MqttClient;
    try {
      const options = this.#clientOptions();
      const url = new URL(this.opts.config.url);
      let transport: Socket | null = null;
      if (url.protocol === 'mqtts:') {
        // Our own TCP socket under TLS (mqtt.js hands `socket` to tls.connect): only a net.Socket can be reset.
        transport = connectTcp({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 8883) });
        // Its errors reach the TLS socket, and through it mqtt.js; this keeps a late one (after a reset) from being unhandled.
        transport.on('error', () => undefined);
        (options as IClientOptions & { socket?: Socket }).socket = transport;
      }
      client = mqtt.connect(this.opts.config.url, options);
      this.#transport = transport ?? (client.stream instanceof Socket ? client.stream : null);
    } catch (err) {
      this.#failed = { code: 'link_down', message: 'cannot create the MQTT client' };
      this.opts.logger.error({ err }, 'cloud: cannot create the MQTT client');
      return;
    }
    this.#client = client;
    let connacked = false;
    // For the v5 fallback on a silent close: did the transport come up (so the broker got our CONNECT,
    // which mqtt.js queues synchronously inside connect()), and did it fail on its own?
    let connectSentAt: number | null = null;
    let transportError = false;
    const up = () => (connectSentAt = this.opts.clock.monotonic());
    if (client.stream) client.stream.once(new URL(this.opts.config.url).protocol === 'mqtts:' ? 'secureConnect' : 'connect', up);
    client.on('connect', (connack) => {
      connacked = true;
      void this.#onConnected(client, connack.sessionPresent);
    });
    client.on('message', (topic, payload, packet) => void this.#onMessage(client, topic, payload, packet));
    client.on('error', (err) => {
      const code = (err as { code?: number }).code;
      if (!connacked && this.#protocol === 5 && this.opts.config.protocol === 'auto' && typeof code === 'number' && MQTT5_UNSUPPORTED.has(code)) {
        // The broker speaks only 3.1.1; stay on it for the life of this link.
        this.#protocol = 4;
        this.opts.logger.info('cloud: broker refused MQTT 5, using 3.1.1');
      }
      if (typeof code !== 'number') transportError = true;
      this.opts.logger.warn({ err: { message: err.message, code } }, 'cloud: connection error');
    });
    client.on('close', () => {
      if (!connacked && connectSentAt !== null && !transportError) {
        const waited = this.opts.clock.monotonic() - connectSentAt;
        if (waited < this.opts.config.connectTimeoutMs) this.#peerClosedBeforeConnack();
      }
      this.#onClosed(client, connacked);
    });
  }

  /** The broker hung up on our CONNECT without a CONNACK: counts towards "MQTT 5 unsupported". */
  #peerClosedBeforeConnack(): void {
    if (this.#protocol !== 5 || this.opts.config.protocol !== 'auto') return;
    this.#v5CloseStrikes++;
    if (this.#v5CloseStrikes < MQTT5_CLOSE_STRIKES) return;
    this.#protocol = 4;
    this.opts.logger.info({ closes: this.#v5CloseStrikes }, 'cloud: broker closed the connection on every MQTT 5 CONNECT, using 3.1.1');
  }

  async #onConnected(client: MqttClient, sessionPresent: boolean): Promise<void> {
    if (client !== this.#client) return;
    const { clock, logger } = this.opts;
    const scheme = this.#scheme!;
    this.#connects++;
    this.#v5CloseStrikes = 0;
    this.#backoff.connected(clock.monotonic());
    logger.info({ sessionPresent, protocol: this.#protocol === 5 ? '5' : '3.1.1' }, 'cloud: connected');
    try {
      // A persistent session keeps our subscriptions; subscribing again would redeliver every retained desired config.
      if (!sessionPresent) {
        const filters = [scheme.requestFilter, scheme.configDesired];
        if (this.opts.config.homeAssistant.enabled) filters.push(scheme.haStatus);
        await client.subscribeAsync(filters.slice(0, LIMITS.maxFiltersPerSubscribe), { qos: 1 });
      }
      await this.#send('status', scheme.status, { state: 'online', ts: clock.now() });
      await this.#send('info', scheme.info, await this.opts.deviceInfo());
      if (this.#configSync) await this.#send('config/reported', scheme.configReported, this.#configSync.current());
      if (this.opts.config.homeAssistant.enabled) await this.#publishDiscovery();
    } catch (err) {
      logger.warn({ err }, 'cloud: connect-time publishing failed');
      return;
    }
    if (client !== this.#client || !client.connected) return;
    this.#setState('online');
    this.#drain!.start();
    this.#healthTimer?.cancel();
    this.#healthTimer = clock.setInterval(() => void this.publishHealth().catch(() => undefined), this.opts.config.healthIntervalS * 1000);
  }

  #onClosed(client: MqttClient, connacked: boolean, why?: CloudError): void {
    if (client !== this.#client) return;
    const { clock } = this.opts;
    this.#client = null;
    client.removeAllListeners('close');
    client.on('error', () => undefined);
    // We give up on a connection that is still open (no PUBACK in time): RST, so the kernel drops the
    // unacknowledged publishes instead of delivering them when the link returns.
    if (why) this.#transport?.resetAndDestroy();
    this.#transport = null;
    client.end(true);
    this.#drain?.stop();
    this.#healthTimer?.cancel();
    this.#failInflight(why ? Object.assign(new Error(why.message), { code: why.code }) : new Error('connection closed'));
    if (connacked) this.#backoff.disconnected(clock.monotonic());
    if (this.#stopping) return;
    this.#setState('offline');
    const delay = this.opts.fixedReconnectMs ?? this.#backoff.nextDelay(clock.monotonic() - this.#lastAttemptAt);
    this.opts.logger.info({ delayMs: delay, attempt: this.#backoff.attempt }, 'cloud: disconnected; reconnecting');
    this.#schedule(delay);
  }

  #setState(state: LinkState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const l of this.#listeners.get(state) ?? []) l();
  }

  // ---- incoming ----

  async #onMessage(client: MqttClient, topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    if (client !== this.#client) return;
    const scheme = this.#scheme!;
    const requests = this.#requests!;
    const parsed = scheme.parseIncoming(topic);
    if (!parsed.ok) {
      requests.drop(parsed.error.code, 'dropped a message on an unexpected topic', { code: parsed.error.code });
      return;
    }
    if (parsed.value.kind === 'talkback/down') {
      // Raw audio frames: handed on synchronously, in arrival order; never JSON, never answered.
      for (const listener of this.#raw.get(topic) ?? []) {
        try {
          listener(payload);
        } catch (err) {
          requests.drop('raw_listener_failed', 'a raw topic listener failed', { err: { message: (err as Error).message } });
        }
      }
      return;
    }
    try {
      switch (parsed.value.kind) {
        case 'request': {
          const props = packet.properties;
          const out = await requests.handle({
            op: parsed.value.op,
            payload,
            ...(props?.responseTopic !== undefined ? { responseTopic: props.responseTopic } : {}),
            ...(props?.correlationData !== undefined ? { correlationData: props.correlationData } : {}),
          });
          if (out && this.#client) {
            await this.#publishOn(this.#client, out.topic, out.payload, out.qos, out.retain, out.correlationData);
          }
          return;
        }
        case 'config/desired': {
          if (!this.#configSync) return;
          const report = await this.#configSync.handleDesired(payload);
          if (report) await this.#send('config/reported', scheme.configReported, report);
          return;
        }
        case 'ha/status':
          if (payload.toString() === 'online' && this.opts.config.homeAssistant.enabled) await this.#publishDiscovery();
          return;
      }
    } catch (err) {
      // A publish failing because the link dropped meanwhile: the cloud retries the request.
      requests.drop('reply_failed', 'could not answer a message', { err: { message: (err as Error).message } });
    }
  }

  async #publishDiscovery(): Promise<void> {
    const info = await this.opts.deviceInfo();
    for (const m of haDiscoveryMessages(this.#scheme!, info)) await this.#send('ha/discovery', m.topic, m.payload);
  }

  // ---- outgoing ----

  /** A typed publish: the payload type follows the topic kind, QoS and retain come from DELIVERY. */
  async #send<K extends OutgoingKind>(kind: K, topic: string, payload: OutgoingPayloads[K]): Promise<PublishOutcome> {
    const client = this.#client;
    if (!client?.connected) throw new Error('link down');
    const { qos, retain } = DELIVERY[kind];
    return this.#publishOn(client, topic, Buffer.from(JSON.stringify(payload)), qos, retain);
  }

  #publishEvent(event: OutboxEvent): Promise<PublishOutcome> {
    const client = this.#client;
    if (!client?.connected) return Promise.reject(new Error('link down'));
    return this.#publishOn(client, this.#scheme!.event(event.type), Buffer.from(JSON.stringify(wire(event))), 1, false);
  }

  /**
   * Publish and resolve on PUBACK (QoS 1) or when written (QoS 0). Checked
   * against the client-side limits first. Rejected when the connection
   * closes first: mqtt.js keeps such callbacks pending forever with
   * clean: false, so the link tracks and fails them itself.
   */
  #publishOn(client: MqttClient, topic: string, payload: Buffer, qos: QoS, retain: boolean, correlationData?: Buffer): Promise<PublishOutcome> {
    const limit = checkPublish(topic, payload.byteLength, qos);
    if (limit) return Promise.reject(Object.assign(new Error(limit.message), { code: limit.code }));
    return new Promise<PublishOutcome>((resolve, reject) => {
      let timer: Timer | null = null;
      const abort = (err: Error) => {
        timer?.cancel();
        reject(err);
      };
      this.#inflight.add(abort);
      const opts: mqtt.IClientPublishOptions = { qos, retain };
      if (correlationData !== undefined && this.#protocol === 5) opts.properties = { correlationData };
      if (qos === 1) {
        // A broker that keeps answering PINGREQ but never sends this PUBACK would hold the event (and the
        // drain's in-flight slot) forever: give up on the connection; the outbox sends it again on the next.
        timer = this.opts.clock.setTimeout(() => {
          timer = null;
          if (client !== this.#client) return;
          this.opts.logger.warn({ topic, timeoutMs: this.#pubackTimeoutMs() }, 'cloud: no PUBACK in time; dropping the connection');
          this.#onClosed(client, true, { code: 'publish_timeout', message: 'no PUBACK in time' });
        }, this.#pubackTimeoutMs());
      }
      client.publish(topic, payload, opts, (err) => {
        timer?.cancel();
        this.#inflight.delete(abort);
        if (!err) return resolve('acked');
        const rc = (err as { code?: number }).code;
        // MQTT 5 PUBACK reason ≥ 0x80: the broker took the packet and refused it (e.g. not authorised).
        if (typeof rc === 'number' && rc >= 0x80) resolve('refused');
        else reject(err);
      });
    });
  }

  /** One keep-alive period, at most MAX_PUBACK_TIMEOUT_MS (mqtt.js itself gives up on a silent peer after 1.5 × keep-alive). */
  #pubackTimeoutMs(): number {
    return Math.min(this.opts.config.keepaliveS * 1000, MAX_PUBACK_TIMEOUT_MS);
  }

  #failInflight(err: Error): void {
    const all = [...this.#inflight];
    this.#inflight.clear();
    for (const abort of all) abort(err);
  }
}

/**
 * `mqtts://` always; plain `mqtt://` only to a loopback host (a test or demo
 * broker on the device itself): device keys, requests and personal data never
 * cross a network in clear. Returns the problem, or null.
 */
export function plainTextUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'cloud.url is not a URL';
  }
  if (u.protocol === 'mqtts:') return null;
  if (u.protocol !== 'mqtt:') return `cloud.url must be mqtts:// (got ${u.protocol}//)`;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  return loopback ? null : 'cloud.url may be mqtt:// (no TLS) only for a loopback broker';
}

function json<T>(v: T): Buffer {
  return Buffer.from(JSON.stringify(v));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (t = setTimeout(() => reject(new Error('timeout')), ms)))]).finally(() => clearTimeout(t));
}
