import { API_TOKEN_ARGS_SCHEMA } from '../api/auth/token-request.js';
import { OTA_JOB_ARGS_SCHEMA } from '../ota/ota-job.js';
import type { JsonSchema } from './json-check.js';

/**
 * JSON Schemas of every payload: the one source for the request validators
 * (request-handler.ts, config-sync.ts) and for docs/schemas/*.json, which a
 * unit test regenerates and compares (UPDATE_SCHEMAS=1 rewrites them).
 */

const ID = 'https://camera-agent.invalid/schemas/';
const DRAFT = 'https://json-schema.org/draft/2020-12/schema';

const ms = (description: string): JsonSchema => ({ type: 'integer', minimum: 0, description });
const stringList = (max: number): JsonSchema => ({ type: 'array', items: { type: 'string', maxLength: 256 }, maxItems: max });
const fieldProblem: JsonSchema = {
  type: 'object',
  required: ['path', 'code', 'rule'],
  additionalProperties: false,
  properties: { path: { type: 'string' }, code: { type: 'string' }, rule: { type: 'string' } },
};

export const TRANSACTION_PATTERN = '^[A-Za-z0-9._:-]{1,64}$';
export const EVENT_ID_PATTERN = '^[0-9a-f]{32}$';
/** A talkback session id, chosen by the cloud (or the local API). */
export const TALK_SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{8,64}$';

export const statusSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}status.json`,
  title: 'cam/{deviceId}/status (retained, QoS 1; also the last will)',
  type: 'object',
  required: ['state'],
  additionalProperties: false,
  properties: {
    state: { enum: ['online', 'offline', 'stopped'] },
    ts: ms('wall-clock ms of the change; absent in the last will'),
  },
};

const OTA_STATES = ['queued', 'downloading', 'verifying', 'installing', 'rebooting', 'confirming', 'succeeded', 'failed', 'rolled-back'];

function otaProgressSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['percent', 'bytes', 'totalBytes', 'etaS'],
    description: 'downloading: bytes of the image; installing: the installer\'s percent (bytes = percent, totalBytes = 100)',
    properties: {
      percent: { type: 'number', minimum: 0, maximum: 100 },
      bytes: { type: 'integer', minimum: 0 },
      totalBytes: { type: 'integer', minimum: 0 },
      etaS: { type: ['number', 'null'], description: 'seconds left at the current rate' },
    },
  };
}

function otaErrorSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'message'],
    properties: { code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' }, message: { type: 'string', maxLength: 1024 } },
  };
}

export const infoSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}info.json`,
  title: 'cam/{deviceId}/info (retained, QoS 1)',
  type: 'object',
  required: ['model', 'serial', 'firmwareVersion', 'agentVersion', 'capabilities'],
  properties: {
    model: { type: 'string', maxLength: 64 },
    serial: { type: 'string', maxLength: 64 },
    firmwareVersion: { type: 'string', maxLength: 64 },
    agentVersion: { type: 'string', maxLength: 64 },
    mac: { type: 'string', description: 'masked: last three octets only' },
    ip: { type: 'string', description: 'masked: last octet only' },
    wifi: {
      type: 'object',
      additionalProperties: false,
      properties: { ssid: { type: 'string', description: 'masked: first two characters and length' }, rssi: { type: 'integer' } },
    },
    uptimeS: { type: 'number', minimum: 0 },
    activatedAt: { type: ['integer', 'null'], description: 'wall-clock ms of binding to an account' },
    capabilities: stringList(64),
    privacy: { type: 'boolean', description: 'privacy mode (config privacy.mode or the shutter closed): no analysis, no alarms' },
    alarmSnapshots: { type: 'boolean', description: 'config alarm.snapshots: alarms carry an image' },
    ota: {
      type: 'object',
      description: 'the firmware update job in progress, or the last one and how it ended (docs/ota.md)',
      properties: {
        jobId: { type: 'string' },
        state: { enum: OTA_STATES },
        fromVersion: { type: 'string' },
        toVersion: { type: 'string' },
        updatedAt: ms('wall-clock ms of the last state change'),
        progress: otaProgressSchema(),
        error: otaErrorSchema(),
      },
    },
  },
};

