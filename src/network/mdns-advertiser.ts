/**
 * LAN discovery (provisioning.md §5.3, §6.6): once the camera has joined a
 * network, it advertises `_<serviceType>._tcp` with its local API port, an
 * instance name like "ACME CAM100 7890" and a small TXT record, so the app
 * on the same LAN can find it, match it to the label and bind it.
 *
 * - Only on the interface the camera joined, with only that interface's
 *   addresses (never the soft-AP's); re-published when the address changes
 *   (setInterface(), refresh(), or the address poll).
 * - update() changes the TXT record (unbound → bound, new firmware) without
 *   the camera disappearing from browsers (mdns-responder.ts retireTxt()).
 * - Renamed on a conflict: bonjour-service only stops the service, so we
 *   probe "Name (2)", "Name (3)" … up to maxNameAttempts, then wait
 *   retryAfterMs and start over.
 * - Withdrawn on stop() with goodbye packets (TTL 0).
 * - Never throws into the agent: every failure is logged and turns into a
 *   state with a reason code in status().
 *
 * Names and TXT are pure (mdns-names.ts, mdns-txt.ts), the interface choice
 * too (mdns-interface.ts); bonjour-service lives in mdns-responder.ts.
 * Every change runs through one queue, so a conflict answer, an update and
 * stop() never interleave.
 */
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import type { Clock, Timer } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import { lanBinding, sameBinding, type InterfaceTable, type LanBinding } from './mdns-interface.js';
import { baseInstanceName, hostLabel, instanceName, parseServiceType } from './mdns-names.js';
import { bonjourResponder, type Advertisement, type MdnsResponder, type Publication, type PublicationOutcome } from './mdns-responder.js';
import { cameraTxt, deviceKeyTag, type CameraFacts, type TxtRecord } from './mdns-txt.js';

export interface AdvertisedFacts extends CameraFacts {
  /** Put in front of the model in the instance name; '' for none. */
  brand: string;
}

export interface MdnsAdvertiserDeps {
  logger: Logger;
  clock: Clock;
  /** network.mdns.serviceType, e.g. `camera-agent` → `_camera-agent._tcp`. */
  serviceType: string;
  /** The local API's port: the SRV record's port. */
  port: number;
  facts: AdvertisedFacts;
  /** The interface the camera joined, by name (`wlan0`) or IPv4 address; null while on no LAN (provisioning, soft-AP only). */
  interface: string | null;
  /** bonjour-service by default; tests may hand in a simulated responder. */
  responder?: MdnsResponder;
  /** os.networkInterfaces by default. */
  networkInterfaces?: () => InterfaceTable;
  /** Re-read the interface's addresses this often (DHCP renewal, roaming); 0: only on refresh(). */
  addressPollMs?: number;
  /** Names probed per round: "Name", "Name (2)" … "Name (N)". */
  maxNameAttempts?: number;
  /** After a round of conflicts or a failed socket, start over this much later. */
  retryAfterMs?: number;
}

export const MDNS_DEFAULTS = { addressPollMs: 10_000, maxNameAttempts: 10, retryAfterMs: 5 * 60_000 } as const;

export type AdvertiserState =
  /** Not started, or stopped. */
  | 'stopped'
  /** Started, but nothing to advertise yet: see reason (no interface, no address…). */
  | 'waiting'
  /** Probing the name (about 1 s). */
  | 'probing'
  /** Announced; answering queries. */
  | 'up'
  /** All names were taken, or the socket failed: trying again after retryAfterMs. */
  | 'backing_off';

export type AdvertiserReason =
  | 'no_interface'
  | 'interface_not_found'
  | 'no_ipv4_address'
  | 'loopback_interface'
  | 'bad_service_type'
  | 'bad_port'
  | 'txt_invalid'
  | 'txt_too_large'
  | 'name_conflicts_exhausted'
  | 'socket_failed';

export interface AdvertiserStatus {
  state: AdvertiserState;
  /** The name being probed or advertised. */
  name: string | null;
  interfaceName: string | null;
  addresses: string[];
  txt: TxtRecord | null;
  /** Why the camera is not advertised (waiting, backing_off, stopped after a bad setting). */
  reason: AdvertiserReason | null;
}

interface Wanted {
  base: string;
  binding: LanBinding;
  /** Everything but the name, which depends on the attempt. */
  ad: Omit<Advertisement, 'name'>;
}

interface Current extends Wanted {
  pub: Publication;
  name: string;
  up: boolean;
}

const STOPPED: AdvertiserStatus = { state: 'stopped', name: null, interfaceName: null, addresses: [], txt: null, reason: null };

