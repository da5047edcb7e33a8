import type { ApiAuditAction } from './access.js';
import * as S from './schemas.js';
import { TALK_CLOSE_CODES, TALK_SUBPROTOCOL } from '../../talkback/local-ws-transport.js';
import type { JsonSchema } from './schemas.js';

/**
 * Every route of the local API (issue 9 §4), as data: the server registers
 * exactly these, the OpenAPI generator documents exactly these, and the
 * tests walk them. Scopes are the names of src/api/auth/roles.ts
 * SCOPE_MIN_ROLE; a route without a scope is unreachable (403), `public`
 * is the one marker that needs no token.
 */
export const PUBLIC = 'public' as const;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH';

export interface ErrorSpec {
  status: number;
  code: string;
  when: string;
}

export interface RouteSpec {
  id: RouteId;
  method: Method;
  path: string;
  /** Scope the principal must hold, or `public`. */
  scope: string;
  summary: string;
  query: JsonSchema;
  /** Absent: the route takes no body (a body sent anyway is refused). */
  body?: JsonSchema;
  /** Body optional (every field optional); false: a body is required. */
  bodyOptional?: boolean;
  response: { status: number; contentType: string; schema: JsonSchema; also?: { contentType: string; when: string; schema: JsonSchema } };
  /** Errors beyond the common ones (401/403/429/400/404/413/415). */
  errors: readonly ErrorSpec[];
  /** What the audit log records for it, if anything. */
  audit?: ApiAuditAction;
  /** A WebSocket route: answers only an upgrade request, with this subprotocol selected. */
  websocket?: { subprotocol: string; description: string };
}

export type RouteId =
  | 'ping'
  | 'login'
  | 'openapi'
  | 'health'
  | 'device'
  | 'configGet'
  | 'configPatch'
  | 'wifiScan'
  | 'wifiPut'
  | 'snapshot'
  | 'zonesGet'
  | 'zonesPut'
  | 'identify'
  | 'logs'
  | 'events'
  | 'reboot'
  | 'provisioningReset'
  | 'factoryReset'
  | 'selftest'
  | 'testTone'
  | 'talkbackWs'
  | 'audit';

const JSON_TYPE = 'application/json';
const TOO_MANY_STREAMS: ErrorSpec = { status: 429, code: 'too_many_streams', when: 'all event-stream slots are in use (Retry-After)' };
const BUSY: ErrorSpec = { status: 409, code: 'busy', when: 'the device is doing something that excludes this' };

