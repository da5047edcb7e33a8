/**
 * The soft-AP with hostapd and dnsmasq run by the agent itself
 * (provisioning.md §3.1 "Alternative"): full control of max_num_sta,
 * ap_isolate and country_code, which NetworkManager's hotspot does not
 * offer.
 *
 * start(), in order, each step undone in reverse when a later one fails:
 *  1. render hostapd.conf and dnsmasq.conf from the firmware templates into
 *     <runtimeDir>/soft-ap (directory 0700, files 0600: hostapd.conf holds
 *     the passphrase);
 *  2. with `virtualOf` (AP+STA concurrency): `iw dev <radio> interface add <if> type __ap`;
 *  3. `nmcli -t -f GENERAL.STATE device show <if>`, and when NetworkManager
 *     manages it, `nmcli device set <if> managed no` (NM would otherwise
 *     fight hostapd for the interface and drop our address);
 *  4. `ip addr flush dev <if>`, `ip addr add 192.168.4.1/24 dev <if>`;
 *  5. `hostapd <conf>`, ready at its "AP-ENABLED" line;
 *  6. `dnsmasq --keep-in-foreground --conf-file=<conf>`, ready at "started".
 * stop() runs the undo list: SIGTERM dnsmasq, SIGTERM hostapd,
 * `ip addr flush`, `iw dev <if> del`, `nmcli device set <if> managed yes`
 * (only if we took it), and removes the runtime directory.
 *
 * hostapd or dnsmasq exiting while the AP runs is reported as a 'down'
 * event after the rest has been cleaned up the same way.
 *
 * Needs: CAP_NET_ADMIN and CAP_NET_RAW (hostapd, ip, dnsmasq's DHCP),
 * CAP_NET_BIND_SERVICE (dnsmasq: ports 53 and 67) — measured for dnsmasq
 * 2.90 running as a non-root user with ambient capabilities — and polkit
 * network-control for `nmcli device set`.
 */
import { SerialQueue } from '../core/serial-queue.js';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { NMCLI_EXIT, nmcliReason } from './nmcli-errors.js';
import { validIfname } from './nmcli-join.js';
import { softApConfigProblems, SoftApEvents, type SoftAp, type SoftApConfig, type SoftApEvent, type SoftApFailure, type SoftApStartResult, type SoftApState } from './soft-ap.js';
import { firstLine, runTool, startDaemon, type Daemon, type DaemonExit, type ToolResult } from './soft-ap-process.js';
import { DEFAULT_TEMPLATES_DIR, TEMPLATE_FILES, TemplateError, dnsmasqValues, hostapdValues, renderTemplate } from './soft-ap-template.js';
import { runNmcli } from './wifi-scan-nmcli.js';
import { isWifiScanError } from './wifi-scan.js';

export interface HostapdSoftApOptions {
  logger: Logger;
  clock?: Clock;
  /** Environment for every program; its PATH decides which hostapd, dnsmasq, ip, iw and nmcli run. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where hostapd.conf.tmpl and dnsmasq.conf.tmpl are; default /etc/camera-agent/ap. */
  templatesDir?: string;
  /** The rendered files go to <runtimeDir>/soft-ap; default $RUNTIME_DIRECTORY (tmpfs), else the OS temp dir. */
  runtimeDir?: string;
  /** Create the AP interface as a virtual `__ap` interface of this radio (AP+STA concurrency) and delete it on stop. */
  virtualOf?: string | null;
  /** How long hostapd may take to report AP-ENABLED; default 15 000 ms. */
  hostapdTimeoutMs?: number;
  /** How long dnsmasq may take to start serving; default 10 000 ms. */
  dnsmasqTimeoutMs?: number;
  /** ip, iw, nmcli; default 10 000 ms each. */
  toolTimeoutMs?: number;
}

/** hostapd prints "<if>: AP-ENABLED" once beacons go out (hostapd.c hostapd_setup_interface_complete). */
const HOSTAPD_READY = /: AP-ENABLED\b/;
const STA_CONNECTED = /AP-STA-CONNECTED ((?:[0-9a-f]{2}:){5}[0-9a-f]{2})/i;
const STA_DISCONNECTED = /AP-STA-DISCONNECTED ((?:[0-9a-f]{2}:){5}[0-9a-f]{2})/i;
/** With --keep-in-foreground and log-facility=-, "dnsmasq[pid]: started, version …" comes after its sockets are bound. */
const DNSMASQ_READY = /^dnsmasq\[\d+\]: started, version/;

