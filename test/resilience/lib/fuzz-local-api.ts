import { randomBytes } from 'node:crypto';
import { Agent } from 'node:https';
import { join } from 'node:path';
import type { Test } from 'tap';
import { authenticate } from '../../../src/api/auth/authenticate.js';
import { authorize, type Role } from '../../../src/api/auth/roles.js';
import { TokenAuthority } from '../../../src/api/auth/token-authority.js';
import type { ApiAuth } from '../../../src/api/server/access.js';
import { startLocalApi, type LocalApi } from '../../../src/api/server/local-api.js';
import { systemClock } from '../../../src/core/clock.js';
import { fakeActions, recordingAudit, type FakeActions } from '../../integration/api/server/local-api-rig.js';
import { createPki } from '../../helpers/pki.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The local HTTPS API with the real access control: tokens minted and
 * checked by a real TokenAuthority (token-codec.ts MAC, claims, expiry),
 * Authorization parsed by authenticate.ts, scopes by roles.ts — wired as
 * LocalApiService does it. The device actions are the recording fakes of
 * test/integration/api/server/local-api-rig.ts (any mutating call is on
 * record), and the audit sink records too.
 */
export const DEVICE_ID = 'CAM1';

export interface FuzzApi {
  api: LocalApi;
  /** The CA that signed the server certificate (for raw TLS requests). */
  ca: Buffer;
  agent: Agent;
  actions: FakeActions;
  authority: TokenAuthority;
  tokens: Record<Role, string>;
  /** A real token of this camera's format for another device (same secret, other id). */
  foreignToken: string;
}

/** The ApiAuth adapter LocalApiService builds in #listen(), over the same functions. */
export function realAuth(authority: TokenAuthority): ApiAuth {
  return {
    authenticate: (headers) => {
      const r = authenticate(headers, authority);
      return r.ok ? { ok: true, principal: { tokenId: r.principal.tokenId, role: r.principal.role } } : { ok: false, status: r.failure.status, code: r.failure.code };
    },
    authorize: (principal, scope) => authorize({ ...principal, subject: '', via: 'cloud', expiresAt: 0 } as Parameters<typeof authorize>[0], scope).allowed,
  };
}

export async function startFuzzApi(t: Test): Promise<FuzzApi> {
  const dir = await tempDir(t, 'fuzz-api-');
  const pki = await createPki(dir);
  const secret = randomBytes(32);
  const authority = new TokenAuthority({ deviceId: DEVICE_ID, deviceSecret: secret, statePath: join(dir, 'api-tokens.json'), clock: systemClock });
  await authority.load();
  const other = new TokenAuthority({ deviceId: 'CAM2', deviceSecret: secret, statePath: join(dir, 'other-tokens.json'), clock: systemClock });
  await other.load();
  const mint = (role: Role) => authority.mint({ role, subject: 'tech@example.com', ttlS: 3600, via: 'cloud' }).token;
  const actions = fakeActions();
  const api = await startLocalApi({ cert: pki.server.cert, key: pki.server.key, bindHost: '127.0.0.1', port: 0, auth: realAuth(authority), audit: recordingAudit(), actions });
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca: pki.ca });
  t.teardown(async () => {
    agent.destroy();
    await api.close();
  });
  return {
    api,
    ca: pki.ca,
    agent,
    actions,
    authority,
    tokens: { viewer: mint('viewer'), technician: mint('technician'), admin: mint('admin') },
    foreignToken: other.mint({ role: 'admin', subject: 'x', ttlS: 3600, via: 'cloud' }).token,
  };
}
