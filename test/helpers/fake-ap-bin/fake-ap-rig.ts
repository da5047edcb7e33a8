import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeNmcli, type FakeNmState, type FakeNmcli } from '../fake-nmcli.js';

/**
 * Drives the fake hostapd, dnsmasq, ip, iw and nmcli in this directory
 * (fake-ap.mjs). A test states the machine it wants (interfaces, which
 * program fails) and gets an environment with the fakes first on PATH; the
 * soft-AP backends run them like the real ones, and calls() gives back
 * every command in the order it ran.
 */
export const FAKE_AP_DIR = new URL('./', import.meta.url).pathname;

export interface FakeApState {
  /** Interfaces that exist for ip/iw/hostapd. */
  interfaces: string[];
  /** Addresses `ip addr add` put on each interface. */
  addresses?: Record<string, string[]>;
  /** 'fail': driver refuses AP mode (exit 1); 'hang': never reports AP-ENABLED. */
  hostapd?: { mode?: 'ok' | 'fail' | 'hang'; message?: string };
  /** 'fail': cannot bind (exit 2). */
  dnsmasq?: { mode?: 'ok' | 'fail' };
  /** `ip` calls whose argv starts with these items fail with this stderr and code. */
  ipFail?: Array<{ argv: string[]; stderr: string; code?: number }>;
  /** `iw dev <if> station dump` prints this many stations. */
  stations?: Record<string, number>;
  /** `iw list` shows an AP+STA combination. */
  iwConcurrent?: boolean;
  /** Set by `iw reg set`. */
  reg?: string;
  /** `nmcli connection up` of the hotspot fails with this NM reason. */
  nmUpFails?: string;
}

export interface FakeApCall {
  prog: 'hostapd' | 'dnsmasq' | 'ip' | 'iw' | 'nmcli';
  pid: number;
  argv?: string[];
  /** Daemons: a signal they received. */
  signal?: string;
  /** Config file modes (octal strings), never its content. */
  conf?: { mode: string | null; dirMode: string | null } | null;
}

export interface FakeAp {
  env: NodeJS.ProcessEnv;
  nm: FakeNmcli;
  calls(): FakeApCall[];
  /** `prog argv…` per call, signals as `prog <SIGNAL>`. */
  lines(): string[];
  rawLog(): string;
  state(): FakeApState;
  update(change: (s: FakeApState) => void): void;
  /** pid of the last started daemon of this name. */
  pidOf(prog: 'hostapd' | 'dnsmasq'): number;
}

export function fakeAp(dir: string, state: FakeApState, nmState: Partial<FakeNmState> = {}): FakeAp {
  const nm = fakeNmcli(dir, nmState);
  const stateFile = join(dir, 'ap-state.json');
  const logFile = join(dir, 'ap-calls.jsonl');
  writeFileSync(stateFile, JSON.stringify(state));
  writeFileSync(logFile, '');
  const calls = () =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as FakeApCall);
  return {
    env: { ...nm.env, PATH: `${FAKE_AP_DIR}:${nm.env.PATH}`, FAKE_AP_STATE: stateFile, FAKE_AP_LOG: logFile },
    nm,
    calls,
    lines: () => calls().map((c) => (c.signal ? `${c.prog} ${c.signal}` : [c.prog, ...(c.argv ?? [])].join(' '))),
    rawLog: () => readFileSync(logFile, 'utf8'),
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as FakeApState,
    update: (change) => {
      const s = JSON.parse(readFileSync(stateFile, 'utf8')) as FakeApState;
      change(s);
      writeFileSync(stateFile, JSON.stringify(s));
    },
    pidOf: (prog) => {
      const started = calls().filter((c) => c.prog === prog && c.argv && !c.argv.includes('--test'));
      const last = started.at(-1);
      if (!last) throw new Error(`${prog} was never started`);
      return last.pid;
    },
  };
}
