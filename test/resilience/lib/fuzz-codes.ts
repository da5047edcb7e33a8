import type { AuthErrorCode } from '../../../src/api/auth/auth-error.js';
import { ROUTES } from '../../../src/api/server/route-table.js';
import type { CloudErrorCode } from '../../../src/cloud/cloud-error.js';
import type { FieldError as ConfigFieldError } from '../../../src/config/validate.js';
import type { LabelPayloadErrorCode } from '../../../src/factory/label-payload.js';
import type { OtaJobErrorCode } from '../../../src/ota/ota-job.js';
import type { SessionErrorCode } from '../../../src/provisioning/ap/prov-session.js';
import type { QrPayloadErrorCode } from '../../../src/provisioning/payload/payload-error.js';
import type { TalkFrameErrorCode } from '../../../src/talkback/talk-frame.js';

/**
 * The documented error codes of each module, as runtime sets the fuzz
 * targets check membership against. Each list is tied to the module's own
 * union type in both directions: `satisfies` refuses a code the module does
 * not declare, and Missing<> fails the typecheck when the module gains a
 * code this list lacks. So the sets cannot drift from the source.
 */
function codeSet<Union extends string>() {
  return <const List extends readonly Union[]>(list: List & ([Exclude<Union, List[number]>] extends [never] ? unknown : { missing: Exclude<Union, List[number]> })): ReadonlySet<string> =>
    new Set<string>(list);
}

export const QR_CODES = codeSet<QrPayloadErrorCode>()([
  'too_long',
  'unsupported_version',
  'bad_character',
  'bad_escape',
  'truncated',
  'malformed',
  'duplicate_key',
  'crc_missing',
  'crc_mismatch',
  'auth_missing',
  'unknown_auth',
  'wep_unsupported',
  'eap_unsupported',
  'ssid_empty',
  'ssid_too_long',
  'ssid_not_utf8',
  'password_required',
  'password_not_allowed',
  'password_not_utf8',
  'psk_too_short',
  'psk_too_long',
  'bad_hidden',
  'bad_token',
  'region_missing',
  'bad_region',
  'bad_timezone',
]);

export const LABEL_CODES = codeSet<LabelPayloadErrorCode>()([
  'not_label_url',
  'wrong_host',
  'bad_model',
  'unsupported_version',
  'malformed_field',
  'unknown_field',
  'duplicate_field',
  'missing_field',
  'bad_serial',
  'bad_code',
  'code_check_failed',
  'bad_passphrase',
  'bad_fingerprint',
]);

export const CLOUD_CODES = codeSet<CloudErrorCode>()([
  'topic_too_long',
  'too_many_levels',
  'wildcard_in_topic',
  'empty_topic_level',
  'reserved_topic',
  'foreign_device',
  'unknown_topic',
  'payload_too_large',
  'qos_not_supported',
  'invalid_json',
  'invalid_request',
  'invalid_args',
  'unknown_op',
  'op_mismatch',
  'request_expired',
  'not_supported',
  'response_too_large',
  'internal_error',
  'invalid_config',
  'config_rejected',
  'config_not_saved',
  'outbox_full',
  'outbox_closed',
  'outbox_io',
  'link_down',
  'publish_timeout',
  'publish_failed',
]);

/** What an MQTT request may be answered with here: the cloud codes a request can meet. */
export const REQUEST_CODES: ReadonlySet<string> = new Set([
  'payload_too_large',
  'invalid_json',
  'invalid_request',
  'invalid_args',
  'unknown_op',
  'op_mismatch',
  'request_expired',
  'not_supported',
  'response_too_large',
  'internal_error',
  'config_rejected',
  'config_not_saved',
]);

/** ConfigSync's per-field codes in config/reported: the document's own and LiveConfig's (validate.ts). */
export const CONFIG_FIELD_CODES = codeSet<ConfigFieldError['code'] | 'invalid_json' | 'invalid_document'>()([
  'unknown_key',
  'invalid_value',
  'not_an_object',
  'not_changeable',
  'invalid_json',
  'invalid_document',
]);

export const CONFIG_LAYER_CODES = codeSet<ConfigFieldError['code']>()(['unknown_key', 'invalid_value', 'not_an_object', 'not_changeable']);

export const OTA_JOB_CODES = codeSet<OtaJobErrorCode>()(['invalid_job', 'job_expired', 'image_too_large', 'url_not_https', 'url_has_credentials']);

export const TALK_FRAME_CODES = codeSet<TalkFrameErrorCode>()([
  'frame_too_short',
  'unsupported_version',
  'unknown_type',
  'unknown_codec',
  'bad_flags',
  'payload_too_large',
  'empty_payload',
  'unexpected_payload',
]);

export const AUTH_CODES = codeSet<AuthErrorCode>()(['token_missing', 'token_invalid', 'token_expired', 'token_wrong_device', 'token_revoked', 'forbidden']);

export const SESSION_CODES = codeSet<SessionErrorCode>()([
  'locked_out',
  'identity_mismatch',
  'srp_invalid_public_key',
  'srp_invalid_scrambler',
  'srp_proof_mismatch',
  'too_many_sessions',
  'session_unknown',
  'session_not_verified',
  'envelope_replayed',
  'envelope_auth_failed',
]);

/**
 * `/prov/v1` answers (prov-api.ts): the framework and envelope codes, the
 * session codes, and the action codes of the recording stand-in.
 */
export const PROV_API_CODES: ReadonlySet<string> = new Set([
  ...SESSION_CODES,
  'session_required',
  'invalid_body',
  'body_too_large',
  'unsupported_media_type',
  'body_not_json',
  'bad_request',
  'not_found',
  'host_not_allowed',
]);

/** Field codes inside a `/prov/v1` invalid_body: body-schema.ts, prov-bodies.ts and the QR rules they reuse. */
export const PROV_FIELD_CODES: ReadonlySet<string> = new Set([
  'wrong_type',
  'unknown_field',
  'missing',
  'not_allowed',
  'too_short',
  'too_long',
  'bad_format',
  'out_of_range',
  'too_large',
  'bad_json',
  'bad_base64',
  'identity_mismatch',
  'srp_invalid_public_key',
  'envelope_replayed',
  ...QR_CODES,
]);

/**
 * Local API answers (api-error.ts, local-api.ts, route-handlers.ts): the
 * common codes, the auth codes, and every code the route table documents
 * in a route's `errors`. Codes of the recording actions (button_required,
 * code_wrong) are documented route errors too.
 */
export const LOCAL_API_CODES: ReadonlySet<string> = new Set([
  ...AUTH_CODES,
  'locked_out',
  'not_found',
  'invalid_request',
  'config_rejected',
  'body_too_large',
  'unsupported_media_type',
  'bad_content_length',
  'invalid_json',
  'bad_request',
  'too_many_streams',
  'upgrade_required',
  'origin_forbidden',
  'talkback_unavailable',
  'headers_too_large',
  'request_timeout',
  ...ROUTES.flatMap((r) => r.errors.map((e) => e.code)),
]);

/** Field codes in a local API 400 (api-error.ts KEYWORD_CODE and the handlers' own). */
export const LOCAL_API_FIELD_CODES: ReadonlySet<string> = new Set([
  'unknown_field',
  'required',
  'wrong_type',
  'not_allowed',
  'bad_format',
  'too_short',
  'too_long',
  'too_few',
  'too_many',
  'out_of_range',
  'invalid',
  'invalid_zones',
  'not_finite',
  // PATCH /v1/config: the config layer's own field codes (validate.ts), as agent-api-actions passes them on.
  ...CONFIG_LAYER_CODES,
  ...QR_CODES,
]);
