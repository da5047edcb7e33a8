import { isAbsolute } from 'node:path';
import { parseRegions } from '../media/motion/regions.js';
import { parseSchedule } from '../media/motion/schedule.js';
import { parsePrivacyMasks } from '../alarm/snapshot-geometry.js';
import { parseSimWifiNetworks } from '../hal/sim/sim-wifi-networks.js';

/**
 * Value rules for configuration keys. Each rule is a named convict format
 * (so convict coerces environment strings through it) and is also called
 * directly by validate.ts, which reports one error per field instead of
 * convict's single concatenated message.
 *
 * Parameters of a rule (min, max, schemes…) live on the schema node itself,
 * which convict hands to the format function.
 */
export interface RuleParams {
  min?: number;
  max?: number;
  maxLength?: number;
  pattern?: RegExp;
  patternDoc?: string;
  allowEmpty?: boolean;
  schemes?: readonly string[];
  /**
   * Schemes without TLS (mqtt, http, ws) accepted only for a loopback host:
   * the product promises encryption in transit, so a plaintext endpoint can
   * only be a local test or demo broker.
   */
  plaintextOnlyLoopback?: boolean;
}

export interface Rule {
  name: string;
  /** Returns the broken rule in words, or null when the value is fine. */
  check(value: unknown, params: RuleParams): string | null;
  /** Turn an environment-variable string into the rule's type. */
  coerce(raw: string): unknown;
  /** The rule in words, for docs/config.md. */
  describe(params: RuleParams): string;
}

const integer: Rule = {
  name: 'ca-int',
  check(v, p) {
    if (typeof v !== 'number' || !Number.isInteger(v)) return 'must be an integer';
    if (p.min !== undefined && v < p.min) return `must be ≥ ${p.min}`;
    if (p.max !== undefined && v > p.max) return `must be ≤ ${p.max}`;
    return null;
  },
  coerce: (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw) : raw),
  describe: (p) => `integer ${p.min ?? '-∞'} … ${p.max ?? '∞'}`,
};

const number: Rule = {
  name: 'ca-number',
  check(v, p) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'must be a number';
    if (p.min !== undefined && v < p.min) return `must be ≥ ${p.min}`;
    if (p.max !== undefined && v > p.max) return `must be ≤ ${p.max}`;
    return null;
  },
  coerce: (raw) => (raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw),
  describe: (p) => `number ${p.min ?? '-∞'} … ${p.max ?? '∞'}`,
};

const boolean: Rule = {
  name: 'ca-bool',
  check: (v) => (typeof v === 'boolean' ? null : 'must be true or false'),
  coerce(raw) {
    const s = raw.trim().toLowerCase();
    if (s === 'true' || s === '1') return true;
    if (s === 'false' || s === '0') return false;
    return raw;
  },
  describe: () => 'true | false',
};

const string: Rule = {
  name: 'ca-string',
  check(v, p) {
    if (typeof v !== 'string') return 'must be a string';
    if (!p.allowEmpty && v.length === 0) return 'must not be empty';
    if (p.maxLength !== undefined && v.length > p.maxLength) return `must be at most ${p.maxLength} characters`;
    // Control characters in config values end up in logs, file names and
    // child-process arguments; none of our keys has a use for them.
    if (/[\u0000-\u001f\u007f]/.test(v)) return 'must not contain control characters';
    if (p.pattern && v.length > 0 && !p.pattern.test(v)) return `must match ${p.patternDoc ?? p.pattern.source}`;
    return null;
  },
  coerce: (raw) => raw,
  describe: (p) =>
    `string${p.maxLength !== undefined ? ` ≤ ${p.maxLength} chars` : ''}${p.allowEmpty ? ', may be empty' : ''}${
      p.patternDoc ? `, ${p.patternDoc}` : ''
    }`,
};

const path: Rule = {
  name: 'ca-path',
  check(v, p) {
    if (typeof v !== 'string') return 'must be a string';
    if (v === '' && p.allowEmpty) return null;
    if (!isAbsolute(v)) return 'must be an absolute path';
    if (v.length > 4096) return 'must be at most 4096 characters';
    if (/[\u0000-\u001f\u007f]/.test(v)) return 'must not contain control characters';
    return null;
  },
  coerce: (raw) => raw,
  describe: (p) => `absolute path${p.allowEmpty ? ' or empty' : ''}`,
};

const timezone: Rule = {
  name: 'ca-timezone',
  check(v) {
    if (typeof v !== 'string' || v.length === 0) return 'must be an IANA time zone name';
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return null;
    } catch {
      return 'must be an IANA time zone name such as Europe/Berlin';
    }
  },
  coerce: (raw) => raw,
  describe: () => 'IANA time zone name (e.g. Europe/Berlin)',
};

