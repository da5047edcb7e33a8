import { mkdir, readFile, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { DeviceKeySource } from '../hal/types.js';
import type { Logger } from '../log/logger.js';
import { removeStaleTempFiles, writeFileAtomic } from '../storage/atomic-file.js';
import type { DataLayout } from '../storage/data-layout.js';
import { erasePersonalData, type EraseResult } from './erase-personal-data.js';
import { checkPersonalData, checkPersonalValue, isPersonalDataKey, type PersonalData, type PersonalDataKey } from './personal-data.js';
import { DEK_BYTES, derivePurposeKey, deriveStoreKek, type PurposeKeyName, openDocument, sealDocument, unwrapDataKey, wrapDataKey } from './store-format.js';
import { StoreError, type StoreErrorCode } from './store-error.js';

/** Something open() found wrong and recovered from by starting empty. */
export interface StoreIssue {
  code: Extract<StoreErrorCode, 'store_corrupt' | 'store_key_invalid' | 'store_key_missing'>;
  message: string;
  /** Where the unreadable file(s) were moved (`<name>.bad`, one generation kept). */
  setAside: string[];
}

export type StoreOpenResult = { ok: true; issues: StoreIssue[] } | { ok: false; error: StoreError };

/**
 * The owner's personal data (Wi-Fi credentials, cloud binding, device name)
 * encrypted at rest in data/secure/ (format: store-format.ts). Every change
 * rewrites the whole small document atomically; changes are serialised so
 * two callers never interleave a read-modify-write. A damaged store is set
 * aside and the agent carries on empty — it falls back to provisioning
 * rather than crash-looping on a file it can never read.
 */
export class PersonalDataStore {
  private doc: PersonalData | null = null;
  private kek: Uint8Array | null = null;
  private dek: Uint8Array | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { layout: DataLayout; keys: DeviceKeySource; deviceId: string; logger: Logger },
  ) {}

  /** Read (or create) the store. Call once at start, before get/set. */
  open(): Promise<StoreOpenResult> {
    return this.serialised(() => this.load());
  }

  get<K extends PersonalDataKey>(key: K): PersonalData[K] | undefined {
    if (!isPersonalDataKey(key)) throw new StoreError('store_unknown_key', `"${String(key)}" is not a personal-data key`);
    const value = this.current()[key];
    return value === undefined ? undefined : structuredClone(value);
  }

  snapshot(): PersonalData {
    return structuredClone(this.current());
  }

  /** Validate and persist one value; resolves once it is on flash. Throws StoreError on a bad key/value. */
  set<K extends PersonalDataKey>(key: K, value: NonNullable<PersonalData[K]>): Promise<void> {
    if (!isPersonalDataKey(key)) return Promise.reject(new StoreError('store_unknown_key', `"${String(key)}" is not a personal-data key`));
    const why = checkPersonalValue(key, value);
    if (why) return Promise.reject(new StoreError('store_invalid_value', why));
    const copy = structuredClone(value);
    return this.serialised(() => this.write({ ...this.current(), [key]: copy }));
  }

  remove(key: PersonalDataKey): Promise<void> {
    if (!isPersonalDataKey(key)) return Promise.reject(new StoreError('store_unknown_key', `"${String(key)}" is not a personal-data key`));
    return this.serialised(() => {
      const next = { ...this.current() };
      delete next[key];
      return this.write(next);
    });
  }

  /**
   * A 32-byte key for other personal data kept outside the document (the
   * alarm snapshot spool), derived from the DEK so that erase() destroys it
   * too and it never exists on flash itself. With `create` a missing DEK is
   * made (durably, as in set()); without it, null when there is no DEK.
   */
  purposeKey(purpose: PurposeKeyName, opts: { create: boolean }): Promise<Uint8Array | null> {
    return this.serialised(async () => {
      this.current();
      if (!this.dek) {
        if (!opts.create) return null;
        await this.ensureDek();
      }
      return derivePurposeKey(this.dek!, purpose, this.deps.deviceId);
    });
  }

  /**
   * Crypto-erase (erase-personal-data.ts) after any queued write, then carry
   * on as an empty store: the next set() makes a fresh DEK.
   */
  erase(): Promise<EraseResult> {
    return this.serialised(async () => {
      const result = await erasePersonalData(this.deps.layout);
      this.dek?.fill(0);
      this.dek = null;
      if (this.doc) this.doc = {};
      this.deps.logger.info({ removed: result.removed.length }, 'personal data erased');
      return result;
    });
  }

  private serialised<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private current(): PersonalData {
    if (!this.doc) throw new StoreError('store_not_open', 'personal-data store used before open()');
    return this.doc;
  }

  private async load(): Promise<StoreOpenResult> {
    const { layout, deviceId } = this.deps;
    let material: Uint8Array;
    try {
      material = await this.deps.keys.keyMaterial();
    } catch (err) {
      const error = new StoreError('store_key_unavailable', 'device key source failed; personal data cannot be read or written', { cause: err });
      this.deps.logger.error({ code: error.code, cause: (err as { code?: string }).code }, error.message);
      return { ok: false, error };
    }
    this.kek = deriveStoreKek(material, deviceId);
    await mkdir(layout.secureDir, { recursive: true, mode: 0o700 });
    await removeStaleTempFiles(layout.secureDir);

    const issues: StoreIssue[] = [];
    const keyFile = await readOptional(layout.secureStoreKey);
    let storeFile = await readOptional(layout.secureStore);
    this.dek = null;

    if (keyFile) {
      const unwrapped = unwrapDataKey(this.kek, keyFile, deviceId);
      if (unwrapped.ok) {
        this.dek = unwrapped.plaintext;
      } else {
        const moved = [await setAside(layout.secureStoreKey)];
        if (storeFile) moved.push(await setAside(layout.secureStore));
        storeFile = null;
        issues.push({ code: 'store_key_invalid', message: `store.key unusable: ${unwrapped.why}; starting empty`, setAside: moved });
      }
    } else if (storeFile) {
      issues.push({ code: 'store_key_missing', message: 'store.bin without store.key is unreadable; starting empty', setAside: [await setAside(layout.secureStore)] });
      storeFile = null;
    }

    let doc: PersonalData = {};
    if (storeFile && this.dek) {
      const opened = openDocument(this.dek, storeFile, deviceId);
      const parsed = opened.ok ? parseJson(opened.plaintext) : { ok: false as const, why: opened.why };
      const why = parsed.ok ? checkPersonalData(parsed.value) : parsed.why;
      if (parsed.ok && why === null) {
        doc = parsed.value as PersonalData;
      } else {
        issues.push({ code: 'store_corrupt', message: `store.bin unusable: ${why}; starting empty`, setAside: [await setAside(layout.secureStore)] });
      }
    }
    for (const issue of issues) this.deps.logger.warn({ code: issue.code, setAside: issue.setAside }, issue.message);
    this.doc = doc;
    return { ok: true, issues };
  }

  private async write(next: PersonalData): Promise<void> {
    this.current();
    const { layout, deviceId } = this.deps;
    const dek = await this.ensureDek();
    await writeFileAtomic(layout.secureStore, sealDocument(dek, JSON.stringify(next), deviceId), 0o600);
    this.doc = next;
  }

  private async ensureDek(): Promise<Uint8Array> {
    const { layout, deviceId } = this.deps;
    if (!this.kek) throw new StoreError('store_not_open', 'personal-data store used before open()');
    if (!this.dek) {
      // The key must be durable before any ciphertext that depends on it.
      const dek = new Uint8Array(randomBytes(DEK_BYTES));
      await mkdir(layout.secureDir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(layout.secureStoreKey, wrapDataKey(this.kek, dek, deviceId), 0o600);
      this.dek = dek;
    }
    return this.dek;
  }
}

function parseJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; why: string } {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(bytes).toString('utf8')) };
  } catch {
    return { ok: false, why: 'document is not JSON' };
  }
}

async function readOptional(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Keep one generation of an unreadable file for a technician; erase removes it with the rest. */
async function setAside(path: string): Promise<string> {
  const aside = `${path}.bad`;
  await rename(path, aside);
  return aside;
}
