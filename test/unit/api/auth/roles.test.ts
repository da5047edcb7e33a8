import t from 'tap';
import { AUTH_ERROR_STATUS, wwwAuthenticate } from '../../../../src/api/auth/auth-error.js';
import {
  PUBLIC,
  ROLES,
  ROUTE_POLICIES,
  SCOPES,
  SCOPE_MIN_ROLE,
  authorize,
  findRoutePolicy,
  scopesOf,
  type Principal,
  type Role,
} from '../../../../src/api/auth/roles.js';

function as(role: Role): Principal {
  return { tokenId: 'AAAAAAAAAAAAAAAA', role, subject: 'tech-1', via: 'cloud', expiresAt: 0 };
}

/** What issue 9 asks for, written out independently of the table under test. */
const EXPECTED_MIN_ROLE: Record<string, Role | 'public'> = {
  'GET /ping': 'public',
  'GET /v1/health': 'viewer',
  'GET /v1/device': 'viewer',
  'GET /v1/config': 'viewer',
  'GET /v1/events': 'viewer',
  'PATCH /v1/config': 'technician',
  'GET /v1/wifi/scan': 'technician',
  'PUT /v1/wifi': 'technician',
  'GET /v1/snapshot.jpg': 'technician',
  'GET /v1/motion/zones': 'technician',
  'PUT /v1/motion/zones': 'technician',
  'POST /v1/identify': 'technician',
  'GET /v1/logs': 'technician',
  'GET /v1/audit': 'technician',
  'POST /v1/reboot': 'technician',
  'POST /v1/selftest': 'technician',
  'POST /v1/talkback/test-tone': 'technician',
  'GET /v1/talkback/ws': 'technician',
  'POST /v1/provisioning/reset': 'admin',
  'POST /v1/factory-reset': 'admin',
};

t.test('the route table covers exactly the issue-9 routes, once each', async (t) => {
  const keys = ROUTE_POLICIES.map((r) => `${r.method} ${r.path}`);
  t.same([...keys].sort(), Object.keys(EXPECTED_MIN_ROLE).sort());
  t.equal(new Set(keys).size, keys.length, 'no duplicates');
});

t.test('every route: each role is allowed exactly when it ranks at or above the route minimum', async (t) => {
  for (const route of ROUTE_POLICIES) {
    const min = EXPECTED_MIN_ROLE[`${route.method} ${route.path}`]!;
    for (const role of ROLES) {
      const allowed = min === 'public' || ROLES.indexOf(role) >= ROLES.indexOf(min);
      t.equal(authorize(as(role), route.scope).allowed, allowed, `${role} → ${route.method} ${route.path}`);
    }
    t.equal(authorize(null, route.scope).allowed, min === 'public', `no principal → ${route.method} ${route.path}`);
  }
});

t.test('no principal on a protected scope is token_missing (401); a low role is forbidden (403)', async (t) => {
  t.same(authorize(null, 'health:read'), { allowed: false, failure: { code: 'token_missing', status: 401 } });
  t.same(authorize(as('viewer'), 'reboot:run'), { allowed: false, failure: { code: 'forbidden', status: 403 } });
  t.same(authorize(as('technician'), 'factory:reset'), { allowed: false, failure: { code: 'forbidden', status: 403 } });
});

t.test('unknown scopes are denied, even for admin, including prototype names', async (t) => {
  for (const scope of ['', 'health', 'HEALTH:READ', 'admin', '*', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'health:read ']) {
    t.same(authorize(as('admin'), scope), { allowed: false, failure: { code: 'forbidden', status: 403 } }, JSON.stringify(scope));
  }
});

t.test('a principal with a role outside the three is denied everything', async (t) => {
  const odd = { ...as('admin'), role: 'root' as Role };
  for (const s of SCOPES) t.notOk(authorize(odd, s).allowed, s);
  t.notOk(authorize({ ...as('admin'), role: '__proto__' as Role }, 'health:read').allowed);
});

t.test('scopes are data: every route scope is in the table, every table scope is used by a route', async (t) => {
  const used = new Set(ROUTE_POLICIES.map((r) => r.scope).filter((s) => s !== PUBLIC));
  t.same([...used].sort(), [...SCOPES].sort());
  t.same(scopesOf('viewer').sort(), ['config:read', 'device:read', 'events:read', 'health:read']);
  t.same(scopesOf('admin').sort(), [...SCOPES].sort());
  t.same(scopesOf('technician').filter((s) => SCOPE_MIN_ROLE[s] === 'admin'), []);
});

t.test('route lookup is exact: case, trailing slash, dot segments and encodings find nothing', async (t) => {
  t.equal(findRoutePolicy('GET', '/v1/health')?.scope, 'health:read');
  t.equal(findRoutePolicy('POST', '/v1/factory-reset')?.physicalConfirm, true);
  for (const [m, p] of [
    ['get', '/v1/health'],
    ['GET', '/V1/HEALTH'],
    ['GET', '/v1/health/'],
    ['GET', '//v1/health'],
    ['GET', '/v1/./health'],
    ['GET', '/v1/health;.css'],
    ['GET', '/v1%2fhealth'],
    ['DELETE', '/v1/config'],
    ['TRACE', '/v1/config'],
  ] as const) {
    t.equal(findRoutePolicy(m, p), undefined, `${m} ${p}`);
  }
});

t.test('error codes map to 401/403 and a Bearer challenge', async (t) => {
  t.same(AUTH_ERROR_STATUS, { token_missing: 401, token_invalid: 401, token_expired: 401, token_wrong_device: 401, token_revoked: 401, forbidden: 403 });
  t.equal(wwwAuthenticate('token_missing'), 'Bearer realm="camera"');
  t.equal(wwwAuthenticate('token_expired'), 'Bearer realm="camera", error="invalid_token"');
  t.equal(wwwAuthenticate('forbidden'), 'Bearer realm="camera", error="insufficient_scope"');
});
