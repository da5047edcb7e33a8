/**
 * The soft-AP as a NetworkManager shared hotspot (provisioning.md §3.1,
 * balena wifi-connect's way, §2.3): for cameras where NetworkManager must
 * keep the radio. NM runs wpa_supplicant in AP mode and its own dnsmasq
 * (DHCP, DNS, NAT) for `ipv4.method shared`.
 *
 * start():
 *  1. delete any `camera-agent-ap` profile a crash left behind;
 *  2. render nm-dnsmasq-shared.conf.tmpl into NM's dnsmasq-shared.d as
 *     camera-agent-ap.conf (captive DNS in portal mode; NM's dnsmasq reads
 *     that directory at each shared activation);
 *  3. `iw reg set <CC>` when a country code is set (NM has no per-profile
 *     regulatory domain);
 *  4. `nmcli connection add type wifi ifname <if> con-name camera-agent-ap
 *     connection.autoconnect no ssid <ssid> 802-11-wireless.mode ap
 *     802-11-wireless.band bg 802-11-wireless.channel <ch>
 *     802-11-wireless.ap-isolation yes wifi-sec.key-mgmt wpa-psk
 *     wifi-sec.proto rsn wifi-sec.pairwise ccmp wifi-sec.group ccmp
 *     wifi-sec.psk-flags 2 ipv4.method shared ipv4.addresses 192.168.4.1/24
 *     ipv6.method disabled` — no secret on argv; psk-flags 2 (not saved):
 *     the passphrase never reaches /etc/NetworkManager/system-connections;
 *  5. `nmcli --wait 30 connection up uuid <uuid> passwd-file <file>`, the
 *     file 0600 in a fresh 0700 directory, deleted as soon as nmcli exits.
 * While it runs, every pollIntervalMs: `nmcli -t -f GENERAL.STATE,GENERAL.CON-UUID
 * device show <if>` (our profile still active?) and `iw dev <if> station dump`
 * (client count). stop(): `nmcli connection down uuid <uuid>`,
 * `nmcli connection delete uuid <uuid>`, the drop-in removed.
 *
 * Differences from the hostapd backend: NM has no client limit
 * (max_num_sta) — the provisioning session must admit one phone at a time —
 * and chooses the DHCP range itself (`ipv4.shared-dhcp-range` does not exist
 * in nmcli 1.42.4, checked in Debian 12's network-manager package).
 *
 * Needs polkit: org.freedesktop.NetworkManager.settings.modify.system,
 * network-control, wifi.share.protected; write access to dnsmasq-shared.d;
 * CAP_NET_ADMIN for `iw reg set` and `iw … station dump`.
 */
import { SerialQueue } from '../core/serial-queue.js';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock, type Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { NMCLI_EXIT, nmcliReason } from './nmcli-errors.js';
import { PROFILE_LIST_FIELDS, parseAddedUuid, parseDeviceShow, parseProfileList, passwdFileContent } from './nmcli-join.js';
import { softApConfigProblems, SoftApEvents, type SoftAp, type SoftApConfig, type SoftApEvent, type SoftApFailure, type SoftApStartResult, type SoftApState } from './soft-ap.js';
import { firstLine, runTool } from './soft-ap-process.js';
import { DEFAULT_TEMPLATES_DIR, TEMPLATE_FILES, TemplateError, nmDnsmasqValues, renderTemplate } from './soft-ap-template.js';
import { runNmcli, type NmcliResult } from './wifi-scan-nmcli.js';
import { isWifiScanError } from './wifi-scan.js';

/** The hotspot's profile; not an agent Wi-Fi profile (isAgentProfile), so WifiManager.forget() leaves it to us. */
export const AP_PROFILE = 'camera-agent-ap';
/** Where NetworkManager 1.42's dnsmasq for shared connections reads extra options (--conf-dir). */
export const NM_DNSMASQ_SHARED_DIR = '/etc/NetworkManager/dnsmasq-shared.d';
const DROP_IN = `${AP_PROFILE}.conf`;

