import { readFile } from 'node:fs/promises';
import { migrate, MigrationError } from '../config/migrations.js';
import { loadConfig, mergeLayers, originOf, getPath, type ConfigSources } from '../config/load.js';
import { settings } from '../config/schema.js';
import { formatFieldError, maskConfig, showValue, validateLayer } from '../config/validate.js';

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** `config check FILE`: 0 when valid, 2 with one line per bad field. */
export async function configCheck(file: string, io: Io): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.err(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    io.err(`${file}: not valid JSON (${(err as Error).message})`);
    return 2;
  }
  const errors = validateLayer(json);
  if (errors.length) {
    for (const e of errors) io.err(formatFieldError(e));
    return 2;
  }
  try {
    mergeLayers([{ name: 'cli', source: file, values: migrate(json as Record<string, unknown>).values }]);
  } catch (err) {
    io.err(err instanceof MigrationError ? `configVersion: ${err.message}` : `${file}: ${(err as Error).message}`);
    return 2;
  }
  io.out(`${file}: valid`);
  return 0;
}

/** The effective configuration with every secret masked, as JSON. */
export async function configShow(sources: ConfigSources, origin: boolean, io: Io): Promise<number> {
  const loaded = await loadConfig(sources);
  if (origin) {
    for (const [path, setting] of settings()) {
      io.out(`${path} = ${showValue(setting, getPath(loaded.config, path))}  (${originOf(loaded.layers, path)})`);
    }
    return 0;
  }
  const masked = maskConfig(loaded.config);
  io.out(JSON.stringify(masked, null, 2));
  return 0;
}
