import { execFile } from 'node:child_process';

/**
 * systemd's notify protocol (READY=1, WATCHDOG=1, STATUS=, STOPPING=1).
 *
 * Node cannot send AF_UNIX datagrams (nodejs/node#30059), so we hand each
 * message to `systemd-notify`, which every systemd system has, instead of a
 * native addon that would need cross-compiling for every camera SoC. Since
 * systemd 246, systemd-notify waits on a barrier until the manager has read
 * the message, so the old race where a short-lived sender could not be
 * attributed to the unit is gone; the unit still needs NotifyAccess=all
 * because the sender is a child of the main process. READY=1 carries
 * MAINPID so the manager tracks node, not the helper.
 */
export interface Notifier {
  readonly enabled: boolean;
  notify(fields: Record<string, string>): Promise<void>;
}

export function createNotifier(env: Record<string, string | undefined> = process.env, command = 'systemd-notify'): Notifier {
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return { enabled: false, notify: async () => undefined };
  return {
    enabled: true,
    notify(fields) {
      const args = Object.entries(fields).map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`);
      if ('READY' in fields) args.unshift(`--pid=${process.pid}`);
      return new Promise((resolve) => {
        // Never let the notifier block or crash the agent: a failed ping only
        // means systemd will restart us, which is what it is for.
        execFile(command, args, { timeout: 5000, env: { ...process.env, NOTIFY_SOCKET: socket } }, () => resolve());
      });
    },
  };
}

/** The watchdog interval systemd asked for, in ms, or null when none (WATCHDOG_USEC, WATCHDOG_PID). */
export function watchdogIntervalMs(env: Record<string, string | undefined> = process.env, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return usec / 1000;
}
