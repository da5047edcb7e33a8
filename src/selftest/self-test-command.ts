import { parseArgs } from 'node:util';
import { halConfig } from '../agent.js';
import { DEFAULT_SYSTEM_FILE, loadConfig } from '../config/load.js';
import { systemClock, type Clock } from '../core/clock.js';
import { createHal, type AgentHal } from '../hal/index.js';
import { createLogging } from '../log/logger.js';
import { NmcliWifiScanner } from '../network/wifi-scan-nmcli.js';
import { SimWifiScanner } from '../network/wifi-scan-sim.js';
import { agentBuildTimeMs } from './build-time.js';
import { formatHumanReport, formatJsonReport } from './report.js';
import { runSelfTest } from './runner.js';
import { SELF_TEST_IDS, selfTestChecks, type SelfTestDeps } from './self-test-checks.js';

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export const SELF_TEST_USAGE = `Usage: camera-agent factory self-test [--config FILE] [--json] [--only ID,ID…]

End-of-line hardware test: camera frames, speaker→microphone tone, status LED,
reset button (the operator presses it), Wi-Fi scan, clock, factory identity.
Prints one row per check and a verdict; exits 0 when every check passes,
1 when any fails, 2 on a usage or configuration error.

  --config FILE   configuration file, layered over the system file as for \`run\`
  --json          print the report as JSON (operator prompts go to stderr)
  --only IDS      run only these checks: ${SELF_TEST_IDS.join(', ')}
  --help          this text`;

export interface SelfTestArgs {
  configFile: string | undefined;
  json: boolean;
  only: string[] | null;
  help: boolean;
}

/** Pure: argv → options, or a usage problem. */
export function parseSelfTestArgs(argv: string[]): SelfTestArgs | { problem: string } {
  let values: { config?: string | undefined; json?: boolean | undefined; only?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, json: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err) };
  }
  let only: string[] | null = null;
  if (values.only !== undefined) {
    only = values.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = only.filter((id) => !(SELF_TEST_IDS as readonly string[]).includes(id));
    if (only.length === 0) return { problem: '--only needs at least one check id' };
    if (unknown.length) return { problem: `unknown check id(s): ${unknown.join(', ')} (known: ${SELF_TEST_IDS.join(', ')})` };
  }
  return { configFile: values.config, json: values.json === true, only, help: values.help === true };
}

/** Hooks for tests; production passes none. */
export interface SelfTestOverrides {
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  deps?: Partial<Pick<SelfTestDeps, 'createFeed' | 'scanner' | 'buttonWaitMs' | 'buildTimeMs'>>;
}

const HAL_STOP_TIMEOUT_MS = 5_000;

/** `camera-agent factory self-test …`; resolves with the process exit code. */
export async function selfTestCommand(argv: string[], io: CommandIo, overrides: SelfTestOverrides = {}): Promise<number> {
  const args = parseSelfTestArgs(argv);
  if ('problem' in args) {
    io.err(`self-test: ${args.problem}`);
    io.err(SELF_TEST_USAGE);
    return 2;
  }
  if (args.help) {
    io.out(SELF_TEST_USAGE);
    return 0;
  }
  const env = overrides.env ?? process.env;
  const clock = overrides.clock ?? systemClock;
  let config;
  try {
    ({ config } = await loadConfig({ systemFile: env.CAMERA_AGENT_SYSTEM_CONFIG || DEFAULT_SYSTEM_FILE, cliFile: args.configFile, env }));
  } catch (err) {
    io.err(`self-test: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  // Logs go to stderr and only when something is wrong: stdout is the report.
  const { logger } = createLogging({ level: 'warn', ringLines: 100, output: { write: (line) => io.err(line.trimEnd()) } });
  // systemClock timers are unref'd (the daemon must not be held up by them);
  // this one-shot command is, until its report is out.
  const keepAlive = setInterval(() => undefined, 60_000);
  let hal: AgentHal | null = null;
  try {
    hal = createHal(halConfig(config), { logger: logger.child({ svc: 'hal' }), clock });
    await hal.start();
    const scanner = overrides.deps?.scanner ?? (hal.mode === 'sim' ? new SimWifiScanner() : new NmcliWifiScanner({ logger }));
    const all = selfTestChecks({ config, hal, clock, logger, scanner, buildTimeMs: agentBuildTimeMs(), ...overrides.deps });
    const checks = args.only ? all.filter((c) => args.only?.includes(c.id)) : all;
    const say = args.json ? io.err : io.out;
    const report = await runSelfTest(checks, { clock, logger, prompt: (line) => say(line) });
    if (args.json) io.out(formatJsonReport(report));
    else for (const line of formatHumanReport(report)) io.out(line);
    return report.verdict === 'pass' ? 0 : 1;
  } catch (err) {
    io.err(`self-test: could not run: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (hal) await stopWithin(hal, HAL_STOP_TIMEOUT_MS, (err) => logger.warn({ err }, 'hal did not stop cleanly'));
    clearInterval(keepAlive);
  }
}

async function stopWithin(hal: AgentHal, ms: number, onError: (err: unknown) => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([hal.stop(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`hal.stop() took over ${ms} ms`)), ms)))]);
  } catch (err) {
    onError(err);
  } finally {
    clearTimeout(timer);
  }
}
