/**
 * The one way into node-wifi 2.0.16 (a customer-required dependency), with
 * the guards its Linux code needs. Read from node_modules/node-wifi/src:
 *
 * - env.js is `module.exports = Object.assign(process.env, {LANG, LC_ALL,
 *   LC_MESSAGES: 'en_US.UTF-8'})`, and every linux-*.js requires it at load
 *   time, so merely `require('node-wifi')` rewrites the locale of the whole
 *   agent and of every child it spawns — and en_US.UTF-8 is usually not
 *   installed on a camera, so nmcli falls back to the C locale and prints
 *   non-ASCII SSIDs as '?'. loadNodeWifi() restores those three variables
 *   right after loading.
 * - The `env` node-wifi passes to execFile is that very process.env object,
 *   read when the child is spawned; the spawn happens synchronously inside
 *   each call. withNmcliEnv() therefore swaps process.env's contents for the
 *   environment nmcli must see (the agent's, with the C.UTF-8 locale of
 *   nmcliEnv, or a test's PATH) for the duration of the synchronous call,
 *   then puts everything back: the rest of the agent never sees a change.
 * - linux-delete.js passes that env object as execFile's *options*
 *   argument. Harmless for ordinary variables, but a variable named like a
 *   spawn option (`shell`, `cwd`, `uid`, `timeout`…) would become one —
 *   `shell=/bin/sh` would run nmcli through a shell. Such names are removed
 *   while node-wifi spawns.
 * - No call has a timeout: a wedged nmcli would never settle. Callers race
 *   node-wifi's promise against their own deadline.
 */
import { createRequire } from 'node:module';
import { nmcliEnv } from './wifi-scan-nmcli.js';

/** The part of node-wifi's API the agent uses (see wifi-manager-nmcli.ts for why only this). */
export interface NodeWifi {
  init(options: { iface?: string | null; debug?: boolean }): void;
  /** `nmcli connection delete id <ap.ssid>`; rejects with execFile's error (numeric `code` = nmcli's exit code). */
  deleteConnection(ap: { ssid: string }): Promise<void>;
}

const LOCALE_KEYS = ['LANG', 'LC_ALL', 'LC_MESSAGES'] as const;

/** child_process options execFile reads from its options object (Node 20 lib/child_process.js). */
const SPAWN_OPTION_KEYS = ['cwd', 'env', 'argv0', 'stdio', 'detached', 'uid', 'gid', 'shell', 'serialization', 'signal', 'timeout', 'killSignal', 'maxBuffer', 'encoding', 'windowsHide', 'windowsVerbatimArguments'];

let nodeWifi: NodeWifi | null = null;

/** Loads node-wifi once, leaving process.env as it was before. */
export function loadNodeWifi(): NodeWifi {
  if (nodeWifi) return nodeWifi;
  const saved = LOCALE_KEYS.map((k) => [k, process.env[k]] as const);
  try {
    const loaded = createRequire(import.meta.url)('node-wifi') as NodeWifi;
    // init() only picks the platform's functions; the interface is not used by deleteConnection.
    loaded.init({ iface: null });
    nodeWifi = loaded;
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return nodeWifi;
}

/**
 * Runs `call` — a node-wifi function, which spawns nmcli synchronously —
 * with process.env holding exactly nmcliEnv(base) minus spawn-option names,
 * and restores process.env before returning.
 */
export function withNmcliEnv<T>(base: NodeJS.ProcessEnv, call: () => T): T {
  const wanted = nmcliEnv(base);
  for (const k of SPAWN_OPTION_KEYS) delete wanted[k];
  const saved = { ...process.env };
  replaceEnv(wanted);
  try {
    return call();
  } finally {
    replaceEnv(saved);
  }
}

function replaceEnv(next: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in next)) delete process.env[k];
  for (const [k, v] of Object.entries(next)) if (v !== undefined) process.env[k] = v;
}