export const healthSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}health.json`,
  title: 'cam/{deviceId}/health (QoS 0, every cloud.healthIntervalS; never queued offline)',
  type: 'object',
  required: ['ts', 'uptimeS', 'memory', 'queues'],
  properties: {
    ts: ms('wall-clock ms of the sample'),
    uptimeS: { type: 'number', minimum: 0 },
    memory: {
      type: 'object',
      required: ['rssBytes', 'heapUsedBytes'],
      properties: {
        rssBytes: { type: 'integer', minimum: 0 },
        heapUsedBytes: { type: 'integer', minimum: 0 },
        systemFreeBytes: { type: 'integer', minimum: 0 },
      },
    },
    handles: { type: 'integer', minimum: 0, description: 'active handles and requests of the agent process (sockets, timers, pipes)' },
    load: { type: 'array', items: { type: 'number' }, maxItems: 3 },
    cpuTempC: { type: ['number', 'null'] },
    storage: {
      type: 'object',
      required: ['freeBytes', 'totalBytes'],
      properties: { freeBytes: { type: 'integer', minimum: 0 }, totalBytes: { type: 'integer', minimum: 0 } },
    },
    queues: {
      type: 'object',
      required: ['outbox', 'outboxBytes', 'outboxDropped'],
      properties: {
        outbox: { type: 'integer', minimum: 0 },
        outboxBytes: { type: 'integer', minimum: 0 },
        outboxDropped: { type: 'integer', minimum: 0 },
      },
    },
  },
};

export const eventSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}event.json`,
  title: 'cam/{deviceId}/event/{type} (QoS 1, from the durable outbox; at least once, de-duplicate by id)',
  type: 'object',
  required: ['id', 'type', 'ts', 'priority', 'data'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: EVENT_ID_PATTERN, description: '16 random bytes, lower-case hex' },
    type: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' },
    ts: ms('wall-clock ms when the event happened'),
    priority: { enum: ['high', 'low'] },
    data: { type: 'object' },
  },
};

export const requestSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}request.json`,
  title: 'cam/{deviceId}/request/{op} (QoS 1)',
  type: 'object',
  required: ['transaction', 'ts'],
  additionalProperties: false,
  properties: {
    transaction: { type: 'string', pattern: TRANSACTION_PATTERN, description: 'unique per request; duplicates get the first response again' },
    op: { type: 'string', description: 'optional; must equal the topic level when given' },
    ts: ms('wall-clock ms when the cloud issued the request'),
    ttlMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
    args: { type: 'object' },
  },
};

export const responseSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}response.json`,
  title: 'cam/{deviceId}/response/{op}, or the MQTT 5 response topic (QoS 1)',
  oneOf: [
    {
      type: 'object',
      required: ['transaction', 'op', 'ts', 'status', 'data'],
      additionalProperties: false,
      properties: {
        transaction: { type: 'string' },
        op: { type: 'string' },
        ts: ms('wall-clock ms of the response'),
        status: { const: 'ok' },
        data: {},
      },
    },
    {
      type: 'object',
      required: ['transaction', 'op', 'ts', 'status', 'error'],
      additionalProperties: false,
      properties: {
        transaction: { type: 'string' },
        op: { type: 'string' },
        ts: ms('wall-clock ms of the response'),
        status: { const: 'error' },
        error: {
          type: 'object',
          required: ['code', 'message'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', pattern: '^[a-z][a-z0-9_]*$' },
            message: { type: 'string' },
            fields: { type: 'array', items: fieldProblem },
          },
        },
      },
    },
  ],
};

