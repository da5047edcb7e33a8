import pino from 'pino';
import { LogRing } from './log-ring.js';
import { SecretRegistry } from './secret-registry.js';
import { maskIp, maskMac, maskSsid, scrubText } from './mask.js';

export type { Logger } from 'pino';

/** Keys whose values are secrets wherever they appear in a log object. */
const SECRET_KEY = /pass(word|phrase)?$|^psk$|secret|token|(private|api|data|store|session|device|signing)_?key$|authorization|cookie|verification_?code|credential|signature|srp_?(verifier|salt)/i;

/** Keys that hold personal data, masked by the privacy rules. */
const PERSONAL_KEY: Record<string, (v: string) => string> = {
  ssid: maskSsid,
  mac: maskMac,
  bssid: maskMac,
  ip: maskAddress,
  address: maskAddress,
};

/** Loopback and wildcard addresses identify nobody; technicians need them readable. */
function maskAddress(v: string): string {
  return v.startsWith('127.') || v === '0.0.0.0' || v === '::1' || v === '::' ? v : maskIp(v);
}

const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

/** Redact secrets and mask personal data in anything about to be logged. */
export function sanitize(value: unknown, key = '', depth = 0): unknown {
  if (key && SECRET_KEY.test(key) && value !== null && value !== undefined && value !== '') return REDACTED;
  if (typeof value === 'string') {
    const mask = PERSONAL_KEY[key.toLowerCase()];
    return mask ? mask(value) : scrubText(value);
  }
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: scrubText(value.message) };
    const code = (value as NodeJS.ErrnoException).code;
    if (code) out.code = code;
    if (value.stack) out.stack = scrubText(value.stack);
    return out;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => sanitize(v, key, depth + 1));
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = sanitize(v, k, depth + 1);
  return out;
}

export interface LogOutput {
  write(line: string): void;
}

export interface LoggingOptions {
  level: string;
  ringLines: number;
  /** Where lines go; stdout (journald) by default. */
  output?: LogOutput;
  secrets?: SecretRegistry;
}

export interface Logging {
  logger: pino.Logger;
  ring: LogRing;
  secrets: SecretRegistry;
}

/**
 * JSON lines to stdout for journald, every line sanitised twice: by key and
 * content in the formatter, then against the registry of secret values in
 * the sink, which also feeds the in-memory ring.
 */
export function createLogging(opts: LoggingOptions): Logging {
  const ring = new LogRing(opts.ringLines);
  const secrets = opts.secrets ?? new SecretRegistry();
  const output: LogOutput = opts.output ?? { write: (line) => void process.stdout.write(line) };
  const sink = {
    write(line: string) {
      const clean = secrets.scrub(line);
      ring.push(clean);
      output.write(clean);
    },
  };
  const logger = pino(
    {
      level: opts.level,
      // No pid/hostname: journald records both. Each service's child logger adds `svc`.
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // sanitize() already turned errors into plain objects; pino's own err
      // serializer would rename their type to "Object".
      serializers: { err: (e: unknown) => e },
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => sanitize(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // Messages may carry text from child processes or libraries.
          const cleaned = args.map((a) => (typeof a === 'string' ? scrubText(a) : a)) as Parameters<typeof method>;
          method.apply(this, cleaned);
        },
      },
    },
    sink,
  );
  return { logger, ring, secrets };
}
