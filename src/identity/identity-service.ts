import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import { loadFactoryIdentity, type IdentityCheck } from './load-factory-identity.js';

/** How often a not-yet-valid certificate is checked again: NTP steps the clock once, at an unknown moment. */
export const IDENTITY_RECHECK_MS = 10_000;

export interface IdentityServiceDeps {
  dir: string;
  clock: Clock;
  logger: Logger;
  /**
   * The identity was unusable at start only because the clock was behind the
   * certificate's notBefore (no RTC, before NTP) and is valid now. Every
   * service that needs it decided at its own start to stay off, so the agent
   * restarts (agent.ts); called at most once.
   */
  onValid?: () => void;
  recheckMs?: number;
}

/**
 * Loads and checks the factory identity at start. A missing or inconsistent
 * identity does not stop the agent (the camera must still answer its
 * button, LED and local tools), but every feature that talks to the cloud
 * asks `usable()` first and refuses with the identity's own error code.
 *
 * certificate_not_yet_valid is the one failure that heals by itself (a
 * camera without RTC boots with its clock in the past): it is checked again
 * every `recheckMs` until the clock has been set, then `onValid` fires.
 */
export class IdentityService implements Service {
  readonly name = 'identity';
  #check: IdentityCheck | null = null;
  #recheck: Timer | null = null;
  #checking = false;

  constructor(private readonly deps: IdentityServiceDeps) {}

  async start(): Promise<void> {
    this.#check = await loadFactoryIdentity(this.deps.dir, { clock: this.deps.clock });
    if (this.#check.ok) {
      const { identity } = this.#check.loaded;
      this.deps.logger.info({ deviceId: identity.deviceId, model: identity.model, certificateSerial: identity.certificateSerial }, 'factory identity loaded');
      return;
    }
    this.#logUnusable(this.#check.error);
    if (this.#check.error.code === 'certificate_not_yet_valid') {
      this.#recheck = this.deps.clock.setInterval(() => void this.#checkAgain(), this.deps.recheckMs ?? IDENTITY_RECHECK_MS);
    }
  }

  async stop(): Promise<void> {
    this.#recheck?.cancel();
    this.#recheck = null;
  }

  /** The check result; null before start(). */
  get check(): IdentityCheck | null {
    return this.#check;
  }

  /** The device id, or null while the identity is unusable. */
  get deviceId(): string | null {
    return this.#check?.ok ? this.#check.loaded.identity.deviceId : null;
  }

  #logUnusable({ code, message }: { code: string; message: string }): void {
    this.deps.logger.error({ code, dir: this.deps.dir }, `factory identity unusable, cloud features disabled: ${message}`);
  }

  async #checkAgain(): Promise<void> {
    if (this.#checking || !this.#recheck) return;
    this.#checking = true;
    try {
      const check = await loadFactoryIdentity(this.deps.dir, { clock: this.deps.clock });
      if (!this.#recheck) return; // stopped meanwhile
      if (!check.ok && check.error.code === 'certificate_not_yet_valid') return;
      this.#recheck.cancel();
      this.#recheck = null;
      this.#check = check;
      if (check.ok) {
        this.deps.logger.info({ deviceId: check.loaded.identity.deviceId }, 'factory identity valid now: the clock has been set');
        this.deps.onValid?.();
      } else {
        this.#logUnusable(check.error);
      }
    } finally {
      this.#checking = false;
    }
  }
}