export const configDesiredSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}config-desired.json`,
  title: 'cam/{deviceId}/config/desired (retained, written by the cloud)',
  type: 'object',
  required: ['config'],
  additionalProperties: false,
  properties: {
    version: { type: 'integer', minimum: 0 },
    config: { type: 'object', description: 'a partial agent configuration (docs/config.md); applied all or nothing' },
  },
};

export const configReportedSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}config-reported.json`,
  title: 'cam/{deviceId}/config/reported (retained, QoS 1)',
  type: 'object',
  required: ['ts', 'desiredVersion', 'desiredHash', 'status', 'applied', 'restartRequired', 'pinned', 'rejected', 'config'],
  additionalProperties: false,
  properties: {
    ts: ms('wall-clock ms of the report'),
    desiredVersion: { type: ['integer', 'null'] },
    desiredHash: { type: ['string', 'null'], description: 'sha256 of the canonical JSON of desired.config' },
    status: { enum: ['applied', 'rejected', 'none'] },
    applied: stringList(512),
    restartRequired: stringList(512),
    pinned: stringList(512),
    rejected: { type: 'array', items: fieldProblem },
    config: { type: 'object', description: 'the configuration in force, secrets masked' },
  },
};

const snapshotRef: JsonSchema = {
  type: 'object',
  required: ['state'],
  additionalProperties: false,
  properties: {
    state: { enum: ['pending', 'off'], description: 'off: alarm.snapshots is false, no image exists' },
    delivery: { enum: ['https', 'mqtt'] },
    topic: { type: 'string', description: 'mqtt: the topic the image (or thumbnail) will arrive on' },
  },
};

/** `data` of cam/{deviceId}/event/alarm. */
export const alarmEventDataSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}event-data.alarm.json`,
  title: 'data of cam/{deviceId}/event/alarm (QoS 1, priority high): never carries image bytes',
  type: 'object',
  required: ['alarmId', 'kind', 'at', 'score', 'zones', 'snapshot', 'thumbnail'],
  additionalProperties: false,
  properties: {
    alarmId: { type: 'string', pattern: EVENT_ID_PATTERN, description: 'names the snapshot topic, the upload request and the status events' },
    kind: { enum: ['motion', 'manual'] },
    at: ms('wall-clock ms of the motion start (manual: of the request)'),
    score: { type: 'number', minimum: 0, maximum: 100, description: 'changed area in percent of the frame at the start' },
    zones: stringList(16),
    snapshot: snapshotRef,
    thumbnail: snapshotRef,
  },
};

/** `data` of cam/{deviceId}/event/snapshot. */
export const snapshotEventDataSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}event-data.snapshot.json`,
  title: 'data of cam/{deviceId}/event/snapshot: what became of an alarm image',
  type: 'object',
  required: ['alarmId', 'state', 'delivery', 'attempts'],
  additionalProperties: false,
  properties: {
    alarmId: { type: 'string', pattern: EVENT_ID_PATTERN },
    state: { enum: ['delivered', 'retrying', 'failed'], description: 'failed: no image could be captured or spooled (code says why)' },
    delivery: { enum: ['https', 'mqtt'] },
    attempts: { type: 'integer', minimum: 0 },
    bytes: { type: 'integer', minimum: 0 },
    width: { type: 'integer', minimum: 1 },
    height: { type: 'integer', minimum: 1 },
    lowRes: { type: 'boolean', description: 'the image is the upscaled low-res pre-event frame' },
    source: { enum: ['onvif', 'grab', 'pre-event'] },
    retryInMs: { type: 'integer', minimum: 0 },
    code: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_]*$',
      description: 'retrying/failed: why (capture, spool and delivery codes, docs/protocol.md); failed `capture_interrupted`: the agent stopped before the image was made, none will come',
    },
  },
};

