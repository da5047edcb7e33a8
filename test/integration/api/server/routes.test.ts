import t, { type Test } from 'tap';
import { Ajv } from 'ajv';
import type { ApiRole } from '../../../../src/api/server/access.js';
import { PUBLIC, ROUTES, type RouteId } from '../../../../src/api/server/route-table.js';
import { tempDir } from '../../../helpers/tmp.js';
import { call, NO_SCOPE_TOKEN, SCOPE_MIN_ROLE, startRig, TOKENS, type Answer, type CallOptions, type Rig } from './local-api-rig.js';

/**
 * Every route of the table, over real TLS: no token → 401, a role below the
 * route's scope → 403, a bad body → 400 naming the fields, a good request →
 * 2xx whose JSON matches the documented response schema.
 */

interface Case {
  good: CallOptions & { query?: string };
  /** A body the schema (or the domain rules behind it) refuses, and the fields the 400 must name. */
  bad?: { body: unknown; fields: string[] }[];
  check?: (t: Test, a: Answer, rig: Rig) => void;
}

const CASES: Record<RouteId, Case> = {
  ping: { good: {} },
  login: {
    good: { body: { code: '7KQ2-M9XW-V', subject: 'tech-7' } },
    bad: [
      { body: {}, fields: ['code'] },
      { body: { code: 'x', admin: true }, fields: ['admin'] },
    ],
  },
  openapi: { good: {}, check: (t, a) => t.equal(a.json.openapi, '3.1.0') },
  health: { good: {}, check: (t, a) => t.same(Object.keys(a.json.checks).sort(), ['clock', 'cloudLink', 'memory', 'storage', 'video']) },
  device: { good: {} },
  configGet: { good: {}, check: (t, a) => t.equal(a.json.cloud.password, '***') },
  configPatch: {
    good: { body: { 'motion.sensitivity': 6, 'api.port': 9443 } },
    bad: [
      { body: { 'motion sensitivity': 6 }, fields: ['motion sensitivity'] },
      { body: {}, fields: ['(body)'] },
      { body: { 'no.such.key': 1 }, fields: ['no.such.key'] },
    ],
    check: (t, a) => t.same(a.json, { applied: ['motion.sensitivity'], restartRequired: ['api.port'], rejected: [] }),
  },
  wifiScan: { good: {} },
  wifiPut: {
    good: { body: { ssid: 'HomeNetwork', password: 'correct horse', auth: 'wpa' } },
    bad: [
      { body: { ssid: 'HomeNetwork', auth: 'wep', admin: true }, fields: ['auth', 'admin'] },
      { body: { ssid: 'HomeNetwork', auth: 'wpa', password: 'short' }, fields: ['password'] },
      { body: { ssid: 'ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ', auth: 'open' }, fields: ['ssid'] },
      { body: { ssid: 1, auth: 'wpa', hidden: 'true' }, fields: ['ssid', 'hidden'] },
    ],
  },
  snapshot: { good: {}, check: (t, a) => (t.equal(a.headers['content-type'], 'image/jpeg'), t.equal(a.body.length, 60 * 1024)) },
  zonesGet: { good: {} },
  zonesPut: {
    good: { body: { zones: [{ name: 'drive', points: [[0, 0], [1, 0], [1, 1]], minArea: 5 }] } },
    bad: [
      { body: { zones: [{ name: 'a', points: [[0, 0], [2, 0], [1, 1]] }] }, fields: ['zones[0].points[1][0]'] },
      { body: { zones: [{ name: 'a', points: [[0, 0], [1, 0], [1, 1]] }, { name: 'a', points: [[0, 0], [1, 0], [1, 1]] }] }, fields: ['zones'] },
      { body: { zones: 'x' }, fields: ['zones'] },
    ],
  },
  identify: { good: { body: { seconds: 5 } }, bad: [{ body: { seconds: '5' }, fields: ['seconds'] }, { body: { seconds: 61 }, fields: ['seconds'] }] },
  logs: { good: { query: '?lines=2' } },
  events: { good: {} },
  reboot: { good: {}, bad: [{ body: { now: true }, fields: ['now'] }] },
  provisioningReset: { good: { body: {} }, bad: [{ body: { keepWifi: 1 }, fields: ['keepWifi'] }] },
  factoryReset: {
    good: { body: { confirm: 'erase-all-data' } },
    bad: [{ body: { confirm: 'yes' }, fields: ['confirm'] }, { body: {}, fields: ['confirm'] }],
  },
  selftest: { good: {}, bad: [{ body: [], fields: ['(body)'] }] },
  testTone: { good: { body: { frequencyHz: 440 } }, bad: [{ body: { frequencyHz: 440.5, durationMs: 10 }, fields: ['frequencyHz', 'durationMs'] }] },
  audit: { good: { query: '?limit=10' } },
  // A plain GET is refused with 426; the WebSocket itself is test/integration/api/talkback-ws.test.ts.
  talkbackWs: { good: { query: '?codec=opus' } },
};

