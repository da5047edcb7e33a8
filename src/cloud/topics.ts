import { fail, ok, type CloudError, type Result } from './cloud-error.js';
import type {
  ActivatePayload,
  ConfigReportedPayload,
  EventPayload,
  HaDiscoveryPayload,
  HealthPayload,
  InfoPayload,
  ResponsePayload,
  StatusPayload,
} from './payloads.js';

/**
 * The topic scheme and the client-side limits. Pure: no I/O, no clock.
 *
 * The limits are AWS IoT Core's (shared/reference/security.md §2.2), the
 * strictest broker we target; checking them here means a message that works
 * against the Mosquitto test bench also works in production, instead of
 * being rejected (or, for QoS 2, silently never acknowledged) by AWS.
 */
export const LIMITS = {
  /** AWS IoT: topic name or filter ≤ 256 bytes UTF-8 (aws-c-mqtt AWS_IOT_CORE_MAXIMUM_TOPIC_LENGTH). */
  maxTopicBytes: 256,
  /**
   * AWS IoT: ≤ 7 slashes, i.e. ≤ 8 levels. We count every level of the
   * topic as written, except that the Basic Ingest prefix `$aws/rules/<rule>/`
   * is not counted (AWS does not count it). `cam/ABC/response/config.get`
   * is 4 levels; `homeassistant/sensor/ABC/rssi/config` is 5.
   */
  maxTopicLevels: 8,
  /** AWS IoT: publish payload ≤ 128 KB, hard (PAYLOAD_LIMIT_EXCEEDED). */
  maxPayloadBytes: 128 * 1024,
  /** AWS IoT: ≤ 8 topic filters per SUBSCRIBE. */
  maxFiltersPerSubscribe: 8,
  /** AWS IoT: client id ≤ 128 bytes; the client id is the device id. */
  maxClientIdBytes: 128,
} as const;

export type QoS = 0 | 1;

/** A name used as one topic level: an op, an event type, an event id. */
const LEVEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isLevelName(s: string): boolean {
  return LEVEL_NAME.test(s);
}

/** Outgoing topics and their payload types: what crosses the wire, by kind. */
export interface OutgoingPayloads {
  status: StatusPayload;
  info: InfoPayload;
  health: HealthPayload;
  event: EventPayload;
  response: ResponsePayload;
  'config/reported': ConfigReportedPayload;
  'ha/discovery': HaDiscoveryPayload;
  activate: ActivatePayload;
}
export type OutgoingKind = keyof OutgoingPayloads;

/**
 * QoS and retain per kind. Status, info and reported config are retained so
 * a cloud service that subscribes later sees the current state at once;
 * health is QoS 0 telemetry (a lost sample is replaced by the next one and is
 * never queued offline); events and responses are QoS 1.
 */
export const DELIVERY: Record<OutgoingKind, { qos: QoS; retain: boolean }> = {
  status: { qos: 1, retain: true },
  info: { qos: 1, retain: true },
  health: { qos: 0, retain: false },
  event: { qos: 1, retain: false },
  response: { qos: 1, retain: false },
  'config/reported': { qos: 1, retain: true },
  'ha/discovery': { qos: 1, retain: true },
  activate: { qos: 1, retain: false },
};

/** Incoming topics and what arrives on them (before validation: unknown). */
export type IncomingTopic = { kind: 'request'; op: string } | { kind: 'config/desired' } | { kind: 'ha/status' } | { kind: 'talkback/down' };

/**
 * Talkback push-to-talk over MQTT (src/talkback/mqtt-transport.ts): one raw
 * binary wire frame per message, QoS 0 and never retained — a lost or late
 * audio frame is worth nothing, and a retained one would replay to the next
 * subscriber. Not JSON, never through the outbox.
 */
export const TALKBACK_DELIVERY = { qos: 0, retain: false } as const;

export interface TopicSchemeOptions {
  deviceId: string;
  /** Template of the device prefix; `{deviceId}` is replaced. Default `cam/{deviceId}`. */
  prefix?: string;
  /** Home Assistant discovery prefix; default `homeassistant`. */
  discoveryPrefix?: string;
}

export interface TopicScheme {
  readonly deviceId: string;
  /** `cam/{deviceId}` with the id filled in. */
  readonly base: string;
  readonly status: string;
  readonly info: string;
  readonly health: string;
  readonly configDesired: string;
  readonly configReported: string;
  /** Subscription filter for every request op. */
  readonly requestFilter: string;
  readonly haStatus: string;
  /** Device → cloud: present a binding token (ActivatePayload). */
  readonly activate: string;
  /** Cloud → device: talkback wire frames, raw binary (TALKBACK_DELIVERY). */
  readonly talkbackDown: string;
  /** Device → cloud: talkback wire frames, raw binary (TALKBACK_DELIVERY). */
  readonly talkbackUp: string;
  event(type: string): string;
  request(op: string): string;
  response(op: string): string;
  snapshot(eventId: string): string;
  haDiscovery(component: string, objectId: string): string;
  /** Which of our incoming topics this is; other devices' topics are refused. */
  parseIncoming(topic: string): Result<IncomingTopic>;
}