/** `data` of cam/{deviceId}/event/talkback (src/talkback/talkback-service.ts). */
export const talkbackEventDataSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}event-data.talkback.json`,
  title: 'data of cam/{deviceId}/event/talkback: a session started, was refused or ended (docs/talkback.md)',
  type: 'object',
  required: ['sessionId', 'state', 'origin'],
  additionalProperties: false,
  properties: {
    sessionId: { type: 'string', pattern: TALK_SESSION_ID_PATTERN, description: 'the cloud\'s id; `local-…` for a technician\'s session' },
    state: { enum: ['started', 'refused', 'ended'] },
    origin: { enum: ['cloud', 'local'], description: 'local: a technician on the local API' },
    transport: { enum: ['relay', 'local', 'mqtt'] },
    codec: {
      type: 'object',
      required: ['name', 'sampleRate'],
      additionalProperties: false,
      properties: { name: { enum: ['pcmu', 'pcma', 'opus', 'aac'] }, sampleRate: { type: 'integer', minimum: 8000, maximum: 48000 } },
    },
    duplex: { enum: ['half', 'full'] },
    reason: {
      enum: [
        'stopped', 'remote_closed', 'transport_lost', 'idle_timeout', 'max_duration', 'privacy_mode', 'disabled', 'audio_device_failed', 'shutdown',
        'busy', 'talkback_disabled', 'invalid_codec', 'audio_busy', 'relay_url_invalid', 'relay_unreachable', 'relay_rejected', 'relay_tls_failed', 'relay_timeout', 'mqtt_unavailable',
      ],
      description: 'ended: why it ended; refused: why it was not started',
    },
    durationMs: { type: 'integer', minimum: 0 },
    stats: {
      type: 'object',
      additionalProperties: false,
      description: 'ended only: what happened to the audio',
      properties: {
        framesIn: { type: 'integer', minimum: 0, description: 'audio frames received from the far end' },
        framesOut: { type: 'integer', minimum: 0, description: 'audio frames sent to the far end' },
        lost: { type: 'integer', minimum: 0, description: 'frames never received, concealed with silence' },
        late: { type: 'integer', minimum: 0, description: 'frames that arrived after their playout slot (dropped)' },
        duplicates: { type: 'integer', minimum: 0 },
        reordered: { type: 'integer', minimum: 0 },
        badFrames: { type: 'integer', minimum: 0, description: 'unparsable frames or frames in another codec' },
        concealedMs: { type: 'integer', minimum: 0 },
        playedMs: { type: 'integer', minimum: 0 },
        outputDrops: { type: 'integer', minimum: 0, description: 'decoded chunks dropped because the speaker did not keep up (latency bound)' },
        latencyP95Ms: { type: ['number', 'null'], description: 'frame arrival → its samples at ALSA, 95th percentile' },
      },
    },
  },
};

/** `data` of cam/{deviceId}/event/ota (src/ota/ota-service.ts). */
export const otaEventDataSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}event-data.ota.json`,
  title: 'data of cam/{deviceId}/event/ota: a firmware update job changed state, or made progress (docs/ota.md)',
  type: 'object',
  required: ['jobId', 'state', 'fromVersion', 'toVersion'],
  additionalProperties: false,
  properties: {
    jobId: { type: 'string' },
    state: { enum: OTA_STATES, description: 'persisted before it is reported; succeeded, failed and rolled-back are final (priority high)' },
    fromVersion: { type: 'string' },
    toVersion: { type: 'string' },
    progress: otaProgressSchema(),
    waitingFor: { type: 'array', items: { type: 'string' }, description: 'the update lock\'s holders the install or reboot waits for (talkback, technician)' },
    error: otaErrorSchema(),
  },
};