const BELOW: Record<ApiRole, ApiRole | null> = { viewer: null, technician: 'viewer', admin: 'technician' };

t.test('route table and this test cover the same routes', async (t) => {
  t.same(ROUTES.map((r) => r.id).sort(), Object.keys(CASES).sort());
  for (const r of ROUTES) if (r.scope !== PUBLIC) t.ok(SCOPE_MIN_ROLE[r.scope], `${r.id}: scope ${r.scope} is one auth knows`);
});

t.test('every route', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  rig.actions.buttonPressed = true;
  const ajv = new Ajv({ strict: false, allErrors: true });

  for (const route of ROUTES) {
    const c = CASES[route.id];
    const path = route.path + (c.good.query ?? '');
    const minRole = route.scope === PUBLIC ? 'viewer' : SCOPE_MIN_ROLE[route.scope]!;
    const streaming = route.id === 'events' || route.websocket !== undefined;

    await t.test(`${route.method} ${route.path}`, async (t) => {
      if (route.scope !== PUBLIC) {
        const none = await call(rig, route.method, path, { body: c.good.body });
        t.equal(none.status, 401, 'no token → 401');
        t.equal(none.json?.error?.code, 'token_missing');
        t.equal(none.headers['www-authenticate'], 'Bearer');

        const below = BELOW[minRole];
        const wrong = await call(rig, route.method, path, { token: below ? TOKENS[below] : NO_SCOPE_TOKEN, body: c.good.body });
        t.equal(wrong.status, 403, `${below ?? 'a token with no scope'} → 403`);
        t.equal(wrong.json?.error?.code, 'forbidden');
      }
      for (const bad of c.bad ?? []) {
        const before = rig.actions.calls.length;
        const a = await call(rig, route.method, path, { token: TOKENS.admin, body: bad.body });
        t.equal(a.status, 400, `bad body ${JSON.stringify(bad.body).slice(0, 60)} → 400`);
        t.same(a.json?.error?.fields?.map((f: { field: string }) => f.field).sort(), [...bad.fields].sort(), 'names the fields');
        t.equal(rig.actions.calls.length - before, 0, 'no action called');
      }
      if (streaming) return; // the SSE and WebSocket tests have it
      const good = await call(rig, route.method, path, { ...c.good, token: TOKENS[minRole] });
      t.ok(good.status >= 200 && good.status < 300, `good request → ${good.status}`);
      t.equal(good.status, route.response.status, 'documented status');
      if (route.response.contentType === 'application/json') {
        const validate = ajv.compile(route.response.schema);
        t.ok(validate(good.json), `answer matches the documented schema ${JSON.stringify(validate.errors ?? [])}`);
      }
      c.check?.(t, good, rig);
      t.notOk(good.text.includes(' at '), 'no stack trace');
    });
  }
});