export interface NmSoftApOptions {
  logger: Logger;
  clock?: Clock;
  /** Environment for nmcli and iw (PATH decides which run); default process.env. The locale is forced to C.UTF-8 for nmcli. */
  env?: NodeJS.ProcessEnv;
  templatesDir?: string;
  /** The passwd-file goes into a fresh 0700 directory here; default $RUNTIME_DIRECTORY, else the OS temp dir. */
  runtimeDir?: string;
  /** NetworkManager's dnsmasq-shared.d, writable by the agent; null: no drop-in, and captive DNS is refused as unsupported. */
  dnsmasqSharedDir?: string | null;
  /** `connection up --wait`; default 30 000 ms. */
  activationTimeoutMs?: number;
  /** Supervision and client count; default 5 000 ms. */
  pollIntervalMs?: number;
  toolTimeoutMs?: number;
}

class StartStop extends Error {
  constructor(
    readonly reason: SoftApFailure,
    message: string,
  ) {
    super(message);
  }
}

interface Active {
  ifname: string;
  uuid: string | null;
  dropIn: string | null;
  poll: Timer | null;
}

export class NmSoftAp implements SoftAp {
  readonly backend = 'networkmanager' as const;
  readonly #opts: NmSoftApOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #events = new SoftApEvents();
  #state: SoftApState = 'stopped';
  #active: Active | null = null;
  #clients = 0;
  #polling = false;
  #warnedNoCount = false;
  #queue = new SerialQueue();

  constructor(opts: NmSoftApOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#clock = opts.clock ?? systemClock;
  }

  state(): SoftApState {
    return this.#state;
  }

  clients(): number {
    return this.#clients;
  }

  onEvent(listener: (event: SoftApEvent) => void): () => void {
    return this.#events.on(listener);
  }

  start(config: SoftApConfig): Promise<SoftApStartResult> {
    return this.#serial(() => this.#start(config));
  }

