// Runs factoryCommand as a process (node --import tsx test/helpers/factory-cli.ts <sub> …),
// until the CLI maintainer wires `camera-agent factory` into the bundle.
import { factoryCommand } from '../../src/factory/factory-command.js';

process.exitCode = await factoryCommand(process.argv.slice(2), {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
});
