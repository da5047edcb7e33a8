import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import type { Power } from '../types.js';
import { startProgram } from './child-process.js';

/**
 * Reboots through a configured command (default `systemctl reboot`). The
 * agent runs unprivileged, so the firmware grants this one action (a polkit
 * rule for login1's reboot, shipped in firmware-overlay/); the command is an
 * argv list, never a shell string.
 */
export class CommandPower implements Power {
  constructor(private readonly deps: { argv: readonly string[]; logger: Logger }) {}

  async reboot(reason: string): Promise<void> {
    const [command, ...args] = this.deps.argv;
    if (!command) throw new HalError('reboot_failed', 'no reboot command configured');
    this.deps.logger.warn({ reason, command }, 'rebooting');
    const exit = await startProgram(command, args).exited;
    if (exit.spawnError || exit.code !== 0) {
      throw new HalError('reboot_failed', `reboot command failed (${exit.spawnError?.code ?? `exit ${exit.code}`}): ${exit.stderrTail}`);
    }
  }
}
