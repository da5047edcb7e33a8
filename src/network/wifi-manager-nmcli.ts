/**
 * Joining Wi-Fi through NetworkManager: the production WifiManager.
 *
 * node-wifi (required by the customer) is used where it is correct, direct
 * nmcli (runNmcli: execFile, argv only, C.UTF-8 locale) where it is not.
 * Each node-wifi bug below was read in node_modules/node-wifi/src and
 * reproduced against the fake nmcli (test/integration/network/node-wifi-bugs.test.ts):
 *
 * | Operation | Used | Why |
 * |---|---|---|
 * | scan | direct nmcli (NmcliWifiScanner) | node-wifi's parser shifts every field of an SSID with ':' (N3), leaves `\\` escaped (N4), and never rescans |
 * | join | direct nmcli: `connection add` + `connection up … passwd-file` | node-wifi connect() puts the password on argv and into its error message (N7), sends `password undefined` / `password ""` for open networks (N1/N2), cannot do hidden networks or WPA3-only (SAE) |
 * | current | direct nmcli: `device show` + `connection show` | getCurrentConnections() crashes the process on an active SSID ending in `\` (N5, TypeError inside the execFile callback) and turns `&&` into `:` (N6) |
 * | delete a profile the agent made | node-wifi deleteConnection() | `nmcli connection delete id <name>` with the agent's own, unique profile names is exactly right; guarded by node-wifi.ts (process.env locale, env-as-options) and raced against a timeout (it has none) |
 * | activate / modify | direct nmcli | node-wifi has no such calls |
 *
 * Join flow (provisioning.md §3.3, §6.7): a temporary profile
 * `camera-agent-join-<hex>` with autoconnect off and no secret on argv;
 * `nmcli --wait 45 connection up uuid <uuid> passwd-file <file>` where the
 * file (mode 0600, in a fresh 0700 directory under $RUNTIME_DIRECTORY,
 * deleted as soon as nmcli exits) holds `802-11-wireless-security.psk:<secret>`;
 * then a connectivity check. On success the agent's previous profile is
 * deleted and the new one becomes `camera-agent-wifi` with autoconnect on.
 * On failure the temporary profile is deleted and the previous connection
 * re-activated. Retries: auth_failed none; ap_not_found a rescan and one
 * retry, then the SSID's alternate readings in order; dhcp_timeout one retry.
 *
 * The secret reaches NetworkManager through nmcli's secret agent, and NM
 * saves agent-provided system secrets with the profile — so autoconnect
 * after a reboot and a rollback need no passwd-file — but only when the
 * agent's user may modify system connections; otherwise NM discards them
 * and the join ends as "Secrets were required" (NM
 * nm-settings-connection.c get_cmp_flags / get_secrets_done_cb). The
 * agent's user therefore needs polkit's
 * org.freedesktop.NetworkManager.settings.modify.system and network-control.
 */
import { SerialQueue } from '../core/serial-queue.js';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import type { WifiCredentials } from '../provisioning/provisioning-payload.js';
import { NMCLI_EXIT, joinFailureFor, nmcliReason } from './nmcli-errors.js';
import {
  AGENT_PROFILE,
  DEVICE_SHOW_FIELDS,
  DEVICE_STATE_CONNECTED,
  JOIN_PROFILE_PREFIX,
  PROFILE_LIST_FIELDS,
  connectionAddArgs,
  connectionUpArgs,
  isAgentProfile,
  parseAddedUuid,
  parseConnectivity,
  parseDeviceShow,
  parseProfileList,
  parseProfileSsid,
  passwdFileContent,
  validIfname,
  type Connectivity,
  type ProfileRow,
} from './nmcli-join.js';
import { DEVICE_FIELDS, RADIO_FIELDS, parseDevices, parseRadio } from './nmcli-status.js';
import { loadNodeWifi, withNmcliEnv } from './node-wifi.js';
import { credentialsProblem, joinCandidates, keyMgmtFor } from './wifi-credentials-check.js';
import type { WifiConnection, WifiJoinFailure, WifiJoinOptions, WifiJoinResult, WifiManager } from './wifi-manager.js';
import { WifiStatusError } from './wifi-manager.js';
import { isWifiScanError, type AccessPoint } from './wifi-scan.js';
import { NmcliWifiScanner, runNmcli, type NmcliResult } from './wifi-scan-nmcli.js';

