import { parseArgs } from 'node:util';
import { configCheck, configShow, type Io } from './cli/config-commands.js';
import { configSources, reportConfigError, runCommand } from './cli/run-command.js';
import { ConfigError } from './config/load.js';
import { USAGE } from './cli/usage.js';
import { agentVersion } from './cli/version.js';

const io: Io = {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
};

class UsageError extends Error {}

/** Dispatch argv to a command; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (first === '--version' || first === '-v') {
    io.out(agentVersion());
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out(USAGE.main!);
    return first === undefined ? 2 : 0;
  }
  try {
    switch (first) {
      case 'run': {
        const { values } = parse(argv.slice(1), { config: { type: 'string' } });
        if (values.help) return help('run');
        return await runCommand(values.config as string | undefined, io);
      }
      case 'demo': {
        const { values } = parse(argv.slice(1), { out: { type: 'string' }, ap: { type: 'boolean' } });
        if (values.help) return help('demo');
        const { demoCommand } = await import('./demo/demo-command.js');
        return await demoCommand({ out: values.out as string | undefined, ap: values.ap === true }, io);
      }
      case 'factory': {
        // Factory-station and end-of-line tools; loaded only when used.
        if (second === 'self-test') {
          const { selfTestCommand } = await import('./selftest/self-test-command.js');
          return await selfTestCommand(argv.slice(2), io);
        }
        const { factoryCommand } = await import('./factory/factory-command.js');
        return await factoryCommand(argv.slice(1), io);
      }
      case 'qr': {
        // Provisioning QR codes: make them (app team, tests) and read photos of them.
        const { qrCommand } = await import('./cli/qr-command.js');
        return await qrCommand(argv.slice(1), io);
      }
      case 'motion': {
        const { motionCommand } = await import('./cli/motion-command.js');
        return await motionCommand(argv.slice(1), io);
      }
      case 'onvif': {
        // Support tool for the streamer's ONVIF service; loaded only when used.
        const { onvifCommand } = await import('./cli/onvif-command.js');
        return await onvifCommand(argv.slice(1), io);
      }
      case 'ota': {
        // Vendor-side firmware-update signing (keygen, sign, verify); loaded only when used.
        const { otaCommand } = await import('./cli/ota-command.js');
        return await otaCommand(argv.slice(1), io);
      }
      case 'config': {
        if (second === 'check') {
          const { values, positionals } = parse(argv.slice(2), {}, true);
          if (values.help) return help('config check');
          if (positionals.length !== 1) throw new UsageError('config check takes exactly one FILE');
          return await configCheck(positionals[0]!, io);
        }
        if (second === 'show') {
          const { values } = parse(argv.slice(2), { config: { type: 'string' }, origin: { type: 'boolean' } });
          if (values.help) return help('config show');
          return await configShow(configSources(values.config as string | undefined, process.env), values.origin === true, io);
        }
        if (second === '--help' || second === '-h') {
          io.out(`${USAGE['config check']}\n\n${USAGE['config show']}`);
          return 0;
        }
        throw new UsageError(`unknown config command: ${second ?? '(none)'}`);
      }
      default:
        throw new UsageError(`unknown command: ${first}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`camera-agent: ${err.message}\nRun 'camera-agent --help' for usage.`);
      return 2;
    }
    if (err instanceof ConfigError) {
      reportConfigError(err, io);
      return 2;
    }
    throw err;
  }
}

function help(command: string): number {
  io.out(USAGE[command]!);
  return 0;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean' }>;

interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

function parse(args: string[], options: OptionSpec, allowPositionals = false): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
