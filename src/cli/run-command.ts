import { Agent } from '../agent.js';
import { EventBus } from '../core/bus.js';
import { LiveConfig } from '../config/live-config.js';
import { ConfigError, DEFAULT_SYSTEM_FILE, loadConfig, type ConfigSources, type LoadedConfig } from '../config/load.js';
import { secretValues } from '../config/secret-values.js';
import { formatFieldError } from '../config/validate.js';
import { createLogging, type Logger, type Logging, type LogOutput } from '../log/logger.js';
import { createNotifier, watchdogIntervalMs, type Notifier } from '../system/sd-notify.js';
import type { Io } from './config-commands.js';

export function configSources(cliFile: string | undefined, env: Record<string, string | undefined>): ConfigSources {
  return { systemFile: env.CAMERA_AGENT_SYSTEM_CONFIG || DEFAULT_SYSTEM_FILE, env, ...(cliFile ? { cliFile } : {}) };
}

/**
 * Exit code of a deliberate restart (sysexits.h EX_TEMPFAIL, "try again"):
 * non-zero, so the unit's Restart=on-failure starts a fresh agent after RestartSec.
 */
export const RESTART_EXIT_CODE = 75;

/** Print a configuration error as one line per field; the process then exits 2. */
export function reportConfigError(err: ConfigError, io: Io): void {
  io.err(`configuration error: ${err.message}`);
  for (const e of err.fieldErrors) io.err(`  ${formatFieldError(e)}`);
}

export interface RunningAgent {
  agent: Agent;
  logging: Logging;
  live: LiveConfig;
  notifier: Notifier;
  stop(): Promise<void>;
}

/** Load config, start the agent, report READY. Shared by `run`, `demo` and tests. */
export async function startAgent(opts: {
  sources: ConfigSources;
  output?: LogOutput;
  env?: Record<string, string | undefined>;
  /** See AgentDeps.requestRestart. */
  requestRestart?: (reason: string) => void;
}): Promise<RunningAgent> {
  const env = opts.env ?? process.env;
  const loaded = await loadConfig(opts.sources);
  const logging = createLogging({ level: loaded.config.log.level, ringLines: loaded.config.log.ringLines, ...(opts.output ? { output: opts.output } : {}) });
  for (const layer of loaded.layers) for (const secret of secretValues(layer.values)) logging.secrets.add(secret);
  const logger = logging.logger.child({ svc: 'agent' });
  if (loaded.runtime.recovered) {
    const r = loaded.runtime.recovered;
    logger.warn({ reason: r.reason, from: r.from, quarantined: r.quarantined }, 'runtime configuration was unusable and has been replaced');
  }
  if (loaded.runtime.migratedFrom !== undefined) logger.info({ from: loaded.runtime.migratedFrom }, 'runtime configuration migrated');
  for (const name of loaded.unknownEnv) logger.warn({ variable: name }, 'environment variable names no configuration key');

  const bus = new EventBus();
  const live = new LiveConfig(loaded, loaded.runtimeStore, bus, logging.secrets);
  const notifier = createNotifier(env);
  const agent = new Agent({
    config: live,
    logging,
    bus,
    notifier,
    watchdogIntervalMs: watchdogIntervalMs(env),
    ...(opts.requestRestart ? { requestRestart: opts.requestRestart } : {}),
  });
  await agent.start();
  logger.info({ services: agent.services.map((s) => s.name), state: agent.lifecycle.snapshot.state }, 'agent ready');
  await notifier.notify({ READY: '1', STATUS: `running, ${agent.lifecycle.snapshot.state}` });
  return {
    agent,
    logging,
    live,
    notifier,
    async stop() {
      await notifier.notify({ STOPPING: '1' });
      await agent.stop();
      logger.info('agent stopped');
    },
  };
}

/**
 * An error nobody handled means the agent's state is unknown: log it (the
 * sink writes synchronously, so the line is out before we go) and exit
 * non-zero so systemd restarts a clean process.
 */
export function exitOnUnhandledErrors(logger: Logger, exit: (code: number) => void = (c) => process.exit(c)): void {
  const fatal = (err: unknown) => {
    logger.fatal({ err }, 'unhandled error, exiting');
    exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

/** `camera-agent run`: the daemon. Resolves with the exit code. */
export async function runCommand(cliFile: string | undefined, io: Io): Promise<number> {
  // A restart may be asked for while the services are still starting: remembered until the stop path exists.
  let restart: (reason: string) => void = (reason) => {
    restartReason = reason;
  };
  let restartReason: string | null = null;
  let running: RunningAgent;
  try {
    running = await startAgent({ sources: configSources(cliFile, process.env), requestRestart: (reason) => restart(reason) });
  } catch (err) {
    if (err instanceof ConfigError) {
      reportConfigError(err, io);
      return 2;
    }
    throw err;
  }
  const logger = running.logging.logger.child({ svc: 'agent' });
  exitOnUnhandledErrors(logger);

  // Every timer in the agent is unref'd so tests and the demo can end
  // cleanly; the daemon itself lives until it is told to stop.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (exitCode: number, log: () => void) => {
      if (stopping) return;
      stopping = true;
      clearInterval(keepAlive);
      log();
      // systemd's default TimeoutStopSec is longer, but we promise 5 s.
      const hardStop = setTimeout(() => {
        logger.error('stop took longer than 5 s, exiting anyway');
        resolve(1);
      }, 5000);
      hardStop.unref();
      running.stop().then(
        () => {
          clearTimeout(hardStop);
          resolve(exitCode);
        },
        (err: unknown) => {
          logger.error({ err }, 'stop failed');
          clearTimeout(hardStop);
          resolve(1);
        },
      );
    };
    const onSignal = (signal: NodeJS.Signals) => shutdown(0, () => logger.info({ signal }, 'stopping'));
    restart = (reason) =>
      shutdown(RESTART_EXIT_CODE, () => logger.warn({ reason, exitCode: RESTART_EXIT_CODE }, 'stopping for a restart by systemd (Restart=on-failure)'));
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    if (restartReason !== null) restart(restartReason);
  });
}