  stop(): Promise<void> {
    return this.#serial(async () => {
      if (!this.#active) return;
      this.#state = 'stopping';
      await this.#teardown();
      this.#state = 'stopped';
      this.#log.info('soft-AP stopped');
    });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    return this.#queue.run(task);
  }

  get #env(): NodeJS.ProcessEnv {
    return this.#opts.env ?? process.env;
  }

  get #dropInDir(): string | null {
    return this.#opts.dnsmasqSharedDir === undefined ? NM_DNSMASQ_SHARED_DIR : this.#opts.dnsmasqSharedDir;
  }

  async #start(config: SoftApConfig): Promise<SoftApStartResult> {
    // A config that cannot be used leaves a running AP alone.
    const problems = softApConfigProblems(config);
    if (problems.length > 0) return { ok: false, reason: 'invalid_config', message: problems.map((p) => `${p.field}: ${p.message}`).join('; ') };
    if (config.captiveDns && this.#dropInDir === null) {
      return { ok: false, reason: 'unsupported', message: 'captive DNS needs a writable dnsmasq-shared.d (dnsmasqSharedDir)' };
    }
    if (this.#active) await this.#teardown();
    this.#state = 'starting';
    this.#clients = 0;
    const active: Active = { ifname: config.ifname, uuid: null, dropIn: null, poll: null };
    this.#active = active;
    try {
      await this.#deleteStaleProfiles();
      await this.#writeDropIn(config, active);
      if (config.countryCode) {
        const reg = await runTool('iw', ['reg', 'set', config.countryCode], { env: this.#env, timeoutMs: this.#toolTimeout });
        if (reg.exitCode !== 0) this.#log.warn({ detail: firstLine(reg.stderr) || (reg.missing ? 'iw is not installed' : `exit ${reg.exitCode}`) }, 'could not set the regulatory domain; the kernel keeps its own');
      }
      const add = await this.#nmcli(addArgs(config), this.#toolTimeout);
      const uuid = add.exitCode === 0 ? parseAddedUuid(add.stdout) : null;
      if (uuid === null) throw this.#failure(add, 'NetworkManager did not create the hotspot profile');
      active.uuid = uuid;
      const up = await this.#activate(uuid, config.passphrase);
      if (up.exitCode !== 0) throw this.#failure(up, 'NetworkManager did not start the hotspot');
      active.poll = this.#clock.setInterval(() => void this.#poll(active), this.#opts.pollIntervalMs ?? 5_000);
      this.#state = 'running';
      this.#log.info({ ifname: config.ifname, channel: config.channel, captiveDns: config.captiveDns }, 'soft-AP running (NetworkManager hotspot)');
      return { ok: true };
    } catch (err) {
      const stop = err instanceof StartStop ? err : this.#unexpected(err);
      await this.#teardown();
      this.#state = 'stopped';
      this.#log.warn({ reason: stop.reason, detail: stop.message }, 'soft-AP did not start');
      return { ok: false, reason: stop.reason, message: stop.message };
    }
  }

  get #toolTimeout(): number {
    return this.#opts.toolTimeoutMs ?? 10_000;
  }

  async #deleteStaleProfiles(): Promise<void> {
    const list = await this.#nmcli(['-t', '-f', PROFILE_LIST_FIELDS.join(','), 'connection', 'show'], this.#toolTimeout);
    if (list.exitCode !== 0) throw this.#failure(list, 'could not list NetworkManager profiles');
    for (const row of parseProfileList(list.stdout).filter((p) => p.name === AP_PROFILE)) {
      await this.#nmcli(['connection', 'delete', 'uuid', row.uuid], this.#toolTimeout);
    }
  }

  async #writeDropIn(config: SoftApConfig, active: Active): Promise<void> {
    const dir = this.#dropInDir;
    if (dir === null) return;
    let text: string;
    try {
      const template = await readFile(join(this.#opts.templatesDir ?? DEFAULT_TEMPLATES_DIR, TEMPLATE_FILES.nmDnsmasq), 'utf8');
      text = renderTemplate(template, nmDnsmasqValues(config));
    } catch (err) {
      if (err instanceof TemplateError) throw new StartStop(err.code === 'unsafe_value' ? 'invalid_config' : 'template_invalid', err.message);
      throw new StartStop('template_invalid', `cannot read ${TEMPLATE_FILES.nmDnsmasq}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    const file = join(dir, DROP_IN);
    try {
      // No secret in it; NM's dnsmasq (root, then nobody) must read it.
      await writeFile(file, text, { mode: 0o644 });
      await chmod(file, 0o644);
    } catch (err) {
      throw new StartStop(config.captiveDns ? 'unsupported' : 'setup_failed', `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    active.dropIn = file;
  }

  /** `connection up` with the passphrase in a passwd-file that exists only while nmcli runs. */
  async #activate(uuid: string, passphrase: string): Promise<NmcliResult> {
    const waitSeconds = Math.max(1, Math.ceil((this.#opts.activationTimeoutMs ?? 30_000) / 1000));
    const dir = await mkdtemp(join(this.#opts.runtimeDir ?? process.env.RUNTIME_DIRECTORY ?? tmpdir(), 'soft-ap-'));
    try {
      const file = join(dir, 'secrets');
      await writeFile(file, passwdFileContent(passphrase), { mode: 0o600, flag: 'wx' });
      return await this.#nmcli(['--wait', String(waitSeconds), 'connection', 'up', 'uuid', uuid, 'passwd-file', file], waitSeconds * 1000 + 15_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #poll(active: Active): Promise<void> {
    if (this.#polling || this.#active !== active || this.#state !== 'running') return;
    this.#polling = true;
    try {
      const show = await this.#nmcli(['-t', '-f', 'GENERAL.STATE,GENERAL.CON-UUID', 'device', 'show', active.ifname], this.#toolTimeout).catch(() => null);
      if (this.#active !== active || this.#state !== 'running') return;
      if (show && (show.exitCode === NMCLI_EXIT.success || show.exitCode === NMCLI_EXIT.notFound)) {
        const details = show.exitCode === NMCLI_EXIT.success ? parseDeviceShow(show.stdout) : null;
        if (details?.uuid !== active.uuid) {
          void this.#serial(() => this.#lost(active));
          return;
        }
      }
      const dump = await runTool('iw', ['dev', active.ifname, 'station', 'dump'], { env: this.#env, timeoutMs: this.#toolTimeout });
      if (dump.exitCode !== 0 && !this.#warnedNoCount) {
        // Without a count the session sees no client, and its idle timeout would close the AP under a phone.
        this.#warnedNoCount = true;
        this.#log.warn({ detail: dump.missing ? 'iw is not installed' : firstLine(dump.stderr) }, 'cannot count soft-AP clients (iw station dump)');
      }
      if (dump.exitCode === 0 && this.#active === active) {
        const count = (dump.stdout.match(/^Station /gm) ?? []).length;
        if (count !== this.#clients) {
          this.#clients = count;
          this.#log.info({ clients: count }, 'soft-AP clients changed');
          this.#events.emit({ type: 'clients', count });
        }
      }
    } finally {
      this.#polling = false;
    }
  }

  /** NetworkManager dropped the hotspot (device removed, another profile took the radio…). */
  async #lost(active: Active): Promise<void> {
    if (this.#active !== active || this.#state !== 'running') return;
    this.#log.error({ ifname: active.ifname }, 'NetworkManager no longer runs the soft-AP');
    await this.#teardown();
    this.#state = 'failed';
    if (this.#clients > 0) {
      this.#clients = 0;
      this.#events.emit({ type: 'clients', count: 0 });
    }
    this.#events.emit({ type: 'down', reason: 'nm_deactivated', message: `the hotspot profile is no longer active on ${active.ifname}` });
  }

  async #teardown(): Promise<void> {
    const active = this.#active;
    this.#active = null;
    if (!active) return;
    active.poll?.cancel();
    if (active.uuid) {
      const down = await this.#nmcli(['connection', 'down', 'uuid', active.uuid], this.#toolTimeout).catch(() => null);
      // 10: it was not active (failed activation, or NM already dropped it).
      if (down && down.exitCode !== 0 && down.exitCode !== NMCLI_EXIT.notFound) this.#log.warn({ exitCode: down.exitCode, nmcli: nmcliReason(down.stderr) }, 'could not deactivate the hotspot');
      const del = await this.#nmcli(['connection', 'delete', 'uuid', active.uuid], this.#toolTimeout).catch(() => null);
      if (del && del.exitCode !== 0 && del.exitCode !== NMCLI_EXIT.notFound) this.#log.warn({ exitCode: del.exitCode, nmcli: nmcliReason(del.stderr) }, 'could not delete the hotspot profile');
    }
    if (active.dropIn) await rm(active.dropIn, { force: true }).catch(() => undefined);
    this.#clients = 0;
  }

  async #nmcli(args: string[], timeoutMs: number): Promise<NmcliResult> {
    try {
      return await runNmcli(args, { env: this.#env, timeoutMs });
    } catch (err) {
      if (isWifiScanError(err, 'nmcli_missing')) throw new StartStop('program_missing', 'nmcli is not installed');
      throw new StartStop('start_timeout', isWifiScanError(err) ? err.message : 'nmcli could not be run');
    }
  }

  #failure(result: NmcliResult, what: string): StartStop {
    const detail = nmcliReason(result.stderr) || `nmcli exited with ${result.exitCode}`;
    if (result.exitCode === NMCLI_EXIT.nmNotRunning) return new StartStop('nm_not_running', detail);
    if (result.exitCode === NMCLI_EXIT.timeout) return new StartStop('start_timeout', `${what}: ${detail}`);
    if (/No suitable device found|device '[^']*' not found|Device '[^']*' not found/i.test(detail)) return new StartStop('interface_missing', `${what}: ${detail}`);
    return new StartStop('nm_failed', `${what}: ${detail}`);
  }

  #unexpected(err: unknown): StartStop {
    this.#log.error({ err }, 'unexpected error while starting the soft-AP');
    const code = (err as NodeJS.ErrnoException).code;
    return new StartStop('setup_failed', `could not prepare the hotspot${code ? `: ${code}` : ''}`);
  }
}

/** The hotspot profile: everything but the secret, which comes with `connection up`. */
export function addArgs(c: SoftApConfig): string[] {
  return [
    'connection', 'add', 'type', 'wifi', 'ifname', c.ifname, 'con-name', AP_PROFILE, 'connection.autoconnect', 'no',
    'ssid', c.ssid,
    '802-11-wireless.mode', 'ap', '802-11-wireless.band', 'bg', '802-11-wireless.channel', String(c.channel),
    '802-11-wireless.ap-isolation', c.clientIsolation ? 'yes' : 'no',
    'wifi-sec.key-mgmt', 'wpa-psk', 'wifi-sec.proto', 'rsn', 'wifi-sec.pairwise', 'ccmp', 'wifi-sec.group', 'ccmp', 'wifi-sec.psk-flags', '2',
    'ipv4.method', 'shared', 'ipv4.addresses', `${c.network.address}/${c.network.prefixLength}`,
    'ipv6.method', 'disabled',
  ];
}
