import type { Clock } from '../core/clock.js';
import { checkJson } from './json-check.js';
import { OP_ARG_SCHEMAS, type OpName } from './payload-schemas.js';
import type { ErrorBody } from './payloads.js';

/**
 * The op registry: which ops exist and how their arguments are validated.
 * What an op does is injected by the composition root (reboot, unbind and
 * logs.upload reach into the agent; config.* go through config-sync.ts), so
 * this module and the request handler stay pure.
 */
export type OpOutcome = { ok: true; data: unknown } | { ok: false; error: ErrorBody };

export interface OpContext {
  transaction: string;
  /** Wall-clock ms when the cloud issued the request. */
  issuedAt: number;
}

export type OpHandler = (args: Record<string, unknown>, ctx: OpContext) => Promise<OpOutcome> | OpOutcome;

/** Handlers by op; an op without a handler answers `not_supported`. */
export type OpHandlers = Partial<Record<OpName, OpHandler>>;

export function isOpName(op: string): op is OpName {
  return Object.prototype.hasOwnProperty.call(OP_ARG_SCHEMAS, op);
}

export function checkArgs(op: OpName, args: unknown): ErrorBody | null {
  const problems = checkJson(OP_ARG_SCHEMAS[op], args);
  if (!problems.length) return null;
  return {
    code: 'invalid_args',
    message: problems.map((p) => `${p.path} ${p.rule}`).join('; '),
    fields: problems.map((p) => ({ path: `args.${p.path}`.replace(/\.\(root\)$/, ''), code: 'invalid_value', rule: p.rule })),
  };
}

/** `ping` needs nothing from the agent: it proves the request path works end to end. */
export function pingHandler(clock: Clock): OpHandler {
  return () => ({ ok: true, data: { pong: true, ts: clock.now() } });
}
