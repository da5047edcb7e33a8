import type { FastifyError, FastifyReply } from 'fastify';
import { ApiActionError } from './api-actions.js';

/**
 * The one error shape of the local API: `{"error":{"code","message","fields"?}}`.
 * Messages are fixed texts chosen here, never an exception's message (which
 * can carry a path, a stack frame or a piece of the request).
 */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface ApiErrorBody {
  error: { code: string; message: string; fields?: FieldError[]; retryAfterMs?: number };
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, extra: { fields?: FieldError[]; retryAfterMs?: number } = {}): FastifyReply {
  const body: ApiErrorBody = { error: { code, message } };
  if (extra.fields?.length) body.error.fields = extra.fields;
  if (extra.retryAfterMs !== undefined) {
    body.error.retryAfterMs = extra.retryAfterMs;
    void reply.header('retry-after', String(Math.max(1, Math.ceil(extra.retryAfterMs / 1000))));
  }
  void reply.header('cache-control', 'no-store');
  return reply.code(status).type('application/json').send(body);
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** `/zones/0/points/1` → `zones[0].points[1]`; a query field gets `query.` in front. */
function fieldName(err: AjvError, context: string | undefined): string {
  let path = (err.instancePath ?? '')
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
    .join('')
    .replace(/^\./, '');
  const name = err.params?.additionalProperty ?? err.params?.missingProperty;
  if (typeof name === 'string') path = path ? `${path}.${name}` : name;
  const prefix = context === 'querystring' ? 'query' : '';
  if (prefix) return path ? `${prefix}.${path}` : prefix;
  return path || '(body)';
}

const KEYWORD_CODE: Record<string, string> = {
  additionalProperties: 'unknown_field',
  required: 'required',
  type: 'wrong_type',
  enum: 'not_allowed',
  const: 'not_allowed',
  pattern: 'bad_format',
  minLength: 'too_short',
  maxLength: 'too_long',
  minItems: 'too_few',
  maxItems: 'too_many',
  minProperties: 'too_few',
  maxProperties: 'too_many',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  exclusiveMinimum: 'out_of_range',
  exclusiveMaximum: 'out_of_range',
};

/**
 * Ajv's messages are generic ("must be string", "must NOT have additional
 * properties") and never quote the value, so they are safe to pass on.
 * Values of `params` are not: an additional property name is client text, so
 * it is only the field name, capped.
 */
export function validationFields(errors: readonly AjvError[], context: string | undefined): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors.slice(0, 32)) {
    const field = fieldName(e, context).slice(0, 128);
    const code = KEYWORD_CODE[e.keyword ?? ''] ?? 'invalid';
    const key = `${field}\0${code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field, code, message: (e.message ?? 'is invalid').slice(0, 200) });
  }
  return out;
}

/** fastify's own request errors (body parser, content type, size) → our codes. */
const FASTIFY_CODES: Record<string, [string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['body_too_large', 'request body too large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'send application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad_content_length', 'content-length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_json', 'empty JSON body'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_json', 'body is not valid JSON'],
  FST_ERR_CTP_INSTANCE_ALREADY_STARTED: ['internal_error', 'internal error'],
};

export type MappedError = { status: number; code: string; message: string; fields?: FieldError[]; retryAfterMs?: number; internal: boolean };

/** What any error thrown in a hook, parser or handler turns into. Pure. */
export function mapError(err: unknown): MappedError {
  if (err instanceof ApiActionError) {
    const status = err.status >= 400 && err.status < 600 ? err.status : 409;
    const mapped: MappedError = { status, code: err.code, message: err.message, internal: false };
    if (err.retryAfterMs !== undefined) mapped.retryAfterMs = err.retryAfterMs;
    return mapped;
  }
  const e = err as Partial<FastifyError> & { validationContext?: string; validation?: AjvError[] };
  if (e && Array.isArray(e.validation)) {
    return { status: 400, code: 'invalid_request', message: 'request does not match the schema', fields: validationFields(e.validation, e.validationContext), internal: false };
  }
  if (e && typeof e.code === 'string' && FASTIFY_CODES[e.code]) {
    const [code, message] = FASTIFY_CODES[e.code]!;
    const status = typeof e.statusCode === 'number' ? e.statusCode : 400;
    return { status, code, message, internal: status >= 500 };
  }
  // JSON.parse failures and prototype poisoning come out of the parser as plain 400s.
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, code: e.statusCode === 400 ? 'bad_request' : `http_${e.statusCode}`, message: 'request refused', internal: false };
  }
  return { status: 500, code: 'internal_error', message: 'internal error', internal: true };
}
