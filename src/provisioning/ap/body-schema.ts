/**
 * The JSON Schema subset the `/prov/v1` bodies use, checked by a small pure
 * validator instead of fastify's default Ajv set-up, for two reasons:
 *   - fastify's Ajv defaults *remove* unknown properties and *coerce* types
 *     ("1" → 1) instead of refusing them; a plugin cannot change that on a
 *     host instance it is registered into, and bodies from an unauthenticated
 *     radio neighbour must be refused, not repaired;
 *   - the bodies inside envelopes are only JSON after decryption, so they
 *     never pass fastify's validation; the same schemas check them here.
 *
 * Supported: type (one or a list), properties, required,
 * additionalProperties: false (always enforced), minLength, maxLength,
 * pattern, minimum, maximum, enum. Lengths count UTF-16 units — they are
 * size caps; byte rules (SSID ≤ 32 bytes…) are domain checks made later.
 */
export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'object';

export interface PropertySchema {
  type: JsonType | readonly JsonType[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  enum?: readonly (string | number | boolean | null)[];
  description?: string;
}

export interface ObjectSchema {
  type: 'object';
  additionalProperties: false;
  required: readonly string[];
  properties: Readonly<Record<string, PropertySchema>>;
}

/** One thing wrong with one field; `field` is the property name, or "(body)" for the whole body. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export const BODY_FIELD = '(body)';

function typeOf(value: unknown): JsonType | 'array' | 'other' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'object':
      return 'object';
    default:
      return 'other';
  }
}

function matchesType(value: unknown, type: JsonType | readonly JsonType[]): boolean {
  const actual = typeOf(value);
  const types: readonly JsonType[] = typeof type === 'string' ? [type] : type;
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

const patterns = new Map<string, RegExp>();

function regex(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patterns.set(pattern, re);
  }
  return re;
}

/** Every problem with `value` against `schema` (empty: valid). Pure; never throws on input. */
export function checkBody(schema: ObjectSchema, value: unknown): FieldError[] {
  if (typeOf(value) !== 'object') return [{ field: BODY_FIELD, code: 'wrong_type', message: 'the body must be a JSON object' }];
  const body = value as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!Object.hasOwn(schema.properties, key)) errors.push({ field: key, code: 'unknown_field', message: 'not a field of this request' });
  }
  for (const key of schema.required) {
    if (!Object.hasOwn(body, key)) errors.push({ field: key, code: 'missing', message: 'required' });
  }
  for (const [key, prop] of Object.entries(schema.properties)) {
    if (!Object.hasOwn(body, key)) continue;
    const problem = checkProperty(prop, body[key]);
    if (problem) errors.push({ field: key, ...problem });
  }
  return errors;
}

function checkProperty(prop: PropertySchema, value: unknown): { code: string; message: string } | null {
  if (!matchesType(value, prop.type)) {
    return { code: 'wrong_type', message: `must be ${typeof prop.type === 'string' ? prop.type : prop.type.join(' or ')}` };
  }
  if (prop.enum && !prop.enum.includes(value as string | number | boolean | null)) {
    return { code: 'not_allowed', message: `must be one of ${prop.enum.map((e) => JSON.stringify(e)).join(', ')}` };
  }
  if (typeof value === 'string') {
    if (prop.minLength !== undefined && value.length < prop.minLength) return { code: 'too_short', message: `at least ${prop.minLength} characters` };
    if (prop.maxLength !== undefined && value.length > prop.maxLength) return { code: 'too_long', message: `at most ${prop.maxLength} characters` };
    if (prop.pattern !== undefined && !regex(prop.pattern).test(value)) return { code: 'bad_format', message: `must match ${prop.pattern}` };
  }
  if (typeof value === 'number') {
    if (prop.minimum !== undefined && value < prop.minimum) return { code: 'out_of_range', message: `at least ${prop.minimum}` };
    if (prop.maximum !== undefined && value > prop.maximum) return { code: 'out_of_range', message: `at most ${prop.maximum}` };
  }
  return null;
}
