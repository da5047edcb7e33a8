import { readFile } from 'node:fs/promises';
import type { EventBus } from '../core/bus.js';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Hal } from '../hal/types.js';
import type { Logger } from '../log/logger.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { dataLayout } from '../storage/data-layout.js';
import { initialSnapshot, transition, type DeviceEvent, type DeviceSnapshot } from '../core/device-state.js';

/** What survives a reboot: enough to know where the life cycle resumes. */
interface PersistedFacts {
  provisioned: boolean;
  bound: boolean;
}


/**
 * Owns the device state machine: restores it at boot, feeds it events from
 * the button, the shutter and other services, persists the facts that must
 * survive a reboot, and announces every change on the bus.
 */
export class DeviceLifecycle implements Service {
  readonly name = 'lifecycle';
  #snapshot: DeviceSnapshot = initialSnapshot({ provisioned: false, bound: false });
  #unsubscribe: Array<() => void> = [];

  constructor(
    private readonly deps: {
      bus: EventBus;
      hal: Hal;
      logger: Logger;
      clock: Clock;
      dataDir: string;
      /** Crypto-erase personal data; the identity store owns how. */
      erasePersonalData: () => Promise<void>;
    },
  ) {}

  get snapshot(): DeviceSnapshot {
    return this.#snapshot;
  }

  async start(): Promise<void> {
    const facts = await this.#readFacts();
    this.#snapshot = initialSnapshot(facts);
    this.deps.logger.info({ state: this.#snapshot.state, bound: this.#snapshot.bound }, 'device state restored');
    this.deps.bus.emit('state.changed', { from: this.#snapshot.state, to: this.#snapshot.state, reason: 'boot', at: this.deps.clock.now() });

    this.#unsubscribe.push(
      this.deps.hal.button.onGesture((gesture, heldMs) => {
        this.deps.bus.emit('button.gesture', { gesture, heldMs });
        if (gesture === 'reset-provisioning') void this.dispatch({ type: 'provisioning-started', reason: 'button' });
        if (gesture === 'factory-reset') void this.#factoryReset();
      }),
      this.deps.hal.shutter.onChange((closed) => void this.dispatch({ type: closed ? 'privacy-on' : 'privacy-off' })),
    );
    if (await this.deps.hal.shutter.isClosed()) await this.dispatch({ type: 'privacy-on' });
    if (this.#snapshot.underlying === 'factory-new') await this.dispatch({ type: 'provisioning-started', reason: 'first-boot' });
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** Apply an event; refused transitions are logged and change nothing. */
  async dispatch(event: DeviceEvent): Promise<boolean> {
    const result = transition(this.#snapshot, event);
    if (!result.ok) {
      this.deps.logger.warn({ code: result.code, event: event.type }, result.message);
      return false;
    }
    const from = this.#snapshot;
    this.#snapshot = result.next;
    if (from.bound !== result.next.bound || provisioned(from) !== provisioned(result.next)) {
      await this.#writeFacts({ provisioned: provisioned(result.next), bound: result.next.bound });
    }
    // Re-entering provisioning (button, cloud) restarts the provisioning
    // window, which the person holding the button must see and hear.
    if (from.state !== result.next.state || event.type === 'provisioning-started') {
      this.deps.logger.info({ from: from.state, to: result.next.state, reason: result.reason }, 'device state changed');
      this.deps.bus.emit('state.changed', { from: from.state, to: result.next.state, reason: result.reason, at: this.deps.clock.now() });
    }
    return true;
  }

  /** A factory reset the local API confirmed (admin token + a press of the button). */
  factoryReset(): Promise<void> {
    return this.#factoryReset();
  }

  async #factoryReset(): Promise<void> {
    try {
      await this.deps.erasePersonalData();
    } catch (err) {
      // Still return to first boot: a camera that cannot be reset is worse.
      this.deps.logger.error({ err }, 'erasing personal data failed during factory reset');
    }
    await this.dispatch({ type: 'factory-reset' });
    await this.dispatch({ type: 'provisioning-started', reason: 'first-boot' });
  }

  get #factsPath(): string {
    return dataLayout(this.deps.dataDir).deviceState;
  }

  async #readFacts(): Promise<PersistedFacts> {
    let text: string;
    try {
      text = await readFile(this.#factsPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.deps.logger.warn({ err }, 'device state unreadable, starting as new');
      return { provisioned: false, bound: false };
    }
    try {
      const v = JSON.parse(text) as Partial<PersistedFacts>;
      if (typeof v.provisioned === 'boolean' && typeof v.bound === 'boolean') return { provisioned: v.provisioned, bound: v.bound };
    } catch {
      // fall through to the warning below
    }
    this.deps.logger.warn({ file: this.#factsPath }, 'device state file is corrupt, starting as new');
    return { provisioned: false, bound: false };
  }

  async #writeFacts(facts: PersistedFacts): Promise<void> {
    await writeFileAtomic(this.#factsPath, `${JSON.stringify(facts)}\n`);
  }
}

function provisioned(s: DeviceSnapshot): boolean {
  return s.underlying !== 'factory-new' && s.underlying !== 'provisioning';
}