/** Any ffmpeg input: a URL with one of the allowed schemes, an absolute file path or a lavfi graph. */
const mediaInput: Rule = {
  name: 'ca-media-input',
  check(v, p) {
    if (typeof v !== 'string') return 'must be a string';
    if (v === '') return p.allowEmpty ? null : 'must not be empty';
    if (v.length > 2048) return 'must be at most 2048 characters';
    if (/[\u0000-\u001f\u007f]/.test(v)) return 'must not contain control characters';
    if (v.startsWith('lavfi:') || isAbsolute(v)) return null;
    const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
    const schemes = p.schemes ?? [];
    if (!m || !schemes.includes(m[1]!.toLowerCase())) {
      return `must be an absolute file path, lavfi:<graph> or a ${schemes.join('/')} URL`;
    }
    return null;
  },
  coerce: (raw) => raw,
  describe: (p) => `absolute file path, \`lavfi:<graph>\` or a ${(p.schemes ?? []).join('/')} URL${p.allowEmpty ? ', or empty' : ''}`,
};

const PLAINTEXT = new Set(['mqtt', 'http', 'ws', 'tcp']);
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** A service URL (broker, upload endpoint): allowed scheme, a host, no credentials in it. */
const url: Rule = {
  name: 'ca-url',
  check(v, p) {
    if (typeof v !== 'string') return 'must be a string';
    if (v === '') return p.allowEmpty ? null : 'must not be empty';
    if (v.length > 2048) return 'must be at most 2048 characters';
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return 'must be a URL';
    }
    const scheme = u.protocol.replace(/:$/, '');
    const schemes = p.schemes ?? [];
    if (!schemes.includes(scheme)) return `must be a ${schemes.join('/')} URL`;
    if (!u.hostname) return 'must name a host';
    if (u.username || u.password) return 'must not carry credentials (the device authenticates with its certificate)';
    if (p.plaintextOnlyLoopback && PLAINTEXT.has(scheme) && !LOOPBACK_HOST.test(u.host.replace(/:\d+$/, ''))) {
      return `may use ${scheme}:// only for a loopback test broker; use TLS`;
    }
    return null;
  },
  coerce: (raw) => raw,
  describe: (p) => `${(p.schemes ?? []).join('/')} URL${p.plaintextOnlyLoopback ? ' (plaintext schemes only on loopback)' : ''}${p.allowEmpty ? ', or empty' : ''}`,
};

/** JSON from an environment variable; anything unparsable stays a string so the check names it. */
function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Motion zones or masks: polygons in 0–1 coordinates (src/media/motion/regions.ts). */
function regions(name: string, kind: 'zone' | 'mask'): Rule {
  return {
    name,
    check(v) {
      const r = parseRegions(v, kind);
      return r.ok ? null : r.message;
    },
    coerce: parseJson,
    describe: () => `list of ${kind}s: [{"name", "points": [[x, y], …]}] with 0–1 coordinates (docs/motion.md)`,
  };
}

const motionSchedule: Rule = {
  name: 'ca-motion-schedule',
  check(v) {
    const r = parseSchedule(v, 'UTC');
    return r.ok ? null : r.message;
  },
  coerce: parseJson,
  describe: () => 'weekly arm intervals (docs/motion.md); empty = always armed',
};

/** Privacy masks of alarm snapshots (src/alarm/snapshot-geometry.ts): burned in before an image leaves. */
const privacyMasks: Rule = {
  name: 'ca-privacy-masks',
  check(v) {
    const r = parsePrivacyMasks(v);
    return r.ok ? null : r.error.message;
  },
  coerce: parseJson,
  describe: () => 'list of masks: [{"name", "points": [[x, y], …]}] with 0–1 coordinates, at most 16 (docs/snapshots.md)',
};

/** The simulated radio's networks (hal.sim.wifiNetworks). */
const simWifiNetworks: Rule = {
  name: 'ca-sim-wifi-networks',
  check(v) {
    const r = parseSimWifiNetworks(v);
    return r.ok ? null : r.message;
  },
  coerce: parseJson,
  describe: () => 'list of networks: [{"ssid", "password", "auth": "wpa"|"sae"|"open", "hidden"}]',
};

export const rules: readonly Rule[] = [
  integer,
  number,
  boolean,
  string,
  path,
  timezone,
  mediaInput,
  url,
  regions('ca-motion-zones', 'zone'),
  regions('ca-motion-masks', 'mask'),
  motionSchedule,
  privacyMasks,
  simWifiNetworks,
];

const byName = new Map(rules.map((r) => [r.name, r]));

export function ruleNamed(name: string): Rule | undefined {
  return byName.get(name);
}

/** Rule for enumerated values (schema `format: [...]`). */
export function checkEnum(value: unknown, allowed: readonly unknown[]): string | null {
  return allowed.includes(value) ? null : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
}
