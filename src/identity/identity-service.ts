import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import { loadFactoryIdentity, type IdentityCheck } from './load-factory-identity.js';

/**
 * Loads and checks the factory identity at start. A missing or inconsistent
 * identity does not stop the agent (the camera must still answer its
 * button, LED and local tools), but every feature that talks to the cloud
 * asks `usable()` first and refuses with the identity's own error code.
 */
export class IdentityService implements Service {
  readonly name = 'identity';
  #check: IdentityCheck | null = null;

  constructor(private readonly deps: { dir: string; clock: Clock; logger: Logger }) {}

  async start(): Promise<void> {
    this.#check = await loadFactoryIdentity(this.deps.dir, { clock: this.deps.clock });
    if (this.#check.ok) {
      const { identity } = this.#check.loaded;
      this.deps.logger.info({ deviceId: identity.deviceId, model: identity.model, certificateSerial: identity.certificateSerial }, 'factory identity loaded');
    } else {
      const { code, message } = this.#check.error;
      this.deps.logger.error({ code, dir: this.deps.dir }, `factory identity unusable, cloud features disabled: ${message}`);
    }
  }

  async stop(): Promise<void> {}

  /** The check result; null before start(). */
  get check(): IdentityCheck | null {
    return this.#check;
  }

  /** The device id, or null while the identity is unusable. */
  get deviceId(): string | null {
    return this.#check?.ok ? this.#check.loaded.identity.deviceId : null;
  }
}
