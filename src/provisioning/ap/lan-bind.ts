/**
 * LAN bind (provisioning.md §6.6): a camera that is online but not bound
 * (a foreign WIFI: code, the browser portal, Ethernet) serves the same
 * protected `/prov/v1` session on the home network, found by mDNS; the app
 * proves the label's setup code and sends `/bind` with its token. Only
 * `info`, the session, `bind`, `status` and `finish` do anything here: Wi-Fi
 * is already set, so `wifi/*` and `apply` are refused.
 *
 * Requests whose Host is not an IP address or a `.local` name are refused:
 * otherwise a web page could reach the camera through DNS rebinding and
 * spend the owner's setup-code attempts.
 */
import { SerialQueue } from '../../core/serial-queue.js';
import { isIP } from 'node:net';
import type { EventBus } from '../../core/bus.js';
import type { DeviceSnapshot } from '../../core/device-state.js';
import type { Service } from '../../core/service.js';
import type { Logger } from '../../log/logger.js';
import type { ProvisioningService } from '../provisioning-service.js';
import type { BindOutcome } from '../account-binding.js';
import { ProvActionError, type ProvFailureReason, type ProvisioningActions, type ProvStatus } from './prov-actions.js';
import { startProvisioningServer, type ProvisioningServer } from './prov-api.js';
import type { ProvisioningSessions } from './prov-session.js';

export interface LanBindDeps {
  config: () => { enabled: boolean; host: string | null; port: number };
  logger: Logger;
  bus: EventBus;
  lifecycle: { readonly snapshot: DeviceSnapshot };
  sessions: () => Promise<ProvisioningSessions | null>;
  provisioning: ProvisioningService;
  info: () => { model: string; sn4: string; fw: string };
}

/** Host header → whether it names this camera directly (IP literal or mDNS name), with an optional port. */
export function isDirectHost(host: string | undefined): boolean {
  if (!host) return false;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(host);
  if (bracketed) return isIP(bracketed[1]!) === 6;
  const name = host.replace(/:\d{1,5}$/, '');
  return isIP(name) === 4 || /^[A-Za-z0-9-]{1,63}\.local\.?$/i.test(name);
}

export class LanBind implements Service {
  readonly name = 'lan-bind';
  #server: ProvisioningServer | null = null;
  #off: Array<() => void> = [];
  #last: BindOutcome | null = null;
  #binding = false;
  #queue = new SerialQueue();

  constructor(private readonly deps: LanBindDeps) {}

  get url(): string | null {
    return this.#server?.url ?? null;
  }

  async start(): Promise<void> {
    this.#off.push(this.deps.bus.on('state.changed', () => void this.#serial(() => this.#follow())));
    await this.#serial(() => this.#follow());
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
    await this.#serial(() => this.#close());
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    return this.#queue.run(op);
  }

  /** Open while online and unbound; closed otherwise. */
  async #follow(): Promise<void> {
    const snap = this.deps.lifecycle.snapshot;
    const wanted = this.deps.config().enabled && snap.state === 'online' && !snap.bound;
    if (wanted && !this.#server) await this.#open();
    else if (!wanted && this.#server && !this.#binding) await this.#close();
  }

  async #open(): Promise<void> {
    const cfg = this.deps.config();
    const sessions = await this.deps.sessions();
    if (!sessions || !cfg.host) {
      this.deps.logger.info({ reason: sessions ? 'no LAN address' : 'no factory identity' }, 'LAN bind not offered');
      return;
    }
    try {
      this.#server = await startProvisioningServer({ host: cfg.host, port: cfg.port, sessions, actions: this.#actions(), logger: this.deps.logger, hostAllowed: isDirectHost });
      this.deps.logger.info({ url: this.#server.url }, 'LAN bind open: the camera is online and unbound');
    } catch (err) {
      this.deps.logger.warn({ err }, 'LAN bind server did not start');
    }
  }

  async #close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    await server.close().catch(() => undefined);
    (await this.deps.sessions())?.closeAll();
    this.deps.logger.info('LAN bind closed');
  }

  #actions(): ProvisioningActions {
    const notHere = (): never => {
      throw new ProvActionError('not_on_lan', 'the camera is already on a network; only /bind is offered here', 409);
    };
    return {
      info: () => ({ ...this.deps.info(), state: this.deps.lifecycle.snapshot.bound ? 'bound' : 'online_unbound', lastError: this.deps.provisioning.status().lastError?.code ?? null }),
      scan: async () => ({ ageS: 0, aps: [] }),
      setWifi: () => notHere(),
      apply: async () => notHere(),
      setBinding: (req) => {
        if (this.#binding) throw new ProvActionError('busy', 'a binding is already running', 409);
        this.#binding = true;
        this.#last = null;
        void this.deps.provisioning
          .bindNow({ token: req.token, region: req.region }, req.timeZone ?? null)
          .then((r) => {
            this.#last = r ?? { ok: false, code: 'unreachable', message: 'the camera cannot bind now' };
          })
          .finally(() => {
            this.#binding = false;
            void this.#serial(() => this.#follow());
          });
      },
      status: (): ProvStatus => {
        const snap = this.deps.lifecycle.snapshot;
        const last = this.#last;
        const state: ProvStatus['state'] = snap.bound ? 'bound' : this.#binding ? 'binding' : last && !last.ok ? 'failed' : 'online';
        const reason = last && !last.ok ? ((last.code === 'unreachable' ? 'cloud_unreachable' : last.code) as ProvFailureReason) : null;
        return { state, reason: state === 'failed' ? reason : null, ip: null, attempt: 0 };
      },
      reset: () => {
        this.#last = null;
      },
      finish: async () => undefined,
    };
  }
}
