/**
 * The simulated radio's surroundings (`hal.sim.wifiNetworks`): which networks
 * are in range and what their passwords are. Parsed here so the config rule
 * and the simulated Wi-Fi manager agree on one shape.
 */
import type { WifiAuth } from '../../provisioning/provisioning-payload.js';

export interface SimWifiNetwork {
  ssid: string;
  /** Absent or '' for an open network. */
  password?: string;
  auth?: WifiAuth;
  hidden?: boolean;
}

export type SimWifiNetworksResult = { ok: true; value: SimWifiNetwork[] } | { ok: false; message: string };

const KEYS = new Set(['ssid', 'password', 'auth', 'hidden']);

export function parseSimWifiNetworks(value: unknown): SimWifiNetworksResult {
  let list = value;
  if (typeof list === 'string') {
    if (list.trim() === '') return { ok: true, value: [] };
    try {
      list = JSON.parse(list);
    } catch {
      return { ok: false, message: 'is not valid JSON' };
    }
  }
  if (!Array.isArray(list)) return { ok: false, message: 'must be a list of networks' };
  if (list.length > 64) return { ok: false, message: 'at most 64 networks' };
  const out: SimWifiNetwork[] = [];
  for (const [i, n] of list.entries()) {
    const where = `[${i}]`;
    if (typeof n !== 'object' || n === null || Array.isArray(n)) return { ok: false, message: `${where} must be an object` };
    const extra = Object.keys(n).filter((k) => !KEYS.has(k));
    if (extra.length) return { ok: false, message: `${where} has unknown field(s) ${extra.join(', ')}` };
    const { ssid, password, auth, hidden } = n as Record<string, unknown>;
    if (typeof ssid !== 'string' || Buffer.byteLength(ssid) < 1 || Buffer.byteLength(ssid) > 32) return { ok: false, message: `${where}.ssid must be 1–32 bytes` };
    if (password !== undefined && typeof password !== 'string') return { ok: false, message: `${where}.password must be a string` };
    if (auth !== undefined && auth !== 'wpa' && auth !== 'sae' && auth !== 'open') return { ok: false, message: `${where}.auth must be wpa, sae or open` };
    if (hidden !== undefined && typeof hidden !== 'boolean') return { ok: false, message: `${where}.hidden must be true or false` };
    out.push({ ssid, ...(password ? { password } : {}), auth: (auth as WifiAuth | undefined) ?? (password ? 'wpa' : 'open'), hidden: hidden === true });
  }
  return { ok: true, value: out };
}