export type { Connectivity } from './nmcli-join.js';

/** Asks whether the new network reaches the Internet; the cloud link is the final proof. */
export type ConnectivityProbe = () => Promise<Connectivity>;

export interface NmcliWifiManagerOptions {
  logger: Logger;
  /** Wi-Fi interface; default the first Wi-Fi device in `nmcli device status`. */
  ifname?: string;
  /** Base environment for nmcli; default process.env (the locale is always C.UTF-8). nmcli comes from its PATH. */
  env?: NodeJS.ProcessEnv;
  /** Per activation attempt (`--wait`); default 45 000 ms. */
  joinTimeoutMs?: number;
  /**
   * After association: 'nmcli' polls `nmcli networking connectivity check`
   * (default), 'off' trusts the association, or a probe of the caller's.
   */
  connectivity?: 'nmcli' | 'off' | ConnectivityProbe;
  /** How long connectivity may take to become 'full'; default 20 000 ms (balena wifi-connect's window). */
  connectivityTimeoutMs?: number;
  /** Pause between connectivity checks; default 2 000 ms. */
  connectivityIntervalMs?: number;
  /** Where passwd-files are written (in a fresh 0700 directory each); default $RUNTIME_DIRECTORY, else the OS temp dir. */
  runtimeDir?: string;
  scanTimeoutMs?: number;
}

const DEFAULT_JOIN_TIMEOUT_MS = 45_000;
const DEFAULT_CONNECTIVITY_TIMEOUT_MS = 20_000;
const DEFAULT_CONNECTIVITY_INTERVAL_MS = 2_000;
/** Status calls answer from NetworkManager's cache; past this the D-Bus side is wedged. */
const STATUS_TIMEOUT_MS = 10_000;
/** `--wait N` bounds nmcli itself; this margin only catches an nmcli that ignores it. */
const WAIT_MARGIN_MS = 15_000;

/** A join step failed: carried to the top of join(), which rolls back. */
class JoinStop extends Error {
  constructor(
    readonly reason: WifiJoinFailure,
    message: string,
  ) {
    super(message);
  }
}

type AttemptResult = { ok: true; uuid: string; name: string } | { ok: false; reason: WifiJoinFailure; message: string };

interface ActiveProfile {
  uuid: string;
  name: string;
}

export class NmcliWifiManager implements WifiManager {
  readonly #opts: NmcliWifiManagerOptions;
  readonly #log: Logger;
  #queue = new SerialQueue();

  constructor(opts: NmcliWifiManagerOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
  }

