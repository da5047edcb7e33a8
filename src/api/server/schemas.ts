/**
 * JSON Schemas of the `/v1` requests and answers. Requests are checked by
 * fastify's Ajv with coercion and property removal turned off (local-api.ts),
 * so a body is refused, never repaired; answers are documented only (the
 * OpenAPI generator reads them, and the route tests check real answers
 * against them). Keywords stay in the subset JSON Schema draft-07 and
 * 2020-12 (OpenAPI 3.1) share.
 */
export type JsonSchema = Readonly<Record<string, unknown>>;

const obj = (properties: Record<string, JsonSchema>, required: string[] = [], extra: Record<string, unknown> = {}): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
  ...extra,
});

/** No query parameters, no body fields: anything sent is refused by name. */
export const EMPTY_OBJECT = obj({});

const CODE = { type: 'string', maxLength: 64 } as const;

// ---- requests ------------------------------------------------------------

/** Dotted config key, as docs/config.md lists them. */
export const CONFIG_KEY_PATTERN = '^[a-z][A-Za-z0-9]{0,31}(\\.[a-zA-Z][A-Za-z0-9]{0,31}){0,5}$';

/** `PATCH /v1/config`: `{"motion.sensitivity": 6, "alarm.enabled": false}`; values are the config layer's to check. */
export const CONFIG_PATCH_BODY: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 64,
  patternProperties: { [CONFIG_KEY_PATTERN]: {} },
  description: 'Dotted config keys (docs/config.md) to new values. All or nothing.',
};

/** `PUT /v1/wifi`. Length caps only; byte rules are the provisioning payload rules (payload/credentials.ts). */
export const WIFI_BODY = obj(
  {
    ssid: { type: 'string', minLength: 1, maxLength: 32, description: '1–32 bytes of UTF-8, exact (not trimmed).' },
    password: { type: ['string', 'null'], maxLength: 128, description: 'WPA: 8–63 bytes or 64 hex digits; SAE: ≤ 128 bytes; open: null or absent.' },
    auth: { type: 'string', enum: ['wpa', 'sae', 'open'] },
    hidden: { type: 'boolean' },
  },
  ['ssid', 'auth'],
);

/** One zone, as config `motion.zones` holds it (media/motion/regions.ts). */
export const REGION = obj(
  {
    name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,32}$' },
    points: {
      type: 'array',
      minItems: 3,
      maxItems: 64,
      items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', minimum: 0, maximum: 1 } },
      description: 'Vertices [x, y] as fractions 0–1 of the frame.',
    },
    minArea: { type: 'number', exclusiveMinimum: 0, maximum: 100, description: 'Percent of the zone that must change.' },
  },
  ['points'],
);

export const ZONES_BODY = obj({ zones: { type: 'array', maxItems: 16, items: REGION } }, ['zones']);

export const IDENTIFY_BODY = obj({ seconds: { type: 'integer', minimum: 1, maximum: 60, description: 'Default 10.' } });

export const TONE_BODY = obj({
  frequencyHz: { type: 'integer', minimum: 200, maximum: 4000, description: 'Default 1000.' },
  durationMs: { type: 'integer', minimum: 100, maximum: 3000, description: 'Default 1000.' },
});

/** `GET /v1/talkback/ws`: the codec of the audio the client sends (the session checks the rate against the codec). */
export const TALK_QUERY = obj(
  {
    codec: { type: 'string', enum: ['pcmu', 'pcma', 'opus', 'aac'], description: 'Codec of the audio in the talk frames.' },
    sampleRate: { type: 'string', pattern: '^[1-9][0-9]{3,4}$', description: 'Hz, e.g. 48000 (default: the codec\'s own; G.711 is 8000 only).' },
  },
  ['codec'],
);

/** A typed confirmation, so a stray POST (or a replayed one from a log) cannot erase the device on its own. */
export const FACTORY_RESET_BODY = obj({ confirm: { type: 'string', enum: ['erase-all-data'] } }, ['confirm']);

/** Query values arrive as text and are not coerced: numbers are patterns here, parsed by the handler. */
export const LOGS_QUERY = obj({
  lines: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'Newest N lines, 1–9999 (default 500).' },
  follow: { type: 'string', enum: ['0', '1'], description: '1: text/event-stream of new lines.' },
});

export const AUDIT_QUERY = obj({ limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'Newest N records, 1–9999 (default 200).' } });

// ---- answers ---------------------------------------------------------------

export const ERROR_RESPONSE = obj(
  {
    error: obj(
      {
        code: CODE,
        message: { type: 'string' },
        fields: { type: 'array', items: obj({ field: { type: 'string' }, code: CODE, message: { type: 'string' } }, ['field', 'code', 'message']) },
        retryAfterMs: { type: 'integer' },
      },
      ['code', 'message'],
    ),
  },
  ['error'],
);