export class MdnsAdvertiser implements Service {
  readonly name = 'mdns';
  readonly #events = new EventEmitter();
  readonly #responder: MdnsResponder;
  readonly #table: () => InterfaceTable;
  readonly #maxAttempts: number;
  readonly #retryAfterMs: number;
  readonly #pollMs: number;
  #facts: AdvertisedFacts;
  #selector: string | null;
  #type: string | null = null;
  #started = false;
  #queue: Promise<void> = Promise.resolve();
  #current: Current | null = null;
  #attempt = 1;
  #holding = false;
  #holdReason: AdvertiserReason | null = null;
  #retryTimer: Timer | null = null;
  #pollTimer: Timer | null = null;
  #status: AdvertiserStatus = STOPPED;

  constructor(private readonly deps: MdnsAdvertiserDeps) {
    this.#facts = { ...deps.facts };
    this.#selector = deps.interface;
    this.#responder = deps.responder ?? bonjourResponder;
    this.#table = deps.networkInterfaces ?? networkInterfaces;
    this.#maxAttempts = Math.max(1, deps.maxNameAttempts ?? MDNS_DEFAULTS.maxNameAttempts);
    this.#retryAfterMs = deps.retryAfterMs ?? MDNS_DEFAULTS.retryAfterMs;
    this.#pollMs = deps.addressPollMs ?? MDNS_DEFAULTS.addressPollMs;
  }

  /** Every status change (tests and the local API watch this). */
  on(event: 'status', listener: (s: AdvertiserStatus) => void): () => void {
    this.#events.on(event, listener);
    return () => this.#events.off(event, listener);
  }