  scan(): Promise<AccessPoint[]> {
    const scanner = new NmcliWifiScanner({
      logger: this.#log,
      ...(this.#opts.ifname ? { ifname: this.#opts.ifname } : {}),
      ...(this.#opts.env ? { env: this.#opts.env } : {}),
      ...(this.#opts.scanTimeoutMs ? { scanTimeoutMs: this.#opts.scanTimeoutMs } : {}),
    });
    return scanner.scan();
  }

  join(creds: WifiCredentials, opts: WifiJoinOptions = {}): Promise<WifiJoinResult> {
    return this.#serial(() => this.#join(creds, opts));
  }

  /** Not queued behind a join: a status page may ask while a 45 s activation runs, and sees what NM sees. */
  async current(): Promise<WifiConnection | null> {
    const ifname = await this.#statusStep(() => this.#resolveDevice());
    return this.#statusStep(() => this.#connectionOn(ifname));
  }

  forget(): Promise<void> {
    return this.#serial(async () => {
      const profiles = await this.#statusStep(() => this.#profiles());
      const names = [...new Set(profiles.filter((p) => isAgentProfile(p.name)).map((p) => p.name))];
      for (const name of names) await this.#deleteProfile(name);
      this.#log.info({ profiles: names.length }, 'forgot the agent\'s Wi-Fi profiles');
    });
  }

  /** One NetworkManager conversation at a time: a join must not interleave with another join or forget. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    return this.#queue.run(task);
  }

  async #join(creds: WifiCredentials, opts: WifiJoinOptions): Promise<WifiJoinResult> {
    const secret = creds.password;
    const problem = credentialsProblem(creds);
    if (problem) {
      this.#log.warn({ reason: 'invalid_credentials', problem }, 'wifi join refused before running nmcli');
      return { ok: false, reason: 'invalid_credentials', message: problem, rolledBack: false };
    }
    const timeoutMs = opts.timeoutMs ?? this.#opts.joinTimeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
    let ifname: string | null = null;
    let previous: ActiveProfile | null = null;
    try {
      ifname = await this.#resolveDevice();
      previous = await this.#activeProfile(ifname);
      const profiles = await this.#profiles();
      // A join interrupted by a crash or power cut leaves its temporary profile behind.
      for (const name of new Set(profiles.filter((p) => p.name.startsWith(JOIN_PROFILE_PREFIX)).map((p) => p.name))) {
        await this.#deleteProfile(name);
      }
      const hadAgentProfile = profiles.some((p) => p.name === AGENT_PROFILE);
      this.#log.info(
        { ifname, auth: creds.auth, hidden: creds.hidden, rawPsk: creds.rawPsk, alternates: creds.ssidAlternates.length, previous: previous?.name ?? null },
        'wifi join started',
      );

      let attempt: AttemptResult = { ok: false, reason: 'ap_not_found', message: 'no SSID to try' };
      for (const ssid of joinCandidates(creds)) {
        attempt = await this.#attempt(ifname, ssid, creds, timeoutMs);
        if (attempt.ok || attempt.reason !== 'ap_not_found') break;
      }
      if (!attempt.ok) throw new JoinStop(attempt.reason, attempt.message);

      // Still on it? Checked before the previous profile goes, so a rollback stays possible.
      const connection = await this.#connectionOn(ifname);
      if (connection?.uuid !== attempt.uuid) {
        await this.#deleteProfile(attempt.name);
        throw new JoinStop('join_failed', 'the connection dropped right after joining');
      }
      // Success: the new profile replaces the agent's previous one and comes back after a reboot.
      if (hadAgentProfile) await this.#deleteProfile(AGENT_PROFILE);
      const modify = await this.#nmcli(['connection', 'modify', 'uuid', attempt.uuid, 'connection.id', AGENT_PROFILE, 'connection.autoconnect', 'yes'], STATUS_TIMEOUT_MS);
      if (modify.exitCode === 0) connection.profile = AGENT_PROFILE;
      else {
        // Connected now, but it would not come back after a reboot: loud, not fatal.
        this.#log.error({ exitCode: modify.exitCode, nmcli: this.#scrub(nmcliReason(modify.stderr), secret) }, 'joined, but could not make the Wi-Fi profile permanent');
      }
      this.#log.info({ ssid: connection.ssid, ifname, profile: connection.profile }, 'wifi joined');
      return { ok: true, connection };
    } catch (err) {
      const stop = err instanceof JoinStop ? err : this.#stopFor(err);
      const rolledBack = ifname !== null && previous !== null ? await this.#rollBack(ifname, previous, timeoutMs) : false;
      const message = this.#scrub(stop.message, secret);
      this.#log.warn({ reason: stop.reason, rolledBack, nmcli: message }, 'wifi join failed');
      return { ok: false, reason: stop.reason, message, rolledBack };
    }
  }

  /** One SSID: temporary profile, activation with the retries of §6.7, connectivity. Deletes the profile on failure. */
  async #attempt(ifname: string, ssid: string, creds: WifiCredentials, timeoutMs: number): Promise<AttemptResult> {
    const name = `${JOIN_PROFILE_PREFIX}${randomBytes(4).toString('hex')}`;
    const add = await this.#nmcli(connectionAddArgs({ ifname, name, ssid, hidden: creds.hidden, keyMgmt: keyMgmtFor(creds) }), STATUS_TIMEOUT_MS);
    const uuid = add.exitCode === 0 ? parseAddedUuid(add.stdout) : null;
    if (uuid === null) {
      const { reason } = add.exitCode === 0 ? { reason: 'join_failed' as const } : joinFailureFor(add.exitCode, add.stderr);
      return { ok: false, reason, message: `NetworkManager did not create the profile: ${this.#scrub(nmcliReason(add.stderr), creds.password) || `exit ${add.exitCode}`}` };
    }
    try {
      let rescanned = false;
      let retried = false;
      for (;;) {
        const up = await this.#activate(uuid, creds.password, timeoutMs);
        if (up.exitCode === NMCLI_EXIT.success) break;
        const { reason, retry } = joinFailureFor(up.exitCode, up.stderr);
        const detail = this.#scrub(nmcliReason(up.stderr), creds.password) || `nmcli exited with ${up.exitCode}`;
        this.#log.info({ reason, exitCode: up.exitCode, retry, rescanned, retried }, 'wifi activation failed');
        if (retry === 'rescan' && !rescanned) {
          rescanned = true;
          await this.#rescan(ifname);
          continue;
        }
        if (retry === 'again' && !retried) {
          retried = true;
          continue;
        }
        await this.#deleteProfile(name);
        return { ok: false, reason, message: detail };
      }
      const connectivity = await this.#connectivity();
      if (connectivity !== 'full' && connectivity !== 'unknown') {
        await this.#deleteProfile(name);
        return { ok: false, reason: 'no_internet', message: `associated, but NetworkManager reports connectivity '${connectivity}'` };
      }
      if (connectivity === 'unknown') this.#log.info('connectivity unknown after joining; the cloud link will tell');
      return { ok: true, uuid, name };
    } catch (err) {
      // nmcli killed after its timeout, the runtime dir unwritable…: the profile must not outlive the attempt.
      await this.#deleteProfile(name);
      throw err;
    }
  }

