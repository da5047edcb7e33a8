import { randomBytes, randomInt } from 'node:crypto';
import { randomCrockford } from '../factory/crockford.js';
import type { StandInCloud } from './stand-in-cloud.js';

/**
 * The part of the vendor cloud that pairs a camera with an account, as the
 * demo needs it: it issues a single-use binding token (what the phone app
 * gets from `POST /v1/pairing/tokens` and puts in the PRV1 QR code) and
 * answers the camera's `cam/{id}/activate` with `bind.result`: bound for
 * the issued token the first time, `token_used` after, `token_expired` for
 * anything else. docs/protocol.md "Binding to an account".
 */
export interface DemoPairing {
  token: string;
  region: string;
}

export function startDemoPairing(cloud: StandInCloud, say: (line: string) => void): DemoPairing {
  // 26 characters = 130 bits, as provisioning.md §6.4 asks.
  const token = randomCrockford(26, randomBytes);
  const pairing: DemoPairing = { token, region: 'EU' };
  let used = false;
  cloud.onPublish((topic, payload) => {
    const m = /^cam\/([^/]+)\/activate$/.exec(topic);
    if (!m) return;
    let request: { requestId?: unknown; token?: unknown; serial?: unknown };
    try {
      request = JSON.parse(payload.toString('utf8')) as typeof request;
    } catch {
      return;
    }
    if (typeof request.requestId !== 'string') return;
    const ok = request.token === token && !used;
    const code = request.token !== token ? 'token_expired' : 'token_used';
    if (ok) used = true;
    say(ok ? `☁  cloud: token accepted, camera ${String(request.serial)} bound to the demo account` : `☁  cloud: binding refused (${code})`);
    const args = ok ? { requestId: request.requestId, status: 'bound', bindingId: `demo-${randomInt(1e9)}` } : { requestId: request.requestId, status: 'refused', code };
    const body = JSON.stringify({ transaction: `bind-${request.requestId}`, ts: Date.now(), args });
    cloud.publish(`cam/${m[1]}/request/bind.result`, body).catch(() => undefined);
  });
  return pairing;
}
