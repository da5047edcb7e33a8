/**
 * Every failure the cloud link reports, as a code a surface can map (an MQTT
 * error response, a log line, a counter). Messages never carry secrets or
 * payload contents: they may end up in the cloud's logs.
 */
export type CloudErrorCode =
  // topics and limits
  | 'topic_too_long'
  | 'too_many_levels'
  | 'wildcard_in_topic'
  | 'empty_topic_level'
  | 'reserved_topic'
  | 'foreign_device'
  | 'unknown_topic'
  | 'payload_too_large'
  | 'qos_not_supported'
  // requests
  | 'invalid_json'
  | 'invalid_request'
  | 'invalid_args'
  | 'unknown_op'
  | 'op_mismatch'
  | 'request_expired'
  | 'not_supported'
  | 'response_too_large'
  | 'internal_error'
  // config sync
  | 'invalid_config'
  | 'config_rejected'
  | 'config_not_saved'
  // outbox and link
  | 'outbox_full'
  | 'outbox_closed'
  | 'outbox_io'
  | 'link_down'
  | 'publish_timeout'
  | 'publish_failed';

export interface CloudError {
  code: CloudErrorCode;
  message: string;
}

export type Result<T, E = CloudError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail(code: CloudErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}