const STATUS = { type: 'string', enum: ['ok', 'degraded', 'failed', 'unknown'] } as const;
const CHECK = obj({ status: STATUS, code: CODE, detail: { type: 'string' } }, ['status']);

export const PING_RESPONSE = obj({ ok: { type: 'boolean' } }, ['ok']);

export const HEALTH_RESPONSE = obj(
  {
    status: STATUS,
    uptimeS: { type: 'number' },
    checks: obj({ cloudLink: CHECK, video: CHECK, storage: CHECK, clock: CHECK, memory: CHECK }, ['cloudLink', 'video', 'storage', 'clock', 'memory']),
  },
  ['status', 'checks', 'uptimeS'],
);

const NULLABLE_STRING = { type: ['string', 'null'] } as const;

export const DEVICE_RESPONSE = obj(
  {
    identity: obj({ model: { type: 'string' }, serial: { type: 'string' }, hwRevision: { type: 'string' }, mac: { type: 'string' } }, ['model', 'serial', 'hwRevision', 'mac']),
    versions: obj({ agent: { type: 'string' }, firmware: { type: 'string' }, node: { type: 'string' } }, ['agent', 'firmware', 'node']),
    network: obj(
      { ssid: NULLABLE_STRING, ip: NULLABLE_STRING, mac: { type: 'string' }, signal: { type: ['number', 'null'] }, gateway: NULLABLE_STRING },
      ['ssid', 'ip', 'mac', 'signal', 'gateway'],
    ),
    lifecycle: { type: 'string' },
    masked: { type: 'boolean', description: 'true for viewer: serial, MACs, IPs and SSID are masked.' },
  },
  ['identity', 'versions', 'network', 'lifecycle', 'masked'],
);

export const CONFIG_RESPONSE: JsonSchema = { type: 'object', description: 'The effective config, nested as in docs/config.md; secret values masked.' };

const FIELD_ERROR = obj({ field: { type: 'string' }, code: CODE, message: { type: 'string' } }, ['field', 'code', 'message']);

/** The thingino mutation envelope. */
export const MUTATION_RESPONSE = obj(
  {
    applied: { type: 'array', items: { type: 'string' } },
    restartRequired: { type: 'array', items: { type: 'string' } },
    rejected: { type: 'array', items: FIELD_ERROR },
  },
  ['applied', 'restartRequired', 'rejected'],
);

export const WIFI_SCAN_RESPONSE = obj(
  {
    ageS: { type: 'number' },
    aps: {
      type: 'array',
      items: obj(
        {
          ssid: { type: 'string' },
          hidden: { type: 'boolean' },
          bssid: { type: 'string' },
          signal: { type: 'number' },
          channel: { type: 'number' },
          security: { type: 'array', items: { type: 'string' } },
        },
        ['ssid', 'hidden', 'bssid', 'signal', 'channel', 'security'],
      ),
    },
  },
  ['ageS', 'aps'],
);

export const LOGIN_BODY = obj(
  {
    code: { type: 'string', minLength: 1, maxLength: 32, description: "The label's setup code (dashes, spaces and lower case are fine)." },
    subject: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@:+-]+$', description: 'Who signs in, for the audit log.' },
  },
  ['code'],
);

export const LOGIN_RESPONSE = obj(
  { token: { type: 'string' }, tokenId: { type: 'string' }, role: { type: 'string' }, expiresAt: { type: 'integer', description: 'Unix seconds.' } },
  ['token', 'tokenId', 'role', 'expiresAt'],
);

export const ACCEPTED_RESPONSE = obj({ accepted: { type: 'boolean' }, delayMs: { type: 'integer' } }, ['accepted']);

export const ZONES_RESPONSE = ZONES_BODY;

export const LOGS_RESPONSE = obj({ lines: { type: 'array', items: { type: 'string' } } }, ['lines']);

export const SELFTEST_RESPONSE = obj(
  { ok: { type: 'boolean' }, checks: { type: 'array', items: obj({ name: { type: 'string' }, ok: { type: 'boolean' }, code: CODE }, ['name', 'ok']) } },
  ['ok', 'checks'],
);

export const AUDIT_RESPONSE = obj({ entries: { type: 'array', items: { type: 'object' } } }, ['entries']);

export const OPENAPI_RESPONSE: JsonSchema = { type: 'object', description: 'This document.' };

export const BINARY: JsonSchema = { type: 'string', contentMediaType: 'image/jpeg' };
export const EVENT_STREAM: JsonSchema = { type: 'string', description: 'Server-sent events.' };
export const TALK_STREAM: JsonSchema = { type: 'string', description: 'WebSocket of binary talk frames (≤ 4096 bytes each), both ways.' };
