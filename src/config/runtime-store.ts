import { mkdir, readFile, rename } from 'node:fs/promises';
import { dataLayout } from '../storage/data-layout.js';
import { writeFileAtomic, removeStaleTempFiles } from '../storage/atomic-file.js';
import { migrate, MigrationError } from './migrations.js';
import { validateLayer, formatFieldError } from './validate.js';

/**
 * Persistence of runtime configuration changes (made by the cloud or a
 * technician) in the data partition. Two files: `config.json`, the one in
 * force, and `config.last-good.json`, a copy of the last content that loaded
 * and validated. Both are written atomically, the main file first, so a
 * SIGKILL or power cut at any point leaves at least one valid copy.
 */

export interface RuntimeLoad {
  values: Record<string, unknown>;
  /** Set when the main file was unusable and something else was used. */
  recovered?: { reason: string; from: 'last-good' | 'defaults'; quarantined?: string };
  /** Set when the file was written by an older agent and upgraded. */
  migratedFrom?: number;
}

type Parsed = { ok: true; values: Record<string, unknown>; migratedFrom?: number } | { ok: false; reason: string };

export class RuntimeConfigStore {
  constructor(readonly dir: string) {}

  get path(): string {
    return dataLayout(this.dir).runtimeConfig;
  }

  get lastGoodPath(): string {
    return dataLayout(this.dir).runtimeConfigLastGood;
  }

  async load(): Promise<RuntimeLoad> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await removeStaleTempFiles(this.dir);
    const main = await this.#read(this.path);
    if (main === 'missing') {
      // A device that never had a runtime change; a lone last-good copy
      // means the main file was lost after it was written once.
      const lastGood = await this.#read(this.lastGoodPath);
      if (lastGood !== 'missing' && lastGood.ok) {
        await this.#writeBoth(lastGood.values);
        return { values: lastGood.values, recovered: { reason: 'config.json is missing', from: 'last-good' } };
      }
      return { values: {} };
    }
    if (main.ok) {
      if (main.migratedFrom !== undefined) await this.#writeBoth(main.values);
      else await this.#refreshLastGood(main.values);
      return main.migratedFrom !== undefined ? { values: main.values, migratedFrom: main.migratedFrom } : { values: main.values };
    }
    const quarantined = await this.#quarantine();
    const lastGood = await this.#read(this.lastGoodPath);
    if (lastGood !== 'missing' && lastGood.ok) {
      await this.#writeBoth(lastGood.values);
      return { values: lastGood.values, recovered: { reason: main.reason, from: 'last-good', quarantined } };
    }
    return { values: {}, recovered: { reason: main.reason, from: 'defaults', quarantined } };
  }

  /** Persist the complete runtime layer (already validated by the caller). */
  async save(values: Record<string, unknown>): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await this.#writeBoth(values);
  }

  async #writeBoth(values: Record<string, unknown>): Promise<void> {
    const text = `${JSON.stringify(values, null, 2)}\n`;
    await writeFileAtomic(this.path, text);
    await writeFileAtomic(this.lastGoodPath, text);
  }

  async #refreshLastGood(values: Record<string, unknown>): Promise<void> {
    const text = `${JSON.stringify(values, null, 2)}\n`;
    const current = await readFile(this.lastGoodPath, 'utf8').catch(() => null);
    if (current !== text) await writeFileAtomic(this.lastGoodPath, text);
  }

  /** Keep the unusable file for diagnosis instead of deleting evidence. */
  async #quarantine(): Promise<string> {
    const to = `${this.path}.corrupt`;
    await rename(this.path, to);
    return to;
  }

  async #read(path: string): Promise<Parsed | 'missing'> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      return { ok: false, reason: `cannot read ${path}: ${(err as Error).message}` };
    }
    return parseRuntimeText(text);
  }
}

export function parseRuntimeText(text: string): Parsed {
  if (text.trim() === '') return { ok: false, reason: 'file is empty (torn write)' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not valid JSON (${(err as Error).message})` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'not a JSON object' };
  let values = json as Record<string, unknown>;
  let migratedFrom: number | undefined;
  try {
    const m = migrate(values);
    values = m.values;
    if (m.fromVersion !== m.toVersion) migratedFrom = m.fromVersion;
  } catch (err) {
    if (err instanceof MigrationError) return { ok: false, reason: err.message };
    throw err;
  }
  const errors = validateLayer(values, { runtime: true });
  if (errors.length) return { ok: false, reason: `invalid: ${errors.map(formatFieldError).join('; ')}` };
  return migratedFrom === undefined ? { ok: true, values } : { ok: true, values, migratedFrom };
}