  /** `connection up` with the secret in a passwd-file that exists only while nmcli runs. */
  async #activate(uuid: string, secret: string | null, timeoutMs: number): Promise<NmcliResult> {
    const waitSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const runFor = waitSeconds * 1000 + WAIT_MARGIN_MS;
    if (secret === null) return this.#nmcli(connectionUpArgs(uuid, waitSeconds, null), runFor);
    // mkdtemp makes the directory 0700; the file is created exclusively with 0600.
    const dir = await mkdtemp(join(this.#opts.runtimeDir ?? process.env.RUNTIME_DIRECTORY ?? tmpdir(), 'wifi-join-'));
    try {
      const file = join(dir, 'secrets');
      await writeFile(file, passwdFileContent(secret), { mode: 0o600, flag: 'wx' });
      return await this.#nmcli(connectionUpArgs(uuid, waitSeconds, file), runFor);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Polls the connectivity check until 'full' or the window closes; returns the last answer. */
  async #connectivity(): Promise<Connectivity> {
    const mode = this.#opts.connectivity ?? 'nmcli';
    if (mode === 'off') return 'full';
    const probe: ConnectivityProbe = mode === 'nmcli' ? () => this.#nmcliConnectivity() : mode;
    const windowMs = this.#opts.connectivityTimeoutMs ?? DEFAULT_CONNECTIVITY_TIMEOUT_MS;
    const intervalMs = this.#opts.connectivityIntervalMs ?? DEFAULT_CONNECTIVITY_INTERVAL_MS;
    const deadline = performance.now() + windowMs;
    for (;;) {
      let state: Connectivity;
      try {
        state = await probe();
      } catch (err) {
        this.#log.warn({ err }, 'connectivity probe failed');
        state = 'unknown';
      }
      if (state === 'full' || performance.now() + intervalMs > deadline) return state;
      await sleep(intervalMs);
    }
  }

  async #nmcliConnectivity(): Promise<Connectivity> {
    const result = await this.#nmcli(['networking', 'connectivity', 'check'], this.#opts.connectivityTimeoutMs ?? DEFAULT_CONNECTIVITY_TIMEOUT_MS);
    return result.exitCode === 0 ? parseConnectivity(result.stdout) : 'unknown';
  }

  /** `--rescan yes` waits for NetworkManager's fresh scan (≤ 15 s), unlike `device wifi rescan`. */
  async #rescan(ifname: string): Promise<void> {
    const result = await this.#nmcli(['-t', '-f', 'SSID', 'device', 'wifi', 'list', 'ifname', ifname, '--rescan', 'yes'], this.#opts.scanTimeoutMs ?? 25_000).catch(
      (err: unknown) => ({ exitCode: -1, stdout: '', stderr: String(err) }),
    );
    if (result.exitCode !== 0) this.#log.info({ exitCode: result.exitCode }, 'rescan before retrying failed; retrying anyway');
  }

  /** Back to the connection the camera had before the join; true when it is active again. */
  async #rollBack(ifname: string, previous: ActiveProfile, timeoutMs: number): Promise<boolean> {
    try {
      const now = await this.#activeProfile(ifname);
      if (now?.uuid === previous.uuid) return true;
      const waitSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      // Its secret is saved with the profile: no passwd-file.
      const up = await this.#nmcli(connectionUpArgs(previous.uuid, waitSeconds, null), waitSeconds * 1000 + WAIT_MARGIN_MS);
      if (up.exitCode === 0) {
        this.#log.info({ profile: previous.name }, 'rolled back to the previous Wi-Fi connection');
        return true;
      }
      this.#log.error({ profile: previous.name, exitCode: up.exitCode, nmcli: nmcliReason(up.stderr) }, 'could not roll back to the previous Wi-Fi connection');
    } catch (err) {
      this.#log.error({ err }, 'could not roll back to the previous Wi-Fi connection');
    }
    return false;
  }

  /** The interface to use, or a JoinStop saying why there is none usable. */
  async #resolveDevice(): Promise<string> {
    const wanted = this.#opts.ifname;
    if (wanted !== undefined && !validIfname(wanted)) throw new JoinStop('no_wifi_device', 'the configured Wi-Fi interface name is not valid');
    const status = await this.#nmcli(['-t', '-f', DEVICE_FIELDS.join(','), 'device', 'status'], STATUS_TIMEOUT_MS);
    if (status.exitCode !== 0) throw this.#stopForStatus(status);
    const wifi = parseDevices(status.stdout).filter((d) => d.type === 'wifi');
    const device = wanted === undefined ? wifi[0] : wifi.find((d) => d.device === wanted);
    if (!device) throw new JoinStop('no_wifi_device', wanted === undefined ? 'no Wi-Fi device found' : `Wi-Fi device ${wanted} not found`);
    if (device.state === 'unavailable') {
      const radio = await this.#nmcli(['-t', '-f', RADIO_FIELDS.join(','), 'radio'], STATUS_TIMEOUT_MS);
      const state = radio.exitCode === 0 ? parseRadio(radio.stdout) : null;
      if (state?.hardware === 'disabled') throw new JoinStop('radio_off', 'Wi-Fi is blocked by the hardware switch (rfkill)');
      if (state?.software === 'disabled') throw new JoinStop('radio_off', 'Wi-Fi radio is switched off');
      if (state?.hardware === 'missing') throw new JoinStop('no_wifi_device', 'no Wi-Fi hardware');
      throw new JoinStop('join_failed', `Wi-Fi device ${device.device} is unavailable`);
    }
    if (device.state === 'unmanaged') throw new JoinStop('join_failed', `Wi-Fi device ${device.device} is not managed by NetworkManager`);
    return device.device;
  }

  async #activeProfile(ifname: string): Promise<ActiveProfile | null> {
    const details = await this.#deviceDetails(ifname);
    if (!details || details.state !== DEVICE_STATE_CONNECTED || !details.uuid) return null;
    return { uuid: details.uuid, name: details.connection ?? '' };
  }

  async #deviceDetails(ifname: string) {
    const show = await this.#nmcli(['-t', '-f', DEVICE_SHOW_FIELDS.join(','), 'device', 'show', ifname], STATUS_TIMEOUT_MS);
    if (show.exitCode !== 0) throw this.#stopForStatus(show);
    const details = parseDeviceShow(show.stdout);
    if (!details) this.#log.warn('unreadable nmcli device show output');
    return details;
  }

  async #connectionOn(ifname: string): Promise<WifiConnection | null> {
    const details = await this.#deviceDetails(ifname);
    if (!details || details.state !== DEVICE_STATE_CONNECTED || !details.uuid) return null;
    const show = await this.#nmcli(['-t', '-f', '802-11-wireless.ssid', 'connection', 'show', 'uuid', details.uuid], STATUS_TIMEOUT_MS);
    // 10: the profile went away between the two calls.
    if (show.exitCode === NMCLI_EXIT.notFound) return null;
    if (show.exitCode !== 0) throw this.#stopForStatus(show);
    const ssid = parseProfileSsid(show.stdout);
    if (ssid === null) return null;
    return { ifname, ssid, profile: details.connection ?? '', uuid: details.uuid, ipv4: details.ipv4, gateway: details.gateway };
  }

  async #profiles(): Promise<ProfileRow[]> {
    const list = await this.#nmcli(['-t', '-f', PROFILE_LIST_FIELDS.join(','), 'connection', 'show'], STATUS_TIMEOUT_MS);
    if (list.exitCode !== 0) throw this.#stopForStatus(list);
    return parseProfileList(list.stdout);
  }

  /**
   * Deletes every profile with this name through node-wifi (see the table
   * above); a profile already gone is fine. Failures are logged, not thrown:
   * a stray temporary profile has autoconnect off and is removed by the next join.
   */
  async #deleteProfile(name: string): Promise<void> {
    const nodeWifi = loadNodeWifi();
    const pending = withNmcliEnv(this.#opts.env ?? process.env, () => nodeWifi.deleteConnection({ ssid: name }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STATUS_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([pending.then(() => 'deleted' as const), timeout]);
      if (outcome === 'timeout') this.#log.warn({ profile: name }, 'deleting a Wi-Fi profile did not finish in time');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code === NMCLI_EXIT.notFound) return;
      // execFile's message is "Command failed: nmcli connection delete id <our name>\n<stderr>": no secret in it.
      this.#log.warn({ profile: name, exitCode: code, nmcli: nmcliReason(String((err as { stderr?: unknown }).stderr ?? '')) }, 'could not delete a Wi-Fi profile');
    } finally {
      clearTimeout(timer);
    }
  }

  #nmcli(args: string[], timeoutMs: number): Promise<NmcliResult> {
    return runNmcli(args, { timeoutMs, ...(this.#opts.env ? { env: this.#opts.env } : {}) });
  }

  /** A failed status call (device status/show, connection show) as a join failure. */
  #stopForStatus(result: NmcliResult): JoinStop {
    const detail = nmcliReason(result.stderr) || `nmcli exited with ${result.exitCode}`;
    if (result.exitCode === NMCLI_EXIT.nmNotRunning) return new JoinStop('nm_not_running', detail);
    if (result.exitCode === NMCLI_EXIT.notFound && /^Device /.test(detail)) return new JoinStop('no_wifi_device', detail);
    return new JoinStop('join_failed', detail);
  }

  /** runNmcli's rejections (nmcli missing, killed after its timeout) and anything unexpected. */
  #stopFor(err: unknown): JoinStop {
    if (isWifiScanError(err, 'nmcli_missing')) return new JoinStop('nmcli_missing', 'nmcli is not installed');
    if (isWifiScanError(err)) return new JoinStop('join_timeout', err.message);
    this.#log.error({ err }, 'unexpected error while joining Wi-Fi');
    return new JoinStop('join_failed', 'unexpected error while joining');
  }

  /** current()/forget(): the same steps, failing with WifiStatusError. */
  async #statusStep<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      const stop = err instanceof JoinStop ? err : this.#stopFor(err);
      const code = stop.reason === 'nm_not_running' || stop.reason === 'nmcli_missing' || stop.reason === 'no_wifi_device' ? stop.reason : 'status_failed';
      throw new WifiStatusError(code, stop.message, { cause: err });
    }
  }

  /** Whatever came from outside (nmcli's words) loses the secret, in plain and JSON-escaped form. */
  #scrub(text: string, secret: string | null): string {
    if (!secret) return text;
    let out = text.split(secret).join('[redacted]');
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join('[redacted]');
    return out;
  }
}
