import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * An id that changes exactly when the board reboots: how the update knows,
 * after the agent starts, whether the reboot it asked for has happened (or
 * the agent was merely restarted, or killed before rebooting).
 *
 * - linux: the kernel's /proc/sys/kernel/random/boot_id (under hal.sysRoot);
 * - sim: hal.sim.bootIdFile when set (tests "reboot" by writing a new id),
 *   else an id per agent process: the simulated board boots when the agent
 *   starts.
 */
const PROCESS_BOOT = randomUUID();

export function bootIdReader(opts: { mode: 'sim' | 'linux'; sysRoot: string; simBootIdFile: string }): () => Promise<string> {
  if (opts.mode === 'linux') {
    const file = join(opts.sysRoot, '/proc/sys/kernel/random/boot_id');
    return async () => (await readFile(file, 'utf8')).trim();
  }
  if (!opts.simBootIdFile) return async () => PROCESS_BOOT;
  const file = opts.simBootIdFile;
  return async () => {
    try {
      return (await readFile(file, 'utf8')).trim() || PROCESS_BOOT;
    } catch {
      return PROCESS_BOOT;
    }
  };
}