  status(): AdvertiserStatus {
    return { ...this.#status, addresses: [...this.#status.addresses] };
  }

  start(): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#started) return;
      const type = parseServiceType(this.deps.serviceType);
      if (!type.ok) {
        this.deps.logger.error({ code: type.code }, `mDNS advertising off: ${type.message}`);
        this.#setStatus({ ...STOPPED, reason: type.code });
        return;
      }
      this.#type = type.type;
      this.#started = true;
      if (this.#pollMs > 0) this.#pollTimer = this.deps.clock.setInterval(() => void this.refresh(), this.#pollMs);
      await this.#reconcile();
    });
  }

  /** Withdraws the advertisement (goodbye packets) and closes the socket. */
  stop(): Promise<void> {
    return this.#enqueue(async () => {
      this.#started = false;
      this.#pollTimer?.cancel();
      this.#pollTimer = null;
      this.#retryTimer?.cancel();
      this.#retryTimer = null;
      this.#holding = false;
      this.#attempt = 1;
      await this.#drop('all');
      this.#setStatus(STOPPED);
    });
  }

  /** New facts (bound/unbound, firmware…): the TXT record, or the name, follows. */
  update(facts: Partial<AdvertisedFacts>): Promise<void> {
    return this.#enqueue(async () => {
      this.#facts = { ...this.#facts, ...facts };
      await this.#reconcile();
    });
  }

  /** The camera joined (or left) a network: advertise on that interface (name or IPv4 address), or nowhere (null). */
  setInterface(selector: string | null): Promise<void> {
    return this.#enqueue(async () => {
      if (selector === this.#selector) return this.#reconcile();
      this.#selector = selector;
      // Another network: names taken on the old one may be free here.
      this.#retryTimer?.cancel();
      this.#retryTimer = null;
      this.#holding = false;
      await this.#reconcile();
    });
  }

  /** Re-read the interface's addresses and re-publish if they changed. */
  refresh(): Promise<void> {
    return this.#enqueue(() => this.#reconcile());
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(step).catch((err: unknown) => {
      this.deps.logger.error({ err }, 'mDNS advertiser step failed');
    });
    this.#queue = run;
    return run;
  }

  /** Bring what is on the wire in line with what should be. Runs inside the queue only. */
  async #reconcile(): Promise<void> {
    if (!this.#started) return;
    const want = this.#wanted();
    const cur = this.#current;
    if ('reason' in want) {
      await this.#drop('all');
      if (this.#status.state !== 'waiting' || this.#status.reason !== want.reason) {
        const level = want.reason === 'txt_invalid' || want.reason === 'txt_too_large' || want.reason === 'bad_port' ? 'error' : 'info';
        this.deps.logger[level]({ code: want.reason }, `mDNS: not advertising (${want.message})`);
      }
      this.#setStatus({ ...STOPPED, state: 'waiting', reason: want.reason });
      return;
    }
    if (cur) {
      const sameName = cur.base === want.base;
      const sameRecords = sameBinding(cur.binding, want.binding) && cur.ad.port === want.ad.port && cur.ad.type === want.ad.type && cur.ad.host === want.ad.host;
      const sameTxt = sameTxtRecord(cur.ad.txt, want.ad.txt);
      if (sameName && sameRecords && sameTxt) return;
      if (!sameName) this.#attempt = 1;
      // Only a TXT change keeps PTR/SRV/A in browsers' caches.
      await this.#drop(sameName && sameRecords && cur.up ? 'txt' : 'all');
      if (!sameBinding(cur.binding, want.binding)) this.deps.logger.info({ interface: want.binding.interfaceName, address: want.binding.addresses[0] }, 'mDNS: address changed, advertising again');
    }
    if (this.#holding) {
      this.#setStatus({ ...this.#statusOf(want, null), state: 'backing_off', reason: this.#holdReason });
      return;
    }
    this.#publish(want);
  }

  #wanted(): Wanted | { reason: AdvertiserReason; message: string } {
    if (this.#selector === null) return { reason: 'no_interface', message: 'the camera has joined no network' };
    if (!Number.isInteger(this.deps.port) || this.deps.port < 1 || this.deps.port > 65535) {
      return { reason: 'bad_port', message: `port ${this.deps.port} is not 1-65535` };
    }
    const binding = lanBinding(this.#table(), this.#selector);
    if (!binding.ok) return { reason: binding.code, message: binding.message };
    const txt = cameraTxt(this.#facts);
    if (!txt.ok) return { reason: txt.code, message: txt.message };
    const f = this.#facts;
    const host = `${hostLabel({ model: f.model, serial: f.serial, keyTag: deviceKeyTag(f.publicKeyFingerprint) })}.local`;
    return {
      base: baseInstanceName(f),
      binding: binding.binding,
      ad: { type: this.#type!, port: this.deps.port, host, txt: txt.txt, addresses: binding.binding.addresses },
    };
  }

  #publish(want: Wanted): void {
    const name = instanceName(want.base, this.#attempt);
    const pub = this.#responder.publish({ ...want.ad, name }, (err) => {
      this.deps.logger.warn({ err }, 'mDNS socket error');
    });
    this.#current = { ...want, pub, name, up: false };
    this.#setStatus({ ...this.#statusOf(want, name), state: 'probing', reason: null });
    void pub.outcome.then((outcome) => this.#enqueue(() => this.#settled(pub, outcome)));
  }

  async #settled(pub: Publication, outcome: PublicationOutcome): Promise<void> {
    const cur = this.#current;
    if (!cur || cur.pub !== pub) return; // superseded or stopped meanwhile
    const { logger } = this.deps;
    switch (outcome.kind) {
      case 'withdrawn':
        return;
      case 'up':
        cur.up = true;
        this.#setStatus({ ...this.#statusOf(cur, cur.name), state: 'up', reason: null });
        logger.info(
          { name: cur.name, type: `_${cur.ad.type}._tcp`, port: cur.ad.port, interface: cur.binding.interfaceName, address: cur.binding.addresses[0] },
          'advertised on the LAN by mDNS',
        );
        return;
      case 'conflict': {
        await this.#drop('all');
        if (this.#attempt >= this.#maxAttempts) {
          logger.error({ name: cur.name, attempts: this.#maxAttempts }, `mDNS: every name up to "${cur.name}" is in use on the network; trying again in ${Math.round(this.#retryAfterMs / 1000)} s`);
          this.#attempt = 1;
          this.#backOff(cur, 'name_conflicts_exhausted');
          return;
        }
        this.#attempt += 1;
        logger.warn({ name: cur.name, next: instanceName(cur.base, this.#attempt) }, 'mDNS: name already in use on the network; renaming');
        await this.#reconcile();
        return;
      }
      case 'failed':
        await this.#drop('all');
        logger.error({ err: outcome.error }, `mDNS: socket failed; trying again in ${Math.round(this.#retryAfterMs / 1000)} s`);
        this.#backOff(cur, 'socket_failed');
        return;
    }
  }

  #backOff(wanted: Wanted, reason: AdvertiserReason): void {
    this.#holding = true;
    this.#holdReason = reason;
    this.#setStatus({ ...this.#statusOf(wanted, null), state: 'backing_off', reason });
    this.#retryTimer?.cancel();
    this.#retryTimer = this.deps.clock.setTimeout(() => {
      this.#retryTimer = null;
      void this.#enqueue(async () => {
        this.#holding = false;
        await this.#reconcile();
      });
    }, this.#retryAfterMs);
  }

  /** Close the current publication: goodbye for everything, or for the TXT record only. */
  async #drop(mode: 'all' | 'txt'): Promise<void> {
    const cur = this.#current;
    if (!cur) return;
    this.#current = null;
    await (mode === 'txt' ? cur.pub.retireTxt() : cur.pub.withdraw());
  }

  #statusOf(w: Wanted, name: string | null): Omit<AdvertiserStatus, 'state' | 'reason'> {
    return { name, interfaceName: w.binding.interfaceName, addresses: [...w.binding.addresses], txt: w.ad.txt };
  }

  #setStatus(s: AdvertiserStatus): void {
    if (JSON.stringify(s) === JSON.stringify(this.#status)) return; // the poll re-confirms; listeners hear changes only
    this.#status = s;
    this.#events.emit('status', this.status());
  }
}

function sameTxtRecord(a: TxtRecord, b: TxtRecord): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