/** `data` of cam/{deviceId}/event/upload-url. */
export const uploadUrlEventDataSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}event-data.upload-url.json`,
  title: 'data of cam/{deviceId}/event/upload-url: the device asks for presigned PUT URLs; answered by request op snapshot.upload-url',
  type: 'object',
  required: ['alarmId', 'requestId', 'contentType', 'image', 'thumbnail'],
  additionalProperties: false,
  properties: {
    alarmId: { type: 'string', pattern: EVENT_ID_PATTERN },
    requestId: { type: 'string', pattern: '^[0-9a-f]{16}$', description: 'echo it in the answer; a new one per attempt' },
    contentType: { const: 'image/jpeg' },
    image: { type: 'object', required: ['bytes', 'sha256'], additionalProperties: false, properties: { bytes: { type: 'integer', minimum: 1 }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
    thumbnail: { type: 'object', required: ['bytes', 'sha256'], additionalProperties: false, properties: { bytes: { type: 'integer', minimum: 1 }, sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
  },
};

/** cam/{deviceId}/activate: the device presents a binding token (never queued; see docs/protocol.md). */
export const activateSchema: JsonSchema = {
  $schema: DRAFT,
  $id: `${ID}activate.json`,
  title: 'cam/{deviceId}/activate (device → cloud, QoS 1, not retained): present the binding token from the provisioning QR; answered by request op bind.result',
  type: 'object',
  required: ['requestId', 'token', 'region', 'serial', 'firmwareVersion', 'ts'],
  additionalProperties: false,
  properties: {
    requestId: { type: 'string', pattern: '^[0-9a-f]{16}$', description: 'echo it in bind.result; a new one per attempt' },
    token: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$', description: 'single-use binding token (Crockford base32, 130 bits)' },
    region: { type: 'string', pattern: '^[A-Z]{2}$' },
    serial: { type: 'string', maxLength: 64, description: 'must equal the serial in the client certificate' },
    firmwareVersion: { type: 'string', maxLength: 64 },
    ts: ms('wall-clock ms of the attempt'),
  },
};

/** Arguments of each op (request.args). Unknown arguments are refused so typos do not pass silently. */
export const OP_ARG_SCHEMAS = {
  ping: { type: 'object', additionalProperties: false, properties: {} },
  info: { type: 'object', additionalProperties: false, properties: {} },
  reboot: {
    type: 'object',
    additionalProperties: false,
    properties: {
      delayMs: { type: 'integer', minimum: 0, maximum: 60_000 },
      reason: { type: 'string', maxLength: 128 },
    },
  },
  'config.get': {
    type: 'object',
    additionalProperties: false,
    properties: { keys: { type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9_.]{1,128}$' }, maxItems: 64 } },
  },
  'config.set': {
    type: 'object',
    required: ['patch'],
    additionalProperties: false,
    properties: { patch: { type: 'object' } },
  },
  'logs.upload': {
    type: 'object',
    additionalProperties: false,
    properties: {
      url: { type: 'string', pattern: '^https://', maxLength: 2048, description: 'presigned HTTPS PUT URL; without it the log goes as MQTT chunks' },
      maxLines: { type: 'integer', minimum: 1, maximum: 100_000 },
    },
  },
  unbind: {
    type: 'object',
    additionalProperties: false,
    properties: { reason: { type: 'string', maxLength: 128 } },
  },
  snapshot: {
    type: 'object',
    additionalProperties: false,
    description: 'take a snapshot now: an alarm of kind `manual` with its image, delivered like a motion alarm; the response carries the alarm id',
    properties: {},
  },
  'snapshot.upload-url': {
    type: 'object',
    required: ['alarmId', 'requestId', 'url'],
    additionalProperties: false,
    description: 'the answer to event/upload-url: presigned HTTPS PUT URLs for one alarm image (and its thumbnail)',
    properties: {
      alarmId: { type: 'string', pattern: EVENT_ID_PATTERN },
      requestId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
      url: { type: 'string', pattern: '^https://', maxLength: 4096, description: 'PUT target of the image (image/jpeg)' },
      thumbnailUrl: { type: 'string', pattern: '^https://', maxLength: 4096, description: 'PUT target of the thumbnail; without it no thumbnail is uploaded' },
      headers: { type: 'object', additionalProperties: { type: 'string', maxLength: 1024 }, description: 'extra request headers the signature covers' },
    },
  },
  'api.token': API_TOKEN_ARGS_SCHEMA,
  'bind.result': {
    type: 'object',
    required: ['requestId', 'status'],
    additionalProperties: false,
    description: 'the answer to cam/{deviceId}/activate: bound, or why not',
    properties: {
      requestId: { type: 'string', pattern: '^[0-9a-f]{16}$' },
      status: { enum: ['bound', 'refused'] },
      code: {
        enum: ['token_expired', 'token_used', 'owned_by_other', 'serial_mismatch', 'rate_limited'],
        description: 'why the binding was refused (status refused)',
      },
      bindingId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$', description: 'the account binding (status bound); kept encrypted on the device' },
    },
  },
  'talkback.start': {
    type: 'object',
    required: ['sessionId', 'codec'],
    additionalProperties: false,
    description:
      'open a talkback session (docs/talkback.md): the camera connects to the relay (or listens on talkback/down for push-to-talk) and answers once audio can flow; one session at a time (busy), refused in privacy mode',
    properties: {
      sessionId: { type: 'string', pattern: TALK_SESSION_ID_PATTERN, description: 'names the session in events and in talkback.stop' },
      transport: { enum: ['relay', 'mqtt'], description: 'relay (default): WebSocket over TLS to relay.url; mqtt: half-duplex push-to-talk frames on cam/{deviceId}/talkback/down and …/up' },
      relay: {
        type: 'object',
        required: ['url', 'token'],
        additionalProperties: false,
        properties: {
          url: { type: 'string', pattern: '^wss://', maxLength: 2048, description: 'WebSocket relay; TLS verified against talkback.relay.caFile or the system CAs' },
          token: { type: 'string', minLength: 16, maxLength: 2048, description: 'session token, sent as Authorization: Bearer; never logged' },
        },
      },
      codec: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { enum: ['pcmu', 'pcma', 'opus', 'aac'], description: 'G.711 µ-law / A-law 8 kHz (baseline), Opus, AAC-LC; both directions use it' },
          sampleRate: { type: 'integer', enum: [8000, 16000, 22050, 24000, 32000, 44100, 48000], description: 'Opus 16000|48000 (default 48000), AAC 8000–48000 (default 16000), G.711 8000' },
        },
      },
      duplex: { enum: ['half', 'full'], description: 'overrides talkback.duplex for this session; mqtt sessions are always half' },
    },
  },
  'ota.start': OTA_JOB_ARGS_SCHEMA,
  'talkback.stop': {
    type: 'object',
    required: ['sessionId'],
    additionalProperties: false,
    description: 'end a talkback session (reason stopped)',
    properties: { sessionId: { type: 'string', pattern: TALK_SESSION_ID_PATTERN } },
  },
} satisfies Record<string, JsonSchema>;

export type OpName = keyof typeof OP_ARG_SCHEMAS;
export const OP_NAMES = Object.keys(OP_ARG_SCHEMAS) as OpName[];

/** File name under docs/schemas → schema. */
export function publishedSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {
    'status.json': statusSchema,
    'info.json': infoSchema,
    'health.json': healthSchema,
    'event.json': eventSchema,
    'request.json': requestSchema,
    'response.json': responseSchema,
    'config-desired.json': configDesiredSchema,
    'config-reported.json': configReportedSchema,
    'event-data.alarm.json': alarmEventDataSchema,
    'event-data.snapshot.json': snapshotEventDataSchema,
    'event-data.upload-url.json': uploadUrlEventDataSchema,
    'event-data.talkback.json': talkbackEventDataSchema,
    'event-data.ota.json': otaEventDataSchema,
    'activate.json': activateSchema,
  };
  for (const op of OP_NAMES) {
    out[`request-args.${op}.json`] = {
      $schema: DRAFT,
      $id: `${ID}request-args.${op}.json`,
      title: `args of cam/{deviceId}/request/${op}`,
      ...OP_ARG_SCHEMAS[op],
    };
  }
  return out;
}
