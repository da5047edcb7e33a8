import convict from 'convict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rules } from './formats.js';
import { isSetting, schema, settings, envName, type AgentConfig, type SchemaTree } from './schema.js';
import { validateLayer, type FieldError } from './validate.js';
import { migrate, MigrationError } from './migrations.js';
import { getPath, setPath } from './paths.js';

export { getPath, setPath };
import { RuntimeConfigStore, type RuntimeLoad } from './runtime-store.js';

/**
 * Layered configuration, later wins:
 *   schema defaults → system file (/etc, firmware) → factory partition's
 *   config.json (per-unit hardware) → runtime file (cloud/technician changes,
 *   in data.dir) → CAMERA_AGENT_* environment → --config FILE.
 * Every layer is validated on its own first, so an error names the file and
 * field it came from.
 */
export type LayerName = 'defaults' | 'system' | 'factory' | 'runtime' | 'env' | 'cli';

export interface Layer {
  name: LayerName;
  source: string;
  values: Record<string, unknown>;
}

export interface ConfigSources {
  /** Firmware's config; a missing file is an empty layer. */
  systemFile: string;
  /** --config FILE: must exist when given. */
  cliFile?: string;
  env: Record<string, string | undefined>;
}

export const DEFAULT_SYSTEM_FILE = '/etc/camera-agent/config.json';

/** Environment variables that steer loading rather than set a key. */
export const CONTROL_ENV = ['CAMERA_AGENT_SYSTEM_CONFIG'] as const;

export class ConfigError extends Error {
  constructor(
    readonly code: 'config_invalid' | 'config_unreadable',
    readonly source: string,
    readonly fieldErrors: FieldError[],
    message: string,
  ) {
    super(message);
  }
}

let formatsRegistered = false;
function registerFormats(): void {
  if (formatsRegistered) return;
  for (const rule of rules) {
    convict.addFormat({
      name: rule.name,
      validate(value: unknown, node: unknown) {
        const broken = rule.check(value, node as Parameters<typeof rule.check>[1]);
        if (broken) throw new Error(broken);
      },
      coerce: (raw: string) => rule.coerce(String(raw)),
    });
  }
  formatsRegistered = true;
}

/** The schema in convict's terms: our extra attributes ride along untouched. */
function convictSchema(tree: SchemaTree): convict.Schema<AgentConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    out[key] = isSetting(node) ? { ...node, env: undefined } : convictSchema(node);
  }
  return out as convict.Schema<AgentConfig>;
}

export async function readJsonLayer(name: LayerName, path: string, required: boolean): Promise<Layer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return { name, source: path, values: {} };
    throw new ConfigError('config_unreadable', path, [], `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config_invalid', path, [], `${path}: not valid JSON (${(err as Error).message})`);
  }
  const errors = validateLayer(json);
  if (errors.length) throw new ConfigError('config_invalid', path, errors, `${path}: ${errors.length} invalid field(s)`);
  try {
    return { name, source: path, values: migrate(json as Record<string, unknown>).values };
  } catch (err) {
    if (err instanceof MigrationError) throw new ConfigError('config_invalid', path, [], `${path}: ${err.message}`);
    throw err;
  }
}

/** Collect CAMERA_AGENT_* variables into a layer, coerced by each key's rule. */
export function envLayer(env: Record<string, string | undefined>): { layer: Layer; unknown: string[] } {
  const values: Record<string, unknown> = {};
  const known = new Set<string>(CONTROL_ENV);
  for (const [path, setting] of settings()) {
    const name = envName(path);
    known.add(name);
    const raw = env[name];
    if (raw === undefined) continue;
    let value: unknown = raw;
    if (!Array.isArray(setting.format)) value = rules.find((r) => r.name === setting.format)?.coerce(raw) ?? raw;
    setPath(values, path, value);
  }
  const unknown = Object.keys(env).filter((k) => k.startsWith('CAMERA_AGENT_') && !known.has(k));
  return { layer: { name: 'env', source: 'environment', values }, unknown };
}

/** Merge layers with convict and validate the result as a whole. */
export function mergeLayers(layers: readonly Layer[]): AgentConfig {
  registerFormats();
  const cfg = convict(convictSchema(schema), { env: {}, args: [] });
  for (const layer of layers) {
    if (layer.name !== 'defaults') cfg.load(layer.values);
  }
  cfg.validate({ allowed: 'strict' });
  return cfg.getProperties();
}

export interface LoadedConfig {
  config: AgentConfig;
  layers: Layer[];
  runtime: RuntimeLoad;
  runtimeStore: RuntimeConfigStore;
  /** CAMERA_AGENT_* variables that name no key (typos are worth a warning). */
  unknownEnv: string[];
}

export async function loadConfig(sources: ConfigSources): Promise<LoadedConfig> {
  const defaults: Layer = { name: 'defaults', source: 'schema', values: mergeLayers([]) as unknown as Record<string, unknown> };
  const system = await readJsonLayer('system', sources.systemFile, false);
  const { layer: env, unknown: unknownEnv } = envLayer(sources.env);
  const envErrors = validateLayer(env.values);
  if (envErrors.length) throw new ConfigError('config_invalid', 'environment', envErrors, `environment: ${envErrors.length} invalid variable(s)`);
  const cli = sources.cliFile ? await readJsonLayer('cli', sources.cliFile, true) : undefined;
  const above = [env, ...(cli ? [cli] : [])];

  // Where the factory and runtime layers live is itself configuration, but
  // only the boot layers may say so (bootOnly keys), so resolve it from them.
  const identityDir = String(resolveFrom([defaults, system, ...above], 'identity.dir'));
  const factory = await readJsonLayer('factory', join(identityDir, 'config.json'), false);
  const dataDir = String(resolveFrom([defaults, system, factory, ...above], 'data.dir'));

  const runtimeStore = new RuntimeConfigStore(dataDir);
  const runtime = await runtimeStore.load();
  const runtimeLayer: Layer = { name: 'runtime', source: runtimeStore.path, values: runtime.values };

  const layers = [defaults, system, factory, runtimeLayer, ...above];
  const config = mergeLayers(layers);
  return { config, layers, runtime, runtimeStore, unknownEnv };
}

function resolveFrom(layers: readonly Layer[], path: string): unknown {
  let value: unknown;
  for (const layer of layers) {
    const v = getPath(layer.values, path);
    if (v !== undefined) value = v;
  }
  return value;
}

/** Which layer gave a key its effective value. */
export function originOf(layers: readonly Layer[], path: string): LayerName {
  let origin: LayerName = 'defaults';
  for (const layer of layers) if (getPath(layer.values, path) !== undefined) origin = layer.name;
  return origin;
}
