/**
 * The one way in to bonjour-service (npm 1.4.4, read in
 * node_modules/bonjour-service/dist/lib): one Publication is one Bonjour
 * instance (one mDNS socket) carrying one service. The advertiser decides
 * names and when to publish; this file only adapts the library, around
 * these behaviours of it:
 *
 * - Socket: `new Bonjour({ interface })` (provisioning.md §5.2) also binds
 *   the socket to that unicast address (multicast-dns: `bind(port,
 *   opts.bind || opts.interface)`), and a socket bound to a unicast address
 *   never receives multicast: the camera then neither answers queries nor
 *   hears a conflicting probe answer (seen with avahi in a test namespace).
 *   So: `interface` (multicast membership and IP_MULTICAST_IF) plus
 *   `bind: '0.0.0.0'`.
 * - Addresses: records() adds A/AAAA for every non-internal address of
 *   every interface (the soft-AP's too) at announce time and again at
 *   goodbye time. We replace them with A records for the chosen addresses.
 * - Cache flush: bonjour-service never sets the cache-flush bit. We set it
 *   on the records only this camera owns (SRV, TXT, A; RFC 6762 §10.2), so
 *   after a new address or TXT, peers drop the old ones within 1 s even when
 *   the goodbye could not be sent (the old address was already gone).
 * - Conflicts: when a probe is answered, registry.js calls service.stop(),
 *   which sends TTL-0 records for a name someone else owns (including a PTR
 *   identical to theirs), then console.log()s an Error and emits nothing.
 *   We wrap service.stop (only that code path calls it; our own teardown
 *   calls the original) to learn about it, send no goodbye for records we
 *   never announced, and keep the Error's stack out of the JSON log on
 *   stdout.
 * - Errors: the errorCallback only covers failed query answers. A failed
 *   bind (EADDRINUSE on 5353 from a responder without SO_REUSEADDR) is
 *   emitted as 'error' on the multicast-dns emitter, which has no listener
 *   and would crash the process; we listen. After such an error the
 *   library still emits 'up' (its send callbacks ignore errors), so
 *   'failed' wins over a later 'up'.
 */
import type { EventEmitter } from 'node:events';
import Bonjour, { type Service, type ServiceConfig } from 'bonjour-service';
import type { TxtRecord } from './mdns-txt.js';

/** What to put on the wire; every field already checked (mdns-names.ts, mdns-txt.ts). */
export interface Advertisement {
  /** Instance name, at most 63 bytes, no '.'. */
  name: string;
  /** Service type without '_' and protocol: `camera-agent` → `_camera-agent._tcp`. */
  type: string;
  port: number;
  /** SRV target, e.g. `cam100-7z3k9qx2.local`. */
  host: string;
  txt: TxtRecord;
  /** The only A records; [0] is the interface the socket joins the group on and sends from. */
  addresses: string[];
}

export type PublicationOutcome =
  /** Probing found nobody else with the name, and the first announcement went out. */
  | { kind: 'up' }
  /** Another host answered the probe: the name is taken, nothing was announced. */
  | { kind: 'conflict' }
  /** The socket failed (bind error); nothing reliable went out. */
  | { kind: 'failed'; error: Error }
  /** withdraw() or retireTxt() was called first. */
  | { kind: 'withdrawn' };

export interface Publication {
  /** Settles once, with whatever happened first. */
  readonly outcome: Promise<PublicationOutcome>;
  /** Goodbye (TTL 0) for everything that was announced, then close the socket. Idempotent. */
  withdraw(): Promise<void>;
  /**
   * Goodbye for the TXT record only, then close the socket: for a TXT
   * change, when the same name is published again at once (RFC 6762 §8.4).
   * Browsers keep the PTR/SRV/A records and never see the camera go away;
   * a goodbye for the PTR would make them drop it 1 s later (RFC 6762
   * §10.1), before the successor has finished probing.
   */
  retireTxt(): Promise<void>;
}

export interface MdnsResponder {
  /** Starts probing at once; errors go to onError and never throw. */
  publish(ad: Advertisement, onError: (err: Error) => void): Publication;
}

export const bonjourResponder: MdnsResponder = {
  publish: (ad, onError) => new BonjourPublication(ad, onError),
};

/** bonjour-service's record shape (not exported by its index), plus dns-packet's cache-flush flag. */
type ServiceRecord = ReturnType<Service['records']>[number] & { flush?: boolean };

