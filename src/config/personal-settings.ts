import type { PersonalTextKey } from '../store/personal-data.js';
import { getPath, setPath } from './paths.js';
import { settings } from './schema.js';

/**
 * Runtime settings that are personal data (schema `personal`): the camera's
 * name the owner typed in the app ends up on flash otherwise, in clear, in
 * config.json and its last-good copy, and outlives an unbind there. Their
 * runtime values live in the encrypted personal-data store instead; the
 * runtime file never holds them.
 */

/** The part of the personal-data store the live configuration uses. */
export interface PersonalSettingsStore {
  get(key: PersonalTextKey): unknown;
  set(key: PersonalTextKey, value: string): Promise<void>;
  remove(key: PersonalTextKey): Promise<void>;
}

export function personalSettings(): Array<{ path: string; key: PersonalTextKey }> {
  return settings()
    .filter(([, s]) => s.personal !== undefined)
    .map(([path, s]) => ({ path, key: s.personal! }));
}

/** A runtime layer without its personal values (what config.json may hold), and those values. */
export function splitPersonal(values: Record<string, unknown>): { file: Record<string, unknown>; personal: Map<string, unknown> } {
  const file = structuredClone(values);
  const personal = new Map<string, unknown>();
  for (const { path } of personalSettings()) {
    const v = getPath(file, path);
    if (v === undefined) continue;
    personal.set(path, v);
    deletePath(file, path);
  }
  return { file, personal };
}

/** The runtime layer with the store's personal values put back in (the store wins). */
export function withPersonal(values: Record<string, unknown>, store: PersonalSettingsStore): Record<string, unknown> {
  const out = structuredClone(values);
  for (const { path, key } of personalSettings()) {
    const v = store.get(key);
    if (typeof v === 'string') setPath(out, path, v);
  }
  return out;
}

/**
 * Writes one personal runtime value; an empty string is "no value" (the
 * setting's default), so the store forgets the key rather than keep "".
 */
export async function storePersonal(store: PersonalSettingsStore, key: PersonalTextKey, value: unknown): Promise<void> {
  if (typeof value === 'string' && value !== '') await store.set(key, value);
  else await store.remove(key);
}

/** Removes a key and the objects it leaves empty, so the file shows no `{"overlay": {}}` husks. */
function deletePath(target: Record<string, unknown>, path: string): void {
  const parts = path.split('.');
  const chain: Array<Record<string, unknown>> = [target];
  for (const part of parts.slice(0, -1)) {
    const next = chain.at(-1)![part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) return;
    chain.push(next as Record<string, unknown>);
  }
  delete chain.at(-1)![parts.at(-1)!];
  for (let i = chain.length - 1; i > 0; i--) {
    if (Object.keys(chain[i]!).length > 0) break;
    delete chain[i - 1]![parts[i - 1]!];
  }
}
