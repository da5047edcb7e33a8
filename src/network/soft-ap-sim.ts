/**
 * A simulated soft-AP for the demo and for tests of the modules around it
 * (session policy, provisioning API, captive portal): it keeps state only,
 * checks the config exactly like the real backends, and lets the caller
 * play the radio — phones joining and leaving, a start that fails, a crash.
 */
import { softApConfigProblems, SoftApEvents, type SoftAp, type SoftApConfig, type SoftApDownReason, type SoftApEvent, type SoftApFailure, type SoftApStartResult, type SoftApState } from './soft-ap.js';

export class SimSoftAp implements SoftAp {
  readonly backend = 'sim' as const;
  readonly #events = new SoftApEvents();
  #state: SoftApState = 'stopped';
  #clients = 0;
  #config: SoftApConfig | null = null;
  #failNext: Array<{ reason: SoftApFailure; message: string }> = [];
  /** Every start() (and whether it failed) and stop() in order, for assertions. */
  readonly history: Array<'start' | 'stop' | 'start-failed'> = [];

  state(): SoftApState {
    return this.#state;
  }

  clients(): number {
    return this.#clients;
  }

  /** The config of the running AP (a copy), or null. */
  config(): SoftApConfig | null {
    return this.#config ? { ...this.#config, network: { ...this.#config.network } } : null;
  }

  onEvent(listener: (event: SoftApEvent) => void): () => void {
    return this.#events.on(listener);
  }

  async start(config: SoftApConfig): Promise<SoftApStartResult> {
    const problems = softApConfigProblems(config);
    if (problems.length > 0) {
      this.history.push('start-failed');
      return { ok: false, reason: 'invalid_config', message: problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
    }
    if (this.#state === 'running') await this.stop();
    const failure = this.#failNext.shift();
    if (failure) {
      this.history.push('start-failed');
      this.#state = 'stopped';
      return { ok: false, ...failure };
    }
    this.#config = { ...config, network: { ...config.network } };
    this.#clients = 0;
    this.#state = 'running';
    this.history.push('start');
    return { ok: true };
  }

  async stop(): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'failed') return;
    this.history.push('stop');
    this.#reset('stopped');
  }

  /** Phones on the AP now; emits a 'clients' event when the number changes. Ignored while the AP is not running. */
  setClients(count: number): void {
    if (this.#state !== 'running' || count === this.#clients) return;
    this.#clients = Math.max(0, Math.min(count, this.#config?.maxClients ?? count));
    this.#events.emit({ type: 'clients', count: this.#clients });
  }

  /** The next start() fails with this reason (queue several for several starts). */
  failNextStart(reason: SoftApFailure, message = 'simulated failure'): void {
    this.#failNext.push({ reason, message });
  }

  /** The AP dies on its own, as hostapd exiting would. */
  crash(reason: SoftApDownReason = 'hostapd_exited', message = 'simulated crash'): void {
    if (this.#state !== 'running') return;
    const hadClients = this.#clients > 0;
    this.#reset('failed');
    if (hadClients) this.#events.emit({ type: 'clients', count: 0 });
    this.#events.emit({ type: 'down', reason, message });
  }

  #reset(state: SoftApState): void {
    this.#state = state;
    this.#clients = 0;
    this.#config = null;
  }
}