export const ROUTES: readonly RouteSpec[] = [
  {
    id: 'ping',
    method: 'GET',
    path: '/ping',
    scope: PUBLIC,
    summary: 'Liveness, no token. Says nothing about the device.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.PING_RESPONSE },
    errors: [],
  },
  {
    id: 'login',
    method: 'POST',
    path: '/v1/login',
    scope: PUBLIC,
    summary: "Offline sign-in for a technician without the cloud: the label's setup code, then a short press of the camera's button within 30 s; answers a technician token (1 h). Shares the setup-code lockout with AP mode.",
    query: S.EMPTY_OBJECT,
    body: S.LOGIN_BODY,
    response: { status: 200, contentType: JSON_TYPE, schema: S.LOGIN_RESPONSE },
    errors: [
      { status: 400, code: 'code_malformed', when: 'not a setup code (length or check character): not counted as a guess' },
      { status: 401, code: 'code_wrong', when: 'the code is not this camera\'s (counted towards the lockout)' },
      { status: 401, code: 'press_timeout', when: 'the button was not pressed in time' },
      { status: 409, code: 'press_pending', when: 'another sign-in waits for the button' },
      { status: 429, code: 'locked_out', when: 'too many wrong codes (Retry-After)' },
    ],
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/v1/openapi.json',
    // No dedicated scope in auth/roles.ts yet; any viewer may read the API description.
    scope: 'health:read',
    summary: 'This API as an OpenAPI 3.1 document.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.OPENAPI_RESPONSE },
    errors: [],
  },
  {
    id: 'health',
    method: 'GET',
    path: '/v1/health',
    scope: 'health:read',
    summary: 'Per-check health: cloud link, video, storage, clock, memory.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.HEALTH_RESPONSE },
    errors: [],
  },
  {
    id: 'device',
    method: 'GET',
    path: '/v1/device',
    scope: 'device:read',
    summary: 'Identity, versions, network. Serial, MACs, IPs and SSID masked for viewer.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.DEVICE_RESPONSE },
    errors: [],
  },
  {
    id: 'configGet',
    method: 'GET',
    path: '/v1/config',
    scope: 'config:read',
    summary: 'Effective config; secret values masked.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.CONFIG_RESPONSE },
    errors: [],
  },
  {
    id: 'configPatch',
    method: 'PATCH',
    path: '/v1/config',
    scope: 'config:write',
    summary: 'Change config keys, all or nothing. Answer: applied / restartRequired / rejected per key.',
    query: S.EMPTY_OBJECT,
    body: S.CONFIG_PATCH_BODY,
    response: { status: 200, contentType: JSON_TYPE, schema: S.MUTATION_RESPONSE },
    errors: [{ status: 400, code: 'config_rejected', when: 'the config layer refused a key or value; `fields` names each, nothing was written' }],
    audit: 'config_change',
  },
  {
    id: 'wifiScan',
    method: 'GET',
    path: '/v1/wifi/scan',
    scope: 'wifi:scan',
    summary: 'Networks around the camera (possibly a cached scan; ageS says how old).',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.WIFI_SCAN_RESPONSE },
    errors: [BUSY],
  },
  {
    id: 'wifiPut',
    method: 'PUT',
    path: '/v1/wifi',
    scope: 'wifi:write',
    summary: 'New Wi-Fi credentials, checked with the provisioning payload rules; the join starts after the answer.',
    query: S.EMPTY_OBJECT,
    body: S.WIFI_BODY,
    response: { status: 202, contentType: JSON_TYPE, schema: S.ACCEPTED_RESPONSE },
    errors: [BUSY],
    audit: 'wifi_change',
  },
  {
    id: 'snapshot',
    method: 'GET',
    path: '/v1/snapshot.jpg',
    scope: 'snapshot:read',
    summary: 'A live JPEG with the privacy masks burned in.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: 'image/jpeg', schema: S.BINARY },
    errors: [{ status: 409, code: 'video_unavailable', when: 'no frame could be taken' }],
    audit: 'snapshot_view',
  },
  {
    id: 'zonesGet',
    method: 'GET',
    path: '/v1/motion/zones',
    scope: 'motion:read',
    summary: 'Motion zones, as config motion.zones holds them.',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: JSON_TYPE, schema: S.ZONES_RESPONSE },
    errors: [],
  },
  {
    id: 'zonesPut',
    method: 'PUT',
    path: '/v1/motion/zones',
    scope: 'motion:write',
    summary: 'Replace the motion zones (config motion.zones); the detector uses them from the next frame.',
    query: S.EMPTY_OBJECT,
    body: S.ZONES_BODY,
    response: { status: 200, contentType: JSON_TYPE, schema: S.MUTATION_RESPONSE },
    errors: [],
    audit: 'motion_zones_change',
  },
  {
    id: 'identify',
    method: 'POST',
    path: '/v1/identify',
    scope: 'identify:run',
    summary: 'Blink the LED and beep, to find the camera on site.',
    query: S.EMPTY_OBJECT,
    body: S.IDENTIFY_BODY,
    bodyOptional: true,
    response: { status: 202, contentType: JSON_TYPE, schema: S.ACCEPTED_RESPONSE },
    errors: [],
    audit: 'identify',
  },
  {
    id: 'logs',
    method: 'GET',
    path: '/v1/logs',
    scope: 'logs:read',
    summary: 'Redacted log lines; `follow=1` streams new lines as server-sent events (`event: log`).',
    query: S.LOGS_QUERY,
    response: {
      status: 200,
      contentType: JSON_TYPE,
      schema: S.LOGS_RESPONSE,
      also: { contentType: 'text/event-stream', when: 'follow=1', schema: S.EVENT_STREAM },
    },
    errors: [TOO_MANY_STREAMS],
    audit: 'log_download',
  },
  {
    id: 'events',
    method: 'GET',
    path: '/v1/events',
    scope: 'events:read',
    summary: 'Server-sent events: `state`, `motion`, `alarm` (data: JSON).',
    query: S.EMPTY_OBJECT,
    response: { status: 200, contentType: 'text/event-stream', schema: S.EVENT_STREAM },
    errors: [TOO_MANY_STREAMS],
  },
  {
    id: 'reboot',
    method: 'POST',
    path: '/v1/reboot',
    scope: 'reboot:run',
    summary: 'Reboot after the answer is sent (delayMs).',
    query: S.EMPTY_OBJECT,
    body: S.EMPTY_OBJECT,
    bodyOptional: true,
    response: { status: 202, contentType: JSON_TYPE, schema: S.ACCEPTED_RESPONSE },
    errors: [BUSY],
    audit: 'reboot',
  },
  {
    id: 'provisioningReset',
    method: 'POST',
    path: '/v1/provisioning/reset',
    scope: 'provisioning:reset',
    summary: 'Forget Wi-Fi and binding and go back to provisioning.',
    query: S.EMPTY_OBJECT,
    body: S.EMPTY_OBJECT,
    bodyOptional: true,
    response: { status: 202, contentType: JSON_TYPE, schema: S.ACCEPTED_RESPONSE },
    errors: [BUSY],
    audit: 'reset_provisioning',
  },
  {
    id: 'factoryReset',
    method: 'POST',
    path: '/v1/factory-reset',
    scope: 'factory:reset',
    summary: 'Erase everything. Admin, typed confirmation, and the button pressed on the camera shortly before.',
    query: S.EMPTY_OBJECT,
    body: S.FACTORY_RESET_BODY,
    response: { status: 202, contentType: JSON_TYPE, schema: S.ACCEPTED_RESPONSE },
    errors: [{ status: 409, code: 'button_required', when: 'the button was not pressed within the confirmation window' }, BUSY],
    audit: 'factory_reset',
  },
  {
    id: 'selftest',
    method: 'POST',
    path: '/v1/selftest',
    scope: 'selftest:run',
    summary: 'Run the self-test and return each check.',
    query: S.EMPTY_OBJECT,
    body: S.EMPTY_OBJECT,
    bodyOptional: true,
    response: { status: 200, contentType: JSON_TYPE, schema: S.SELFTEST_RESPONSE },
    errors: [BUSY],
    audit: 'selftest',
  },
  {
    id: 'testTone',
    method: 'POST',
    path: '/v1/talkback/test-tone',
    scope: 'talkback:tone',
    summary: 'Play a test tone on the speaker.',
    query: S.EMPTY_OBJECT,
    body: S.TONE_BODY,
    bodyOptional: true,
    response: { status: 202, contentType: JSON_TYPE, schema: S.ACCEPTED_RESPONSE },
    errors: [
      { status: 409, code: 'audio_busy', when: 'a talkback session holds the speaker' },
      { status: 503, code: 'audio_device_failed', when: 'the speaker could not play (no device, driver error)' },
    ],
    audit: 'talkback_start',
  },
  {
    id: 'talkbackWs',
    method: 'GET',
    path: '/v1/talkback/ws',
    scope: 'talkback:talk',
    summary: "Talk through the camera's speaker (and hear its microphone): a WebSocket of binary talk frames. The session ends when either side closes; `talkback_stop` is audited with its duration and reason.",
    query: S.TALK_QUERY,
    response: { status: 101, contentType: 'websocket', schema: S.TALK_STREAM },
    errors: [
      { status: 403, code: 'origin_forbidden', when: 'an Origin header that is not this API (cross-site WebSocket)' },
      { status: 409, code: 'talkback_unavailable', when: 'this agent runs without talkback' },
      { status: 426, code: 'upgrade_required', when: 'a plain GET without a WebSocket upgrade' },
    ],
    audit: 'talkback_start',
    websocket: {
      subprotocol: TALK_SUBPROTOCOL,
      description:
        `Token as \`Authorization: Bearer\`, or (browsers) as a subprotocol: offer \`${TALK_SUBPROTOCOL}, bearer.<token>\`; the server selects \`${TALK_SUBPROTOCOL}\` and never echoes the token. ` +
        'Binary messages only (a text message closes with 1003). The server pings every 10 s and closes a socket that misses a pong. ' +
        'When the camera refuses the session the socket closes with a 4000-range code whose reason is the refusal code: ' +
        `${Object.entries(TALK_CLOSE_CODES).map(([code, n]) => `${n} \`${code}\``).join(', ')}, 4000 anything else.`,
    },
  },
  {
    id: 'audit',
    method: 'GET',
    path: '/v1/audit',
    scope: 'audit:read',
    summary: 'The audit log, newest last.',
    query: S.AUDIT_QUERY,
    response: { status: 200, contentType: JSON_TYPE, schema: S.AUDIT_RESPONSE },
    errors: [],
    audit: 'audit_view',
  },
];

/** Errors every authenticated route can answer; listed once in the docs. */
export const COMMON_ERRORS: readonly ErrorSpec[] = [
  { status: 400, code: 'invalid_request', when: 'query or body does not match the schema; `fields` lists each problem' },
  { status: 401, code: 'token_missing', when: 'no valid bearer token (also token_invalid, token_expired…, from the auth module)' },
  { status: 403, code: 'forbidden', when: "the token's role does not hold the route's scope" },
  { status: 429, code: 'locked_out', when: 'too many failed logins from this source (Retry-After)' },
];
