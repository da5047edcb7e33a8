import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Test } from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { CodeLockout } from '../../../src/provisioning/ap/code-lockout.js';
import type { ProvisioningActions, ProvStatus } from '../../../src/provisioning/ap/prov-actions.js';
import { startProvisioningServer } from '../../../src/provisioning/ap/prov-api.js';
import { ProvisioningSessions } from '../../../src/provisioning/ap/prov-session.js';
import type { BindingRequest, WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { makeTestUnit, ProvClient, type TestUnit } from '../../helpers/prov-client.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The `/prov/v1` server as AP mode runs it (real fastify plugin, real
 * SRP sessions and envelopes, real lockout file), reached with
 * `app.inject()`: no socket, so thousands of cases stay cheap. The device
 * actions are a recording stand-in: the HTTP layer's job ends at calling them.
 */
export class RecordingProvActions implements ProvisioningActions {
  wifi: WifiCredentials[] = [];
  bindings: (BindingRequest & { timeZone?: string })[] = [];
  state: ProvStatus = { state: 'idle', reason: null, ip: null, attempt: 0 };
  info() {
    return { model: 'CAM100', sn4: '7890', fw: '1.4.2', state: 'unprovisioned', lastError: null };
  }
  async scan() {
    return { ageS: 3, aps: [{ ssid: 'Home', hidden: false, bssid: 'AA:BB:CC:DD:EE:01', signal: 80, channel: 6, security: ['WPA2'] }] };
  }
  setWifi(creds: WifiCredentials) {
    this.wifi.push(creds);
  }
  setBinding(req: BindingRequest & { timeZone?: string }) {
    this.bindings.push(req);
  }
  async apply() {
    return { apWillDrop: false, retryAfterMs: 1000 };
  }
  status() {
    return this.state;
  }
  reset() {}
  finish() {}
}

export interface ProvRig {
  unit: TestUnit;
  app: FastifyInstance;
  actions: RecordingProvActions;
  sessions: ProvisioningSessions;
  /** The app's client, speaking through app.inject(). */
  client: ProvClient;
}

/** A fetch() over app.inject(), so ProvClient (the app's own envelope code) drives the server without a socket. */
function injectFetch(app: FastifyInstance): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const res = await app.inject({
      method: (init.method ?? 'GET') as 'GET',
      url: url.pathname + url.search,
      headers: (init.headers ?? {}) as Record<string, string>,
      ...(init.body !== undefined && init.body !== null ? { payload: init.body as string } : {}),
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : String(v));
    return new Response(res.rawPayload.length ? res.rawPayload : null, { status: res.statusCode, headers });
  }) as typeof fetch;
}

export async function startProvRig(t: Test, unit: TestUnit = makeTestUnit()): Promise<ProvRig> {
  const dir = await tempDir(t, 'fuzz-prov-');
  const lockout = new CodeLockout({ path: join(dir, 'prov-lockout.json'), clock: systemClock });
  await lockout.load();
  const sessions = new ProvisioningSessions({ serial: unit.label.serial, srp: unit.srp, deviceKey: unit.deviceKey, lockout, clock: systemClock });
  const actions = new RecordingProvActions();
  const server = await startProvisioningServer({ host: '127.0.0.1', port: 0, sessions, actions });
  t.teardown(async () => {
    sessions.closeAll();
    await server.close();
  });
  const client = new ProvClient({ baseUrl: 'http://camera.invalid', serial: unit.label.serial, fetch: injectFetch(server.app) });
  return { unit, app: server.app, actions, sessions, client };
}
