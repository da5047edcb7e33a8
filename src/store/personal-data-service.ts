import type { Service } from '../core/service.js';
import type { DeviceKeySource } from '../hal/types.js';
import type { Logger } from '../log/logger.js';
import type { DataLayout } from '../storage/data-layout.js';
import type { IdentityService } from '../identity/identity-service.js';
import { PersonalDataStore } from './personal-data-store.js';
import { erasePersonalData } from './erase-personal-data.js';

/**
 * Opens the encrypted personal-data store once the identity is known (the
 * store is bound to the device id) and owns erasure: unbind and factory
 * reset both come here.
 */
export class PersonalDataService implements Service {
  readonly name = 'personal-data';
  #store: PersonalDataStore | null = null;

  constructor(
    private readonly deps: {
      layout: DataLayout;
      keys: DeviceKeySource;
      identity: IdentityService;
      logger: Logger;
      /** Runs once the store is open, before any later service starts (the live config takes its personal settings). */
      onOpen?: (store: PersonalDataStore) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    const deviceId = this.deps.identity.deviceId;
    if (!deviceId) {
      this.deps.logger.error({ code: 'store_unavailable' }, 'personal-data store not opened: no usable factory identity');
      return;
    }
    const store = new PersonalDataStore({ layout: this.deps.layout, keys: this.deps.keys, deviceId, logger: this.deps.logger });
    const opened = await store.open();
    if (!opened.ok) {
      this.deps.logger.error({ code: opened.error.code }, `personal-data store unavailable: ${opened.error.message}`);
      return;
    }
    for (const issue of opened.issues) this.deps.logger.warn({ issue }, 'personal-data store recovered from a damaged file');
    this.#store = store;
    await this.deps.onOpen?.(store);
  }

  async stop(): Promise<void> {}

  /** The open store, or null when it could not be opened (no identity, no key). */
  get store(): PersonalDataStore | null {
    return this.#store;
  }

  /** The alarm spool's sealing key (PersonalDataStore.purposeKey); null while the store is unavailable. */
  async spoolKey(opts: { create: boolean }): Promise<Uint8Array | null> {
    return this.#store ? this.#store.purposeKey('snapshot-spool', opts) : null;
  }

  /**
   * Crypto-erase every piece of personal data on the device; keeps the
   * factory identity. Works even when the store never opened.
   */
  async erase(): Promise<void> {
    if (this.#store) await this.#store.erase();
    else await erasePersonalData(this.deps.layout);
  }
}
