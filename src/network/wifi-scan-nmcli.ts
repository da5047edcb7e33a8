import { execFile } from 'node:child_process';
import type { Logger } from '../log/logger.js';
import { NMCLI_EXIT, nmcliReason, scanErrorForExit } from './nmcli-errors.js';
import { DEVICE_FIELDS, RADIO_FIELDS, parseDevices, parseRadio } from './nmcli-status.js';
import { WIFI_LIST_FIELDS, parseWifiList } from './nmcli-wifi-list.js';
import { WifiScanError, type AccessPoint, type WifiScanner } from './wifi-scan.js';

/**
 * nmcli's `--rescan yes` waits for NetworkManager's next scan result, and
 * gives up by itself after 15 s per device (devices.c: timeout_msec = 15000);
 * past this nmcli itself is stuck (D-Bus wedged) and is killed.
 */
const DEFAULT_SCAN_TIMEOUT_MS = 25_000;
const STATUS_TIMEOUT_MS = 5_000;
/** A few hundred APs at most; the limit only stops a runaway child from eating memory. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface NmcliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface NmcliWifiScannerOptions {
  logger: Logger;
  /** Scan only this interface (`ifname`); default: every Wi-Fi device. */
  ifname?: string;
  /** Program to run; default `nmcli` from PATH. */
  command?: string;
  /** Base environment; default process.env. The locale is always forced (see nmcliEnv). */
  env?: NodeJS.ProcessEnv;
  scanTimeoutMs?: number;
}

/**
 * nmcli prints through GLib's g_print, which converts to the locale's
 * charset with '?' for anything it cannot represent — under LANG=C every
 * non-ASCII SSID would come back as `Caf? ?`. C.UTF-8 gives untranslated
 * messages (which we match) and UTF-8 output. LANGUAGE is dropped because
 * gettext lets it override LC_MESSAGES.
 */
export function nmcliEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' };
  delete env.LANGUAGE;
  return env;
}

/**
 * Runs nmcli with an argv array (never a shell). Resolves with the exit code
 * for any run that happened; rejects with WifiScanError for nmcli missing,
 * killed by the timeout, or unreadable output.
 */
export function runNmcli(
  args: readonly string[],
  opts: { command?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<NmcliResult> {
  const command = opts.command ?? 'nmcli';
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { env: nmcliEnv(opts.env ?? process.env), timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', shell: false },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ exitCode: 0, stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean; signal?: string | null };
        if (e.code === 'ENOENT') {
          reject(new WifiScanError('nmcli_missing', `${command} is not installed`, { cause: err }));
        } else if (typeof e.code === 'number') {
          resolve({ exitCode: e.code, stdout, stderr });
        } else if (e.killed || e.signal) {
          reject(new WifiScanError('scan_failed', `nmcli did not answer within ${opts.timeoutMs} ms`, { cause: err }));
        } else {
          reject(new WifiScanError('scan_failed', `nmcli could not be run: ${e.code ?? e.message}`, { cause: err }));
        }
      },
    );
  });
}

/** Wi-Fi scan through NetworkManager's command-line client. */
export class NmcliWifiScanner implements WifiScanner {
  readonly #opts: NmcliWifiScannerOptions;

  constructor(opts: NmcliWifiScannerOptions) {
    this.#opts = opts;
  }

  async scan(): Promise<AccessPoint[]> {
    const args = ['-t', '-f', WIFI_LIST_FIELDS.join(','), 'device', 'wifi', 'list'];
    if (this.#opts.ifname) args.push('ifname', this.#opts.ifname);
    args.push('--rescan', 'yes');
    const result = await this.#run(args, this.#opts.scanTimeoutMs ?? DEFAULT_SCAN_TIMEOUT_MS);
    if (result.exitCode !== NMCLI_EXIT.success) {
      const reason = nmcliReason(result.stderr) || `nmcli exited with ${result.exitCode}`;
      throw new WifiScanError(scanErrorForExit(result.exitCode), reason);
    }
    const { accessPoints, malformed } = parseWifiList(result.stdout);
    if (malformed > 0) this.#opts.logger.warn({ malformed }, 'ignored unreadable nmcli scan records');
    if (accessPoints.length === 0) await this.#explainEmpty();
    return accessPoints;
  }

  /**
   * An empty list is nmcli's answer for "no Wi-Fi device" and "radio off"
   * as much as for "no network in range"; ask which one it is.
   */
  async #explainEmpty(): Promise<void> {
    const devices = await this.#run(['-t', '-f', DEVICE_FIELDS.join(','), 'device', 'status'], STATUS_TIMEOUT_MS);
    if (devices.exitCode === NMCLI_EXIT.success) {
      const wifi = parseDevices(devices.stdout).filter((d) => d.type === 'wifi' && (!this.#opts.ifname || d.device === this.#opts.ifname));
      if (wifi.length === 0) throw new WifiScanError('no_wifi_device', 'no Wi-Fi device found');
    }
    const radio = await this.#run(['-t', '-f', RADIO_FIELDS.join(','), 'radio'], STATUS_TIMEOUT_MS);
    if (radio.exitCode === NMCLI_EXIT.success) {
      const state = parseRadio(radio.stdout);
      if (state.hardware === 'missing') throw new WifiScanError('no_wifi_device', 'no Wi-Fi hardware');
      if (state.hardware === 'disabled') throw new WifiScanError('radio_off', 'Wi-Fi is blocked by the hardware switch (rfkill)');
      if (state.software === 'disabled') throw new WifiScanError('radio_off', 'Wi-Fi radio is switched off');
    }
  }

  #run(args: string[], timeoutMs: number): Promise<NmcliResult> {
    const opts: { command?: string; env?: NodeJS.ProcessEnv; timeoutMs: number } = { timeoutMs };
    if (this.#opts.command) opts.command = this.#opts.command;
    if (this.#opts.env) opts.env = this.#opts.env;
    return runNmcli(args, opts);
  }
}