/** A failed start step, carried to start()'s catch. */
class StartStop extends Error {
  constructor(
    readonly reason: SoftApFailure,
    message: string,
  ) {
    super(message);
  }
}

interface Running {
  hostapd: Daemon | null;
  dnsmasq: Daemon | null;
  /** Cleanup steps in the order they were taken; run in reverse. */
  undo: Array<{ what: string; run: () => Promise<void> }>;
}

export class HostapdSoftAp implements SoftAp {
  readonly backend = 'hostapd' as const;
  readonly #opts: HostapdSoftApOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #events = new SoftApEvents();
  #state: SoftApState = 'stopped';
  #running: Running | null = null;
  #stations = new Set<string>();
  #queue = new SerialQueue();

  constructor(opts: HostapdSoftApOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#clock = opts.clock ?? systemClock;
  }

  state(): SoftApState {
    return this.#state;
  }

  clients(): number {
    return this.#stations.size;
  }

  onEvent(listener: (event: SoftApEvent) => void): () => void {
    return this.#events.on(listener);
  }

  start(config: SoftApConfig): Promise<SoftApStartResult> {
    return this.#serial(() => this.#start(config));
  }

  stop(): Promise<void> {
    return this.#serial(async () => {
      if (!this.#running) return;
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

  get #dir(): string {
    return join(this.#opts.runtimeDir ?? process.env.RUNTIME_DIRECTORY ?? tmpdir(), 'soft-ap');
  }

  async #start(config: SoftApConfig): Promise<SoftApStartResult> {
    // A config that cannot be used leaves a running AP alone.
    const problems = softApConfigProblems(config);
    if (problems.length > 0) {
      const message = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
      this.#log.warn({ problems: problems.map((p) => p.field) }, 'soft-AP config refused before anything ran');
      return { ok: false, reason: 'invalid_config', message };
    }
    if (this.#opts.virtualOf != null && !validIfname(this.#opts.virtualOf)) {
      return { ok: false, reason: 'invalid_config', message: 'virtualOf: not a valid interface name' };
    }
    if (this.#running) await this.#teardown();
    this.#state = 'starting';
    this.#stations.clear();
    const running: Running = { hostapd: null, dnsmasq: null, undo: [] };
    this.#running = running;
    try {
      const { hostapdConf, dnsmasqConf } = await this.#writeConfigs(config, running);
      const ifname = config.ifname;
      if (this.#opts.virtualOf) {
        const parent = this.#opts.virtualOf;
        await this.#tool('iw', ['dev', parent, 'interface', 'add', ifname, 'type', '__ap'], 'interface_missing');
        running.undo.push({ what: 'delete the AP interface', run: () => this.#quietTool('iw', ['dev', ifname, 'del']) });
      }
      await this.#unmanage(ifname, running);
      const cidr = `${config.network.address}/${config.network.prefixLength}`;
      await this.#tool('ip', ['addr', 'flush', 'dev', ifname], 'address_failed');
      running.undo.push({ what: 'remove the AP address', run: () => this.#quietTool('ip', ['addr', 'flush', 'dev', ifname]) });
      await this.#tool('ip', ['addr', 'add', cidr, 'dev', ifname], 'address_failed');

      running.hostapd = await this.#daemon('hostapd', [hostapdConf], HOSTAPD_READY, this.#opts.hostapdTimeoutMs ?? 15_000, 'hostapd_failed', (line) => this.#hostapdLine(line));
      running.undo.push({ what: 'stop hostapd', run: () => this.#stopDaemon(running.hostapd) });
      running.dnsmasq = await this.#daemon('dnsmasq', ['--keep-in-foreground', `--conf-file=${dnsmasqConf}`], DNSMASQ_READY, this.#opts.dnsmasqTimeoutMs ?? 10_000, 'dnsmasq_failed');
      running.undo.push({ what: 'stop dnsmasq', run: () => this.#stopDaemon(running.dnsmasq) });

      this.#supervise(running, running.hostapd, 'hostapd');
      this.#supervise(running, running.dnsmasq, 'dnsmasq');
      this.#state = 'running';
      this.#log.info({ ifname, channel: config.channel, country: config.countryCode, maxClients: config.maxClients, captiveDns: config.captiveDns }, 'soft-AP running (hostapd + dnsmasq)');
      return { ok: true };
    } catch (err) {
      const stop = err instanceof StartStop ? err : this.#unexpected(err);
      await this.#teardown();
      this.#state = 'stopped';
      this.#log.warn({ reason: stop.reason, detail: stop.message }, 'soft-AP did not start');
      return { ok: false, reason: stop.reason, message: stop.message };
    }
  }

  async #writeConfigs(config: SoftApConfig, running: Running): Promise<{ hostapdConf: string; dnsmasqConf: string }> {
    const templatesDir = this.#opts.templatesDir ?? DEFAULT_TEMPLATES_DIR;
    const read = async (file: string) => {
      try {
        return await readFile(join(templatesDir, file), 'utf8');
      } catch (err) {
        throw new StartStop('template_invalid', `cannot read ${join(templatesDir, file)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    };
    const dir = this.#dir;
    const leaseFile = join(dir, 'dnsmasq.leases');
    let hostapd: string;
    let dnsmasq: string;
    try {
      hostapd = renderTemplate(await read(TEMPLATE_FILES.hostapd), hostapdValues(config));
      dnsmasq = renderTemplate(await read(TEMPLATE_FILES.dnsmasq), dnsmasqValues(config, { leaseFile }));
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      throw new StartStop(err.code === 'unsafe_value' ? 'invalid_config' : 'template_invalid', err.message);
    }
    // A crash can leave the previous run's files; they are replaced, never reused.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700); // mkdir's mode is filtered by the umask
    running.undo.push({ what: 'remove the runtime files', run: () => rm(dir, { recursive: true, force: true }) });
    const hostapdConf = join(dir, 'hostapd.conf');
    const dnsmasqConf = join(dir, 'dnsmasq.conf');
    await writeFile(hostapdConf, hostapd, { mode: 0o600, flag: 'wx' });
    await writeFile(dnsmasqConf, dnsmasq, { mode: 0o600, flag: 'wx' });
    return { hostapdConf, dnsmasqConf };
  }

  /** Takes the interface away from NetworkManager if NM manages it; nothing to do without NM. */
  async #unmanage(ifname: string, running: Running): Promise<void> {
    const timeoutMs = this.#opts.toolTimeoutMs ?? 10_000;
    let show;
    try {
      show = await runNmcli(['-t', '-f', 'GENERAL.STATE', 'device', 'show', ifname], { env: this.#env, timeoutMs });
    } catch (err) {
      if (isWifiScanError(err, 'nmcli_missing')) {
        this.#log.info('no nmcli: the AP interface is not NetworkManager\'s');
        return;
      }
      throw new StartStop('start_timeout', 'nmcli did not answer');
    }
    if (show.exitCode === NMCLI_EXIT.nmNotRunning || show.exitCode === NMCLI_EXIT.notFound) {
      // Not running, or it does not know the interface (a virtual one just made): it will not touch it.
      this.#log.info({ ifname, exitCode: show.exitCode }, 'NetworkManager does not manage the AP interface');
      return;
    }
    if (show.exitCode !== 0) throw new StartStop('nm_failed', nmcliReason(show.stderr) || `nmcli exited with ${show.exitCode}`);
    if (/^GENERAL\.STATE:10 /m.test(show.stdout)) return; // already unmanaged (the integrator's choice): leave it so
    const set = await runNmcli(['device', 'set', ifname, 'managed', 'no'], { env: this.#env, timeoutMs });
    if (set.exitCode !== 0) throw new StartStop('nm_failed', `could not take ${ifname} from NetworkManager: ${nmcliReason(set.stderr) || `exit ${set.exitCode}`}`);
    running.undo.push({
      what: 'give the interface back to NetworkManager',
      run: async () => {
        const back = await runNmcli(['device', 'set', ifname, 'managed', 'yes'], { env: this.#env, timeoutMs }).catch(() => null);
        if (back?.exitCode !== 0) this.#log.error({ ifname, exitCode: back?.exitCode ?? null }, 'could not give the AP interface back to NetworkManager');
      },
    });
  }

  async #tool(command: 'ip' | 'iw', args: string[], failure: SoftApFailure): Promise<ToolResult> {
    const result = await runTool(command, args, { env: this.#env, timeoutMs: this.#opts.toolTimeoutMs ?? 10_000 });
    if (result.exitCode === 0) return result;
    if (result.missing) throw new StartStop('program_missing', `${command} is not installed`);
    if (result.timedOut) throw new StartStop('start_timeout', `${command} did not answer`);
    const detail = firstLine(result.stderr) || firstLine(result.stdout) || `exit ${result.exitCode}`;
    // iproute2: `Cannot find device "ap0"`; iw: `command failed: No such device (-19)`.
    if (/Cannot find device|No such device/i.test(detail)) throw new StartStop('interface_missing', `${command} ${args[0]}: ${detail}`);
    throw new StartStop(failure, `${command} ${args.slice(0, 2).join(' ')}: ${detail}`);
  }

  async #quietTool(command: 'ip' | 'iw', args: string[]): Promise<void> {
    const result = await runTool(command, args, { env: this.#env, timeoutMs: this.#opts.toolTimeoutMs ?? 10_000 });
    if (result.exitCode !== 0) this.#log.warn({ command, args: args.slice(0, 2), detail: firstLine(result.stderr) }, 'soft-AP cleanup step failed');
  }

  async #daemon(program: 'hostapd' | 'dnsmasq', args: string[], ready: RegExp, timeoutMs: number, failure: SoftApFailure, onLine?: (line: string) => void): Promise<Daemon> {
    const daemon = startDaemon(program, args, {
      env: this.#env,
      ready,
      onLine: (line) => {
        this.#log.debug({ program, line }, 'soft-AP program output');
        onLine?.(line);
      },
    });
    const outcome = await daemon.waitReady(this.#clock, timeoutMs);
    if (outcome.ready) return daemon;
    if (outcome.timedOut) {
      const exit = await daemon.stop(1000);
      throw new StartStop('start_timeout', `${program} was not ready within ${timeoutMs} ms${tailText(exit)}`);
    }
    const exit = outcome.exit!;
    if (exit.spawnError?.code === 'ENOENT') throw new StartStop('program_missing', `${program} is not installed`);
    throw new StartStop(failure, `${program} exited with ${exitText(exit)}${tailText(exit)}`);
  }

  async #stopDaemon(daemon: Daemon | null): Promise<void> {
    if (daemon) await daemon.stop();
  }

  #hostapdLine(line: string): void {
    const before = this.#stations.size;
    const joined = STA_CONNECTED.exec(line);
    const left = STA_DISCONNECTED.exec(line);
    if (joined) this.#stations.add(joined[1]!.toLowerCase());
    else if (left) this.#stations.delete(left[1]!.toLowerCase());
    if (this.#stations.size !== before) {
      this.#log.info({ clients: this.#stations.size }, 'soft-AP clients changed');
      this.#events.emit({ type: 'clients', count: this.#stations.size });
    }
  }

  /** An exit while this run is current and not being stopped is a crash: clean up, then report. */
  #supervise(running: Running, daemon: Daemon, program: 'hostapd' | 'dnsmasq'): void {
    void daemon.exited.then((exit) => {
      if (this.#running !== running || this.#state !== 'running') return;
      void this.#serial(async () => {
        if (this.#running !== running || this.#state !== 'running') return;
        this.#log.error({ program, code: exit.code, signal: exit.signal, tail: exit.tail.slice(-3) }, 'soft-AP program exited unexpectedly');
        const hadClients = this.#stations.size > 0;
        await this.#teardown();
        this.#state = 'failed';
        if (hadClients) this.#events.emit({ type: 'clients', count: 0 });
        this.#events.emit({ type: 'down', reason: program === 'hostapd' ? 'hostapd_exited' : 'dnsmasq_exited', message: `${program} exited with ${exitText(exit)}${tailText(exit)}` });
      });
    });
  }

  /** Runs the current run's undo steps in reverse; every step is attempted. */
  async #teardown(): Promise<void> {
    const running = this.#running;
    this.#running = null;
    if (!running) return;
    for (const step of running.undo.reverse()) {
      try {
        await step.run();
      } catch (err) {
        this.#log.warn({ err, step: step.what }, 'soft-AP cleanup step failed');
      }
    }
    this.#stations.clear();
  }

  #unexpected(err: unknown): StartStop {
    this.#log.error({ err }, 'unexpected error while starting the soft-AP');
    const code = (err as NodeJS.ErrnoException).code;
    return new StartStop('setup_failed', `could not prepare the AP${code ? `: ${code}` : ''}`);
  }
}

function exitText(exit: DaemonExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** The program's last words; hostapd and dnsmasq never print the passphrase (hostapd only with -K). */
function tailText(exit: DaemonExit): string {
  const last = exit.tail.filter((l) => l.trim() !== '').slice(-2).join(' | ');
  return last ? `: ${last.slice(0, 300)}` : '';
}
