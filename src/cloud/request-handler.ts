import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { CloudError } from './cloud-error.js';
import { DedupeCache } from './dedupe-cache.js';
import { LogThrottle } from './log-throttle.js';
import { checkArgs, isOpName, type OpHandlers, type OpOutcome } from './ops.js';
import type { ResponsePayload } from './payloads.js';
import { errorResponse, isExpired, okResponse, parseRequest } from './protocol.js';
import { checkPublish, isLevelName, type QoS, type TopicScheme } from './topics.js';

/** One MQTT message in, as the link hands it over. */
export interface IncomingRequest {
  /** The topic's last level. */
  op: string;
  payload: Uint8Array;
  /** MQTT 5 Response Topic, when the requester set one. */
  responseTopic?: string;
  /** MQTT 5 Correlation Data, echoed unchanged. */
  correlationData?: Buffer;
}

/** What the link should publish; a plain value so tests assert on the wire format. */
export interface OutgoingPublish {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  correlationData?: Buffer;
}

export interface RequestHandlerOptions {
  scheme: TopicScheme;
  handlers: OpHandlers;
  clock: Clock;
  logger: Logger;
  /** TTL for requests that carry none. */
  defaultTtlMs: number;
  dedupeCapacity?: number;
  dedupeWindowMs?: number;
}

/** Topic level used for answers when the request's own op level is unusable. */
const FALLBACK_OP = 'unknown';

/**
 * Turns a request into exactly one response (or, when no transaction id can
 * be read, a rate-limited log line). Never throws: a handler that throws
 * becomes an `internal_error` response.
 */
export class RequestHandler {
  readonly #dedupe: DedupeCache<Promise<ResponsePayload>>;
  readonly #throttle: LogThrottle;

  constructor(private readonly opts: RequestHandlerOptions) {
    // Two small allocations, no I/O: allowed in a constructor.
    this.#dedupe = new DedupeCache(opts.dedupeCapacity ?? 512, opts.dedupeWindowMs ?? 3_600_000);
    this.#throttle = new LogThrottle(opts.clock);
  }

  async handle(req: IncomingRequest): Promise<OutgoingPublish | null> {
    try {
      return await this.#handle(req);
    } catch (err) {
      this.drop('internal', 'request handling failed', { err });
      return null;
    }
  }

  /** Log a dropped message, at most once per kind per minute. */
  drop(kind: string, msg: string, extra: Record<string, unknown> = {}): void {
    const t = this.#throttle.take(kind);
    if (t.log) this.opts.logger.warn({ kind, suppressed: t.suppressed, ...extra }, `cloud: ${msg}`);
  }

  async #handle(req: IncomingRequest): Promise<OutgoingPublish | null> {
    const { clock, defaultTtlMs } = this.opts;
    const op = isLevelName(req.op) ? req.op : FALLBACK_OP;
    const parsed = parseRequest(req.payload, req.op);
    if (!parsed.ok) {
      if (parsed.transaction === undefined) {
        this.drop(parsed.error.code, 'dropped a request without a readable transaction id', { code: parsed.error.code, bytes: req.payload.byteLength });
        return null;
      }
      return this.#reply(req, op, errorResponse(parsed.transaction, op, parsed.error, clock.now()));
    }
    const { request } = parsed;
    const key = `${op}\u0000${request.transaction}`;
    const cached = this.#dedupe.get(key, clock.monotonic());
    if (cached) {
      // The same response again, to wherever this copy asks for it.
      return this.#reply(req, op, await cached);
    }
    const error = this.#refuse(req.op, request.args, request.ts, request.ttlMs);
    if (error) return this.#reply(req, op, errorResponse(request.transaction, op, error, clock.now()));

    // Cache the promise before awaiting, so a duplicate arriving during a slow op waits for the same result.
    const running = this.#run(req.op, request.args, request.transaction, request.ts);
    this.#dedupe.set(key, running, clock.monotonic());
    return this.#reply(req, op, await running);
  }

  #refuse(op: string, args: unknown, ts: number, ttlMs: number | undefined): CloudError | null {
    if (!isOpName(op)) return { code: 'unknown_op', message: 'no such op' };
    if (isExpired({ ts, ttlMs }, this.opts.clock.now(), this.opts.defaultTtlMs)) {
      return { code: 'request_expired', message: 'request is older than its TTL' };
    }
    const argError = checkArgs(op, args);
    if (argError) return argError as CloudError;
    if (!this.opts.handlers[op]) return { code: 'not_supported', message: 'op is not supported by this device' };
    return null;
  }

  async #run(op: string, args: Record<string, unknown>, transaction: string, issuedAt: number): Promise<ResponsePayload> {
    const { clock } = this.opts;
    const handler = isOpName(op) ? this.opts.handlers[op] : undefined;
    let outcome: OpOutcome;
    try {
      outcome = await handler!(args, { transaction, issuedAt });
    } catch (err) {
      this.drop(`handler:${op}`, 'op handler threw', { op, err });
      outcome = { ok: false, error: { code: 'internal_error', message: 'the op failed on the device' } };
    }
    return outcome.ok
      ? okResponse(transaction, op, outcome.data, clock.now())
      : errorResponse(transaction, op, outcome.error, clock.now());
  }

  #reply(req: IncomingRequest, op: string, response: ResponsePayload): OutgoingPublish | null {
    const { scheme, clock } = this.opts;
    let topic = scheme.response(op);
    // MQTT 5 request/response: answer where the requester asked, if we may publish there.
    if (req.responseTopic !== undefined) {
      if (checkPublish(req.responseTopic, 0, 1) === null) topic = req.responseTopic;
      else this.drop('bad_response_topic', 'ignored an unusable MQTT 5 response topic');
    }
    let payload = Buffer.from(JSON.stringify(response));
    const limit = checkPublish(topic, payload.byteLength, 1);
    if (limit?.code === 'payload_too_large') {
      payload = Buffer.from(
        JSON.stringify(
          errorResponse(response.transaction, op, { code: 'response_too_large', message: 'the response exceeds the publish limit' }, clock.now()),
        ),
      );
    } else if (limit) {
      this.drop('bad_topic', 'cannot publish a response', { code: limit.code });
      return null;
    }
    const out: OutgoingPublish = { topic, payload, qos: 1, retain: false };
    if (req.correlationData !== undefined) out.correlationData = req.correlationData;
    return out;
  }
}
