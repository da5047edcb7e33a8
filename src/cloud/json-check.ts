/**
 * A small validator for the subset of JSON Schema (2020-12) our payload
 * schemas use. Hand-written instead of a dependency (ajv is ~1 MB installed
 * and compiles code at run time) because the schemas are ours, small and
 * fixed; the unit tests pin the keywords we rely on.
 *
 * Supported: type, properties, required, additionalProperties (bool or
 * schema), items, minItems, maxItems, enum, const, minimum, maximum,
 * minLength, maxLength, pattern, oneOf. Annotations ($id, title,
 * description, examples…) are ignored.
 */
export interface JsonSchema {
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  oneOf?: JsonSchema[];
  [annotation: string]: unknown;
}

export type JsonType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';

export interface SchemaProblem {
  /** JSON-pointer-like path: `args.delayMs`, `(root)`. */
  path: string;
  rule: string;
}

const MAX_PROBLEMS = 20;

export function checkJson(schema: JsonSchema, value: unknown): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  walk(schema, value, '', out);
  return out.slice(0, MAX_PROBLEMS);
}

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

function typeMatches(want: JsonType, v: unknown): boolean {
  const got = typeOf(v);
  return want === got || (want === 'number' && got === 'integer');
}

function walk(s: JsonSchema, v: unknown, path: string, out: SchemaProblem[]): void {
  if (out.length >= MAX_PROBLEMS) return;
  const at = path || '(root)';
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => typeMatches(t, v))) {
      out.push({ path: at, rule: `must be of type ${types.join(' or ')}` });
      return;
    }
  }
  if (s.const !== undefined && v !== s.const) out.push({ path: at, rule: `must be ${JSON.stringify(s.const)}` });
  if (s.enum && !s.enum.includes(v)) out.push({ path: at, rule: `must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` });
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push({ path: at, rule: `must be ≥ ${s.minimum}` });
    if (s.maximum !== undefined && v > s.maximum) out.push({ path: at, rule: `must be ≤ ${s.maximum}` });
  }
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.minLength !== undefined && len < s.minLength) out.push({ path: at, rule: `must be at least ${s.minLength} characters` });
    if (s.maxLength !== undefined && len > s.maxLength) out.push({ path: at, rule: `must be at most ${s.maxLength} characters` });
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) out.push({ path: at, rule: `must match ${s.pattern}` });
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push({ path: at, rule: `must have at least ${s.minItems} items` });
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ path: at, rule: `must have at most ${s.maxItems} items` });
    if (s.items) v.forEach((item, i) => walk(s.items!, item, `${path}[${i}]`, out));
  }
  if (typeOf(v) === 'object') {
    const obj = v as Record<string, unknown>;
    for (const key of s.required ?? []) {
      if (!Object.prototype.hasOwnProperty.call(obj, key)) out.push({ path: join(path, key), rule: 'is required' });
    }
    for (const [key, child] of Object.entries(obj)) {
      const prop = s.properties && Object.prototype.hasOwnProperty.call(s.properties, key) ? s.properties[key] : undefined;
      if (prop) walk(prop, child, join(path, key), out);
      else if (s.additionalProperties === false) out.push({ path: join(path, key), rule: 'is not an allowed property' });
      else if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, child, join(path, key), out);
    }
  }
  if (s.oneOf) {
    const matches = s.oneOf.map((alt) => checkJson(alt, v));
    const passing = matches.filter((m) => m.length === 0).length;
    if (passing !== 1) {
      if (passing === 0) {
        // Report the alternative that came closest: its problems say more than "matches none".
        const best = matches.reduce((a, b) => (b.length < a.length ? b : a));
        for (const p of best) out.push({ path: p.path === '(root)' ? at : join(path, p.path), rule: p.rule });
      } else out.push({ path: at, rule: 'matches more than one alternative' });
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
