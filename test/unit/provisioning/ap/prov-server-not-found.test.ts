import t from 'tap';
import { systemClock } from '../../../../src/core/clock.js';
import { CodeLockout } from '../../../../src/provisioning/ap/code-lockout.js';
import type { ProvisioningActions } from '../../../../src/provisioning/ap/prov-actions.js';
import { startProvisioningServer } from '../../../../src/provisioning/ap/prov-api.js';
import { ProvisioningSessions } from '../../../../src/provisioning/ap/prov-session.js';
import { makeTestUnit } from '../../../helpers/prov-client.js';
import { tempDir } from '../../../helpers/tmp.js';

/**
 * Found by the fuzz harness (test/resilience/fuzz/prov-api.test.ts): the
 * LAN-bind server has no captive portal at its root, so a path outside
 * /prov/v1 got fastify's default 404 — another error shape, and one that
 * echoes the request path back. It gets the API's `{"error":{"code"}}`.
 */
t.test('a path outside /prov/v1 on a server without portal gets the API error shape, not the path echoed', async (t) => {
  const unit = makeTestUnit();
  const lockout = new CodeLockout({ path: `${await tempDir(t)}/lockout.json`, clock: systemClock });
  await lockout.load();
  const sessions = new ProvisioningSessions({ serial: unit.label.serial, srp: unit.srp, lockout, clock: systemClock });
  const actions = {} as ProvisioningActions;
  const server = await startProvisioningServer({ host: '127.0.0.1', port: 0, sessions, actions });
  t.teardown(() => server.close());
  for (const url of ['/', '/prov/etc/passwd', '/admin<script>', '/prov/v2/info']) {
    const res = await server.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 404, `${url} → 404`);
    t.same(res.json(), { error: { code: 'not_found', message: 'no such endpoint' } }, `${url}: API error shape`);
    t.notMatch(res.body, /passwd|script|v2/, `${url}: the path is not echoed`);
  }
  const inside = await server.app.inject({ method: 'GET', url: '/prov/v1/nope' });
  t.equal(inside.json().error.code, 'not_found', 'inside the prefix the API handler still answers');
});

t.test('a URL that does not percent-decode gets the API error shape, not the URL echoed', async (t) => {
  const unit = makeTestUnit();
  const lockout = new CodeLockout({ path: `${await tempDir(t)}/lockout.json`, clock: systemClock });
  await lockout.load();
  const sessions = new ProvisioningSessions({ serial: unit.label.serial, srp: unit.srp, lockout, clock: systemClock });
  const server = await startProvisioningServer({ host: '127.0.0.1', port: 0, sessions, actions: {} as ProvisioningActions });
  t.teardown(() => server.close());
  for (const url of ['/prov/v1/%', '/prov/v1/info%zz', '/%E0%A4%A']) {
    const res = await server.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 400, `${url} → 400`);
    t.same(res.json(), { error: { code: 'bad_request', message: 'the request URL is malformed' } }, `${url}: API error shape`);
  }
});
