import type { CloudError } from './cloud-error.js';
import { checkJson } from './json-check.js';
import { TRANSACTION_PATTERN, requestSchema } from './payload-schemas.js';
import type { ErrorBody, RequestEnvelope, ResponsePayload } from './payloads.js';
import { LIMITS } from './topics.js';

/**
 * The request/response envelope: parsing a request from raw bytes and
 * building responses. Pure; never throws on any input.
 */

/** Requests larger than the publish limit are refused… */
export const MAX_REQUEST_BYTES = LIMITS.maxPayloadBytes;
/**
 * …but up to this size we still parse them to find the transaction id, so
 * the cloud gets a `payload_too_large` answer instead of silence. Larger
 * payloads are dropped unread (MQTT 5 brokers already drop them: we announce
 * this as our Maximum Packet Size).
 */
export const MAX_SCAN_BYTES = 256 * 1024;

export type ParsedRequest =
  | { ok: true; request: RequestEnvelope & { args: Record<string, unknown> } }
  | { ok: false; error: CloudError; transaction?: string };

const TX = new RegExp(TRANSACTION_PATTERN);

export function parseRequest(payload: Uint8Array, topicOp: string): ParsedRequest {
  if (payload.byteLength > MAX_SCAN_BYTES) {
    return { ok: false, error: { code: 'payload_too_large', message: `request is larger than ${MAX_REQUEST_BYTES} bytes` } };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, error: { code: 'invalid_json', message: 'request is not valid JSON' } };
  }
  const tx = transactionOf(doc);
  const withTx = (error: CloudError): ParsedRequest => (tx === undefined ? { ok: false, error } : { ok: false, error, transaction: tx });
  if (payload.byteLength > MAX_REQUEST_BYTES) {
    return withTx({ code: 'payload_too_large', message: `request is larger than ${MAX_REQUEST_BYTES} bytes` });
  }
  const problems = checkJson(requestSchema, doc);
  if (problems.length) {
    return withTx({ code: 'invalid_request', message: problems.map((p) => `${p.path} ${p.rule}`).join('; ') });
  }
  const req = doc as RequestEnvelope;
  if (req.op !== undefined && req.op !== topicOp) {
    return withTx({ code: 'op_mismatch', message: 'op in the payload differs from the topic' });
  }
  return { ok: true, request: { ...req, args: req.args ?? {} } };
}

function transactionOf(doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const tx = (doc as Record<string, unknown>).transaction;
  return typeof tx === 'string' && TX.test(tx) ? tx : undefined;
}

/**
 * A request older than its TTL is refused: AWS keeps QoS 1 messages for an
 * offline persistent session up to an hour and replays them on reconnect
 * (security.md §2.3), and "reboot" an hour late is not what anyone asked for.
 */
export function isExpired(req: Pick<RequestEnvelope, 'ts' | 'ttlMs'>, nowMs: number, defaultTtlMs: number): boolean {
  const ttl = req.ttlMs ?? defaultTtlMs;
  return nowMs - req.ts > ttl;
}

export function okResponse(transaction: string, op: string, data: unknown, ts: number): ResponsePayload {
  return { transaction, op, ts, status: 'ok', data: data ?? null };
}

export function errorResponse(transaction: string, op: string, error: ErrorBody, ts: number): ResponsePayload {
  return { transaction, op, ts, status: 'error', error };
}
