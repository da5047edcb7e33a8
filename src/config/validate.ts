import { checkEnum, ruleNamed } from './formats.js';
import { isSetting, schema, settings, type SchemaTree, type Setting } from './schema.js';
import { getPath, setPath } from './paths.js';
import { maskUrlCredentials } from '../log/mask.js';

/** One broken rule of one field: what `config check` prints and the API returns. */
export interface FieldError {
  path: string;
  /** The offending value as it may be shown: secrets redacted. */
  shown: string;
  rule: string;
  code: 'unknown_key' | 'invalid_value' | 'not_an_object' | 'not_changeable';
}

const REDACTED = '[redacted]';

/** A value as it may leave the device or reach a screen: secrets masked, the rest untouched. */
export function maskedValue(setting: Setting | undefined, value: unknown): unknown {
  if (!setting?.sensitive || value === '' || value === undefined) return value;
  if (setting.mask === 'url-credentials' && typeof value === 'string') return maskUrlCredentials(value);
  return REDACTED;
}

/** The whole configuration with every sensitive key masked (config show, API, MQTT config.get). */
export function maskConfig<T extends object>(config: T): T {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const [path, setting] of settings()) {
    if (setting.sensitive) setPath(copy, path, maskedValue(setting, getPath(copy, path)));
  }
  return copy as T;
}

/** How a value may appear on screen or in a log line: masked, as JSON, bounded. */
export function showValue(setting: Setting | undefined, value: unknown): string {
  const json = JSON.stringify(maskedValue(setting, value));
  if (json === undefined) return String(value);
  // Unknown keys may hold anything; keep the line readable and bounded.
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

export function checkSetting(setting: Setting, value: unknown): string | null {
  if (Array.isArray(setting.format)) return checkEnum(value, setting.format);
  const rule = ruleNamed(setting.format as string);
  if (!rule) throw new Error(`schema uses unknown rule ${String(setting.format)}`);
  return rule.check(value, setting);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Check a (partial) configuration layer: every key must exist in the schema
 * and every value must follow its rule. Missing keys are fine: lower layers
 * and defaults supply them. Returns every error, not only the first.
 */
export function validateLayer(
  layer: unknown,
  opts: { runtime?: boolean } = {},
  tree: SchemaTree = schema,
  prefix = '',
): FieldError[] {
  if (!isPlainObject(layer)) {
    return [{ path: prefix || '(root)', shown: showValue(undefined, layer), rule: 'must be a JSON object', code: 'not_an_object' }];
  }
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(layer)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const node = Object.prototype.hasOwnProperty.call(tree, key) ? tree[key] : undefined;
    if (!node) {
      errors.push({ path, shown: showValue(undefined, value), rule: 'is not a known configuration key', code: 'unknown_key' });
    } else if (isSetting(node)) {
      const broken = checkSetting(node, value);
      if (broken) errors.push({ path, shown: showValue(node, value), rule: broken, code: 'invalid_value' });
      else if (opts.runtime && node.bootOnly && path !== 'configVersion') {
        errors.push({ path, shown: showValue(node, value), rule: 'can only be set by the firmware image, the factory partition, the environment or --config', code: 'not_changeable' });
      }
    } else if (!isPlainObject(value)) {
      errors.push({ path, shown: showValue(undefined, value), rule: 'must be an object of settings', code: 'not_an_object' });
    } else {
      errors.push(...validateLayer(value, opts, node, path));
    }
  }
  return errors;
}

export function formatFieldError(e: FieldError): string {
  return `${e.path}: ${e.shown} ${e.rule}`;
}