t.test('device is masked for a viewer, not for a technician', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  const viewer = await call(rig, 'GET', '/v1/device', { token: TOKENS.viewer });
  t.equal(viewer.json.masked, true);
  t.equal(viewer.json.network.ssid, 'Ho…(11)');
  t.equal(viewer.json.network.ip, '*.*.*.42');
  t.equal(viewer.json.identity.mac, '**:**:**:dd:ee:ff');
  t.equal(viewer.json.identity.serial, '…5678');
  t.notOk(viewer.text.includes('HomeNetwork') || viewer.text.includes('SN0012345678') || viewer.text.includes('192.168.1.42'));
  const tech = await call(rig, 'GET', '/v1/device', { token: TOKENS.technician });
  t.equal(tech.json.masked, false);
  t.equal(tech.json.network.ssid, 'HomeNetwork');
});

t.test('factory reset answers 409 button_required until the button was pressed, and audits both', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  const a = await call(rig, 'POST', '/v1/factory-reset', { token: TOKENS.admin, body: { confirm: 'erase-all-data' } });
  t.equal(a.status, 409);
  t.equal(a.json.error.code, 'button_required');
  rig.actions.buttonPressed = true;
  const b = await call(rig, 'POST', '/v1/factory-reset', { token: TOKENS.admin, body: { confirm: 'erase-all-data' } });
  t.equal(b.status, 202);
  const resets = rig.audit.events.filter((e) => e.action === 'factory_reset').map((e) => e.result);
  t.same(resets, [{ status: 'failed', code: 'button_required' }, { status: 'ok' }]);
});

t.test('audit: first use of a token is a login, failures and mutations are recorded, snapshots once a minute', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  await call(rig, 'GET', '/v1/health', { authorization: 'Bearer nope' });
  await call(rig, 'GET', '/v1/health', { token: TOKENS.technician });
  await call(rig, 'GET', '/v1/health', { token: TOKENS.technician });
  await call(rig, 'PATCH', '/v1/config', { token: TOKENS.technician, body: { 'motion.sensitivity': 3 } });
  await call(rig, 'GET', '/v1/snapshot.jpg', { token: TOKENS.technician });
  await call(rig, 'GET', '/v1/snapshot.jpg', { token: TOKENS.technician });
  await call(rig, 'POST', '/v1/reboot', { token: TOKENS.viewer });
  const seen = rig.audit.events.map((e) => `${e.action}:${e.result.status}`);
  t.same(seen, ['login_failed:denied', 'login:ok', 'config_change:ok', 'snapshot_view:ok', 'login:ok', 'reboot:denied']);
  const change = rig.audit.events.find((e) => e.action === 'config_change')!;
  t.same(change.who, { type: 'token', tokenId: 'id-technician', role: 'technician' });
  t.equal(change.from, '127.0.0.1');
  t.same(change.details, { keys: ['motion.sensitivity'], restartRequired: false });
});

t.test('a locked-out source gets 429 with Retry-After', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  const a = await call(rig, 'GET', '/v1/health', { token: 'tok-locked-0001' });
  t.equal(a.status, 429);
  t.equal(a.headers['retry-after'], '30');
  t.equal(a.json.error.retryAfterMs, 30000);
});

t.test('an action that throws something unexpected gives a bare 500, no message or stack', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  rig.actions.health = async () => {
    throw new Error('ENOENT /data/secret/path at Object.<anonymous> (/src/x.ts:1:1)');
  };
  const a = await call(rig, 'GET', '/v1/health', { token: TOKENS.viewer });
  t.equal(a.status, 500);
  t.same(a.json, { error: { code: 'internal_error', message: 'internal error' } });
});

t.test('unknown paths: 401 without a token, 404 with one', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  t.equal((await call(rig, 'GET', '/v1/nope')).status, 401);
  const a = await call(rig, 'GET', '/v1/nope', { token: TOKENS.viewer });
  t.equal(a.status, 404);
  t.equal(a.json.error.code, 'not_found');
  t.equal((await call(rig, 'GET', '/ping')).status, 200);
});
