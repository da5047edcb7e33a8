// Child process for the fatal-error test: the daemon's handler, then an
// error nobody catches, as a bug deep in a service would produce.
import { createLogging } from '../../src/log/logger.js';
import { exitOnUnhandledErrors } from '../../src/cli/run-command.js';

const { logger, secrets } = createLogging({ level: 'info', ringLines: 100 });
secrets.add(process.argv[3] ?? 'unused-secret');
exitOnUnhandledErrors(logger);
const kind = process.argv[2];
setTimeout(() => {
  if (kind === 'rejection') void Promise.reject(new Error(`lost promise holding ${process.argv[3]}`));
  else throw new Error(`thrown in a timer holding ${process.argv[3]}`);
}, 10);
setTimeout(() => process.stdout.write('still alive\n'), 2000);
