import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { checkJson } from './json-check.js';
import type { OpHandler } from './ops.js';
import { configDesiredSchema } from './payload-schemas.js';
import type { ConfigDesiredPayload, ConfigReportedPayload, FieldProblem } from './payloads.js';

/** What an all-or-nothing config change did (the shape of LiveConfig.change()'s result). */
export interface ConfigApplyResult {
  applied: string[];
  restartRequired: string[];
  pinned: string[];
  /** When non-empty, nothing changed. */
  rejected: Array<{ path: string; code: string; rule: string }>;
}

export interface ConfigSyncDeps {
  clock: Clock;
  /** Validate and apply a partial config, all or nothing (LiveConfig.change(patch, 'cloud')). */
  applyConfig(patch: Record<string, unknown>): Promise<ConfigApplyResult>;
  /** The configuration in force, secrets masked (maskConfig(live.current)). */
  currentConfig(): Record<string, unknown>;
}

/**
 * Config sync with the cloud: the retained `config/desired` document is
 * applied all or nothing and answered on retained `config/reported`; the
 * `config.get`/`config.set` ops go through the same path.
 *
 * The broker redelivers the retained desired document on every (re)subscribe,
 * so a document already processed (same version and content hash) is
 * ignored. That memory is not persisted: after a restart the document is
 * applied once more, which changes nothing (LiveConfig reports no applied
 * keys) and refreshes `config/reported`.
 */
export class ConfigSync {
  #last: { version: number | null; hash: string; report: ConfigReportedPayload } | null = null;

  constructor(private readonly deps: ConfigSyncDeps) {}

  /** The report to publish, or null when the document needs no action (empty, stale or already processed). */
  async handleDesired(payload: Uint8Array): Promise<ConfigReportedPayload | null> {
    // A zero-length retained publish deletes the document: nothing to apply.
    if (payload.byteLength === 0) return null;
    let doc: unknown;
    try {
      doc = JSON.parse(Buffer.from(payload).toString('utf8'));
    } catch {
      return this.#report(null, null, 'rejected', { ...EMPTY, rejected: [{ path: '(document)', code: 'invalid_json', rule: 'must be valid JSON' }] });
    }
    const problems = checkJson(configDesiredSchema, doc);
    if (problems.length) {
      return this.#report(null, null, 'rejected', {
        ...EMPTY,
        rejected: problems.map((p) => ({ path: p.path, code: 'invalid_document', rule: p.rule })),
      });
    }
    const desired = doc as ConfigDesiredPayload;
    const version = desired.version ?? null;
    const hash = configHash(desired.config);
    const last = this.#last;
    if (last && last.hash === hash && last.version === version) return null;
    if (last && version !== null && last.version !== null && version < last.version) return null;
    const result = await this.deps.applyConfig(desired.config);
    const report = this.#report(version, hash, result.rejected.length ? 'rejected' : 'applied', result);
    this.#last = { version, hash, report };
    return report;
  }

  /** The current report (on connect, and after config.set). */
  current(): ConfigReportedPayload {
    const last = this.#last;
    if (!last) return this.#report(null, null, 'none', EMPTY);
    return { ...last.report, ts: this.deps.clock.now(), config: this.deps.currentConfig() };
  }

  /** `config.get`: the configuration in force, optionally only some dotted keys. */
  getHandler(): OpHandler {
    return (args) => {
      const config = this.deps.currentConfig();
      const keys = args.keys as string[] | undefined;
      if (!keys) return { ok: true, data: { config } };
      const picked: Record<string, unknown> = {};
      for (const k of keys) picked[k] = k.split('.').reduce<unknown>((o, p) => (isObject(o) ? o[p] : undefined), config);
      return { ok: true, data: { config: picked } };
    };
  }

  /** `config.set`: the same all-or-nothing path as the desired document; `onReport` republishes config/reported. */
  setHandler(onReport: (r: ConfigReportedPayload) => void): OpHandler {
    return async (args) => {
      let result: ConfigApplyResult;
      try {
        result = await this.deps.applyConfig(args.patch as Record<string, unknown>);
      } catch (err) {
        // The store persists before it applies (config/live-config.ts), so a failed write (ENOSPC on a
        // full data partition, EIO, EROFS) changed nothing: say so with a code, not internal_error.
        const errno = (err as NodeJS.ErrnoException).code;
        if (typeof errno !== 'string') throw err;
        return { ok: false, error: { code: 'config_not_saved', message: `the configuration could not be stored (${errno}); nothing changed` } };
      }
      const rejected = result.rejected.map(toProblem);
      if (rejected.length) {
        return { ok: false, error: { code: 'config_rejected', message: `${rejected.length} field(s) rejected; nothing changed`, fields: rejected } };
      }
      const report = this.current();
      onReport({ ...report, applied: result.applied, restartRequired: result.restartRequired, pinned: result.pinned, rejected: [] });
      return { ok: true, data: { applied: result.applied, restartRequired: result.restartRequired, pinned: result.pinned } };
    };
  }

  #report(version: number | null, hash: string | null, status: ConfigReportedPayload['status'], r: ConfigApplyResult): ConfigReportedPayload {
    return {
      ts: this.deps.clock.now(),
      desiredVersion: version,
      desiredHash: hash,
      status,
      applied: r.applied,
      restartRequired: r.restartRequired,
      pinned: r.pinned,
      rejected: r.rejected.map(toProblem),
      config: this.deps.currentConfig(),
    };
  }
}

const EMPTY: ConfigApplyResult = { applied: [], restartRequired: [], pinned: [], rejected: [] };

/** Only path, code and rule travel: the offending value may be personal data. */
function toProblem(e: { path: string; code: string; rule: string }): FieldProblem {
  return { path: e.path, code: e.code, rule: e.rule };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** sha256 of the JSON with sorted keys, so key order in the cloud's document does not matter. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