export function topicScheme(opts: TopicSchemeOptions): Result<TopicScheme> {
  const { deviceId } = opts;
  const template = opts.prefix ?? 'cam/{deviceId}';
  const discovery = opts.discoveryPrefix ?? 'homeassistant';
  if (!DEVICE_ID.test(deviceId)) {
    return fail('invalid_config', 'device id must be 1–128 characters of A–Z a–z 0–9 . _ : - (it is a topic level and the client id)');
  }
  if (!template.includes('{deviceId}')) return fail('invalid_config', 'topic prefix must contain {deviceId}');
  const base = template.replaceAll('{deviceId}', deviceId);
  const baseError = checkTopic(base);
  if (baseError) return { ok: false, error: baseError };
  const discoveryError = checkTopic(discovery);
  if (discoveryError) return { ok: false, error: discoveryError };
  // Another device's base: the same template with any single level as id.
  const foreign = new RegExp(
    '^' +
      template
        .split('{deviceId}')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('([^/]+)') +
      '(?:/|$)',
  );
  const t = (suffix: string) => `${base}/${suffix}`;
  const scheme: TopicScheme = {
    deviceId,
    base,
    status: t('status'),
    info: t('info'),
    health: t('health'),
    configDesired: t('config/desired'),
    configReported: t('config/reported'),
    requestFilter: t('request/+'),
    haStatus: `${discovery}/status`,
    activate: t('activate'),
    talkbackDown: t('talkback/down'),
    talkbackUp: t('talkback/up'),
    event: (type) => t(`event/${type}`),
    request: (op) => t(`request/${op}`),
    response: (op) => t(`response/${op}`),
    snapshot: (eventId) => t(`snapshot/${eventId}`),
    haDiscovery: (component, objectId) => `${discovery}/${component}/${deviceId}/${objectId}/config`,
    parseIncoming(topic) {
      if (topic === scheme.haStatus) return ok({ kind: 'ha/status' });
      if (topic === scheme.configDesired) return ok({ kind: 'config/desired' });
      if (topic === scheme.talkbackDown) return ok({ kind: 'talkback/down' });
      const reqPrefix = `${base}/request/`;
      if (topic.startsWith(reqPrefix)) {
        const op = topic.slice(reqPrefix.length);
        if (!op.includes('/')) return ok({ kind: 'request', op });
      }
      const m = foreign.exec(topic);
      if (m && m.slice(1).some((id) => id !== deviceId)) {
        return fail('foreign_device', 'topic belongs to another device');
      }
      return fail('unknown_topic', 'not a topic this device subscribes to');
    },
  };
  return ok(scheme);
}

/** Levels as AWS counts them (see LIMITS.maxTopicLevels). */
export function topicLevels(topic: string): number {
  const ingest = /^\$aws\/rules\/[^/]+\//.exec(topic);
  const rest = ingest ? topic.slice(ingest[0].length) : topic;
  return rest.split('/').length;
}

/** A topic we may publish to: length, levels, no wildcards, no empty levels, no reserved `$` topic. */
export function checkTopic(topic: string): CloudError | null {
  if (topic.length === 0) return { code: 'empty_topic_level', message: 'topic is empty' };
  if (Buffer.byteLength(topic, 'utf8') > LIMITS.maxTopicBytes) {
    return { code: 'topic_too_long', message: `topic is longer than ${LIMITS.maxTopicBytes} bytes` };
  }
  if (/[+#\u0000]/.test(topic)) return { code: 'wildcard_in_topic', message: 'a publish topic cannot contain + # or NUL' };
  if (topic.startsWith('$') && !/^\$aws\/rules\/[^/]+\//.test(topic)) {
    return { code: 'reserved_topic', message: 'clients cannot publish to $ topics' };
  }
  if (topicLevels(topic) > LIMITS.maxTopicLevels) {
    return { code: 'too_many_levels', message: `topic has more than ${LIMITS.maxTopicLevels} levels` };
  }
  if (topic.split('/').some((l) => l === '')) return { code: 'empty_topic_level', message: 'topic has an empty level' };
  return null;
}

/** Everything the broker would refuse (or AWS would hang on), checked before sending. */
export function checkPublish(topic: string, payloadBytes: number, qos: number): CloudError | null {
  const topicError = checkTopic(topic);
  if (topicError) return topicError;
  if (qos !== 0 && qos !== 1) return { code: 'qos_not_supported', message: 'only QoS 0 and 1 are used (AWS IoT never acknowledges QoS 2)' };
  if (payloadBytes > LIMITS.maxPayloadBytes) {
    return { code: 'payload_too_large', message: `payload is larger than ${LIMITS.maxPayloadBytes} bytes` };
  }
  return null;
}