const CONFLICT_MESSAGE = 'Service name is already in use on the network';
/** Longest wait for a goodbye to be sent before the socket is closed anyway. */
const GOODBYE_TIMEOUT_MS = 1000;
const A_TTL_S = 120;

type Teardown = 'all' | 'txt' | 'silent';

class BonjourPublication implements Publication {
  readonly outcome: Promise<PublicationOutcome>;
  readonly #bonjour: Bonjour;
  readonly #stop: (callback: () => void) => void;
  #settle: (o: PublicationOutcome) => void = () => undefined;
  #announced = false;
  #teardown: Teardown | null = null;
  #closing: Promise<void> | null = null;

  constructor(ad: Advertisement, onError: (err: Error) => void) {
    this.outcome = new Promise((resolve) => {
      let settled = false;
      this.#settle = (o) => {
        if (settled) return;
        settled = true;
        resolve(o);
      };
    });
    // `interface`/`bind` are multicast-dns options; bonjour-service passes them
    // through but types its constructor options as Partial<ServiceConfig>.
    const socket = { interface: ad.addresses[0], bind: '0.0.0.0' } as unknown as Partial<ServiceConfig>;
    this.#bonjour = new Bonjour(socket, (err: unknown) => onError(asError(err)));
    const mdns = (this.#bonjour as unknown as { server: { mdns: EventEmitter } }).server.mdns;
    mdns.on('error', (err: unknown) => {
      this.#settle({ kind: 'failed', error: asError(err) });
      onError(asError(err));
    });

    let service: Service;
    try {
      service = this.#bonjour.publish({ name: ad.name, type: ad.type, port: ad.port, host: ad.host, txt: { ...ad.txt }, probe: true, disableIPv6: true });
    } catch (err) {
      this.#bonjour.destroy(); // it throws on a missing name/type/port: do not leak the socket
      throw err;
    }
    // Safe to patch now: with probe: true, nothing is announced before a
    // setTimeout (registry.js probe()), so records() has not run yet.
    const libraryRecords = service.records.bind(service);
    const lanRecords = (): ServiceRecord[] =>
      [
        ...libraryRecords().filter((r) => r.type !== 'A' && r.type !== 'AAAA'),
        ...ad.addresses.map((address): ServiceRecord => ({ name: service.host, type: 'A', ttl: A_TTL_S, data: address })),
      ].map((r) => (r.type === 'PTR' ? r : { ...r, flush: true }));
    service.records = () => {
      if (this.#teardown === null) {
        this.#announced = true;
        return lanRecords();
      }
      if (!this.#announced || this.#teardown === 'silent') return [];
      return this.#teardown === 'txt' ? lanRecords().filter((r) => r.type === 'TXT') : lanRecords();
    };

    const libraryStop = service.stop as (callback?: () => void) => void;
    this.#stop = (callback) => libraryStop(callback);
    service.stop = (callback?: () => void) => {
      this.#teardown = 'silent';
      this.#settle({ kind: 'conflict' });
      muteNextConflictLog();
      return libraryStop(callback);
    };
    service.once('up', () => this.#settle({ kind: 'up' }));
  }

  withdraw(): Promise<void> {
    return this.#close('all');
  }

  retireTxt(): Promise<void> {
    return this.#close('txt');
  }

  #close(mode: Teardown): Promise<void> {
    this.#closing ??= (async () => {
      this.#teardown ??= mode;
      this.#settle({ kind: 'withdrawn' });
      await withTimeout(new Promise<void>((resolve) => this.#stop(() => resolve())), GOODBYE_TIMEOUT_MS);
      await new Promise<void>((resolve) => {
        try {
          this.#bonjour.destroy(() => resolve());
        } catch {
          resolve(); // the socket was never bound, or is closed already
        }
      });
    })();
    return this.#closing;
  }
}

/**
 * registry.js logs a conflict with console.log(new Error(…)) right after
 * calling service.stop(); the agent's stdout is JSON lines for journald.
 * Swallow exactly that one call, and restore console.log before anything
 * else runs.
 */
function muteNextConflictLog(): void {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    if (args.length === 1 && args[0] instanceof Error && args[0].message === CONFLICT_MESSAGE) return;
    log(...args);
  };
  queueMicrotask(() => {
    console.log = log;
  });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
