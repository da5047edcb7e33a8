import fc from 'fast-check';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import t from 'tap';
import { bearerToken } from '../../../src/api/auth/authenticate.js';
import { SCOPE_MIN_ROLE, type Role } from '../../../src/api/auth/roles.js';
import { encodeToken, verifyToken, type TokenClaims } from '../../../src/api/auth/token-codec.js';
import { isWellFormedUnicode } from '../../../src/provisioning/payload/utf8.js';
import { PUBLIC, ROUTES } from '../../../src/api/server/route-table.js';
import { call, MUTATING, rawRequest, type Answer } from '../../integration/api/server/local-api-rig.js';
import { ACCEPTED, expect, fuzzTarget, rejected } from '../lib/fuzz-harness.js';
import { AUTH_TRAPS, hostileJsonValue, hostileString, INJECTION, JSON_TRAPS, mutatedObject, mutatedString, NAME_TRAPS, rawJson, rawNumber, SENTINEL_DIR, SENTINEL_PREFIX } from '../lib/fuzz-corpus.js';
import { AUTH_CODES, LOCAL_API_CODES, LOCAL_API_FIELD_CODES } from '../lib/fuzz-codes.js';
import { DEVICE_ID, startFuzzApi } from '../lib/fuzz-local-api.js';
import { validCredentials } from '../lib/fuzz-valid.js';

/**
 * Fuzzing the technician's local HTTPS API (src/api/): the bearer-token
 * codec and Authorization parsing on their own, then the real fastify
 * server over TLS with the real token authority, walking every route of
 * the route table with path-normalisation variants, query strings,
 * headers, auth headers and bodies. No 5xx, every error a documented code,
 * no device action reached without a token whose role carries the route's
 * scope, and good requests answered as the route documents.
 */
const SHORT = 300;
const RANK: Record<Role, number> = { viewer: 1, technician: 2, admin: 3 };

t.test('bearer tokens: only an untouched token of this camera verifies; every refusal is a documented auth code', async (t) => {
  const key = randomBytes(32);
  const otherKey = randomBytes(32);
  const nowMs = Date.UTC(2026, 5, 1);
  const iat = Math.floor(nowMs / 1000) - 60;
  const claims = fc.record({
    v: fc.constant(1 as const),
    tokenId: fc.stringMatching(/^[A-Za-z0-9_-]{16}$/),
    deviceId: fc.constant(DEVICE_ID),
    role: fc.constantFrom('viewer' as const, 'technician' as const, 'admin' as const),
    subject: fc.stringMatching(/^[A-Za-z0-9._@:+-]{1,64}$/),
    via: fc.constant('cloud' as const),
    iat: fc.constant(iat),
    exp: fc.integer({ min: iat + 120, max: iat + 8 * 3600 }),
  });
  const input = fc.oneof(
    { weight: 2, arbitrary: claims.map((c) => ({ token: encodeToken(c, key), valid: c as TokenClaims | undefined })) },
    { weight: 2, arbitrary: mutatedString(claims.map((c) => encodeToken(c, key))).map((token) => ({ token, valid: undefined })) },
    // Claims the device would never mint, with a correct MAC: only a key holder could make these, and they are still refused.
    {
      weight: 2,
      arbitrary: mutatedObject(claims, (k) => (k === 'iat' || k === 'exp' ? fc.oneof(rawNumber(), hostileJsonValue()) : fc.oneof(hostileJsonValue(), fc.constantFrom('admin', 'button', 'CAM2')))).map((c) => {
        // The token format written out from its documentation: base64url(JSON) "." base64url(HMAC-SHA256(key, "cat1." ‖ part)).
        const part = Buffer.from(rawJson(c), 'utf8').toString('base64url');
        return { token: `${part}.${createHmac('sha256', key).update(`cat1.${part}`).digest('base64url')}`, valid: undefined };
      }),
    },
    { weight: 1, arbitrary: claims.map((c) => ({ token: encodeToken(c, otherKey), valid: undefined })) },
    { weight: 1, arbitrary: claims.map((c) => ({ token: encodeToken({ ...c, deviceId: 'CAM2' }, key), valid: undefined })) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom(...AUTH_TRAPS), hostileString(600)).map((token) => ({ token, valid: undefined })) },
  );
  await fuzzTarget(
    t,
    'api-token-codec',
    input,
    ({ token, valid }) => {
      const r = verifyToken(token, { key, deviceId: DEVICE_ID, nowMs });
      // The same text as an Authorization header: parsing never throws and never finds a token that verify would not see.
      const header = bearerToken({ authorization: `Bearer ${token}` });
      if (valid) {
        expect(r.ok && JSON.stringify(r.claims) === JSON.stringify(valid), 'a token this device minted did not verify to its claims');
        expect('token' in header && header.token === token, 'a good token did not survive the Authorization header');
      }
      if (r.ok) {
        // Whatever verified was minted with our key for us, with claims mint() could have made.
        expect(r.claims.deviceId === DEVICE_ID && r.claims.exp > r.claims.iat && r.claims.exp - r.claims.iat <= 8 * 3600, 'verified claims outside what mint() makes');
        expect(!(r.claims.via === 'button' && r.claims.role === 'admin'), 'an offline admin token verified');
        return ACCEPTED;
      }
      return rejected(r.code);
    },
    { shortRuns: 500, codes: AUTH_CODES },
  );
});

/** Header values an HTTP client can send; raw CR/LF/NUL are the HTTP parser's (bad-input-corpus.test.ts sends those raw). */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e]/g, '?');
/** A path as it can go on the request line: printable ASCII as is, anything else percent-encoded. */
const requestPath = (s: string) => s.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(isWellFormedUnicode(c) ? c : '\ufffd'));

/** Streams that stay open (events, log follow, the talk socket): asked only without a token, so they answer at once. */
const STREAMING = new Set(['events', 'talkbackWs']);

function pathVariants(p: string): string[] {
  return [p, `/${p}`, p.toUpperCase(), `${p}/`, p.replace('/v1/', '/v1/./'), `${p};.css`, `${p}%2f`, `${p}.srv`, `/static/..%2f..${p}`, p.replace('/v1/', '/v1%2f'), `/v2${p.slice(3)}`, `${p}%00`, `${p}/..`, p.replace(/\//g, '\\'), `${p}%`];
}

t.test('local API over TLS with real tokens: no 5xx, documented codes, no action without the scope, good requests answered', async (t) => {
  const rig = await startFuzzApi(t);
  const routes = ROUTES.filter((r) => r.id !== 'talkbackWs');
  const route = fc.constantFrom(...routes);
  const auth = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<Role>('viewer', 'technician', 'admin').map((role) => ({ role: role as Role | null, header: `Bearer ${rig.tokens[role]}` as string | undefined })) },
    { weight: 1, arbitrary: fc.constant({ role: null, header: undefined }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(fc.constantFrom(...AUTH_TRAPS, `Bearer ${rig.foreignToken}`, `bearer ${rig.tokens.admin}`, `Bearer ${rig.tokens.admin} x`, `Basic ${rig.tokens.admin}`), mutatedString(fc.constant(`Bearer ${rig.tokens.admin}`)))
        .map((raw) => {
          const header = headerSafe(raw);
          // RFC 6750 / 9110: the scheme is case-insensitive and may be followed by more than one space; the token itself is exact.
          const adminAfterAll = new RegExp(`^[Bb][Ee][Aa][Rr][Ee][Rr] +${rig.tokens.admin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} *$`).test(header);
          return { role: adminAfterAll ? ('admin' as Role | null) : null, header: header as string | undefined };
        }),
    },
  );
  const queryPart = fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('lines', 'limit', 'follow', 'file', 'path', 'auth', 'access_token', '__proto__', 'constructor[prototype][x]', 'a[]'), fc.oneof(fc.constantFrom(...NAME_TRAPS, ...INJECTION, '1', '0', '-1', '1e309', '99999999999', 'true'), hostileString(30))).map(([k, v]) => `?${k}=${encodeURIComponent(isWellFormedUnicode(v) ? v : 'x')}`) },
    { weight: 1, arbitrary: hostileString(60).map((s) => `?${requestPath(s)}`) },
  );
  const body = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant('VALID') },
    { weight: 3, arbitrary: mutatedObject(fc.record({ 'motion.sensitivity': fc.integer({ min: 1, max: 10 }), ssid: fc.constant('Home'), auth: fc.constant('wpa'), password: fc.constant('correct horse'), zones: fc.constant([]), seconds: fc.constant(5) })).map(rawJson) },
    { weight: 2, arbitrary: fc.constantFrom(...JSON_TRAPS) },
    { weight: 1, arbitrary: hostileJsonValue().map(rawJson) },
  );
  const request = fc.record({
    route,
    variant: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 14 }) }),
    method: fc.oneof({ weight: 6, arbitrary: fc.constant('route') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE') }),
    auth,
    query: queryPart,
    body,
    contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x') }),
    extra: fc.option(fc.constantFrom<Record<string, string>>({ 'x-forwarded-for': '127.0.0.1' }, { 'x-real-ip': '127.0.0.1' }, { cookie: 'uid=admin' }, { 'x-http-method-override': 'PUT' }, { host: 'localhost' }, { origin: 'https://evil.example' }), { nil: undefined }),
  });
  let validAnswered = 0;
  await fuzzTarget(
    t,
    'local-api',
    request,
    async (r) => {
      const method = r.method === 'route' ? r.route.method : r.method;
      // A "good request" case is sent the way a client would: JSON, no odd extra header.
      const contentType = r.body === 'VALID' ? 'application/json' : r.contentType;
      const extra = r.body === 'VALID' ? undefined : r.extra;
      let path = requestPath(pathVariants(r.route.path)[r.variant]!);
      let authHeader = r.auth.header;
      let role = r.auth.role;
      if (STREAMING.has(r.route.id) || r.query.includes('follow')) {
        // Would stream forever with a token; without one the refusal is immediate.
        authHeader = undefined;
        role = null;
      }
      path += r.query;
      const exact = r.variant === 0 && r.query === '' && method === r.route.method;
      // Another method on the same path is another route (GET and PATCH /v1/config): its scope decides.
      const target = (r.variant === 0 ? ROUTES.find((x) => x.method === method && x.path === r.route.path) : undefined) ?? r.route;
      const allowed = target.scope === PUBLIC || (role !== null && RANK[role] >= RANK[SCOPE_MIN_ROLE[target.scope as keyof typeof SCOPE_MIN_ROLE]]);
      // The documented good request of a few routes: must be answered with the route's status.
      let payload: string | undefined = r.body === 'VALID' ? undefined : r.body;
      let expectStatus: number | null = null;
      if (r.body === 'VALID' && exact && allowed) {
        if (r.route.id === 'wifiPut') {
          const c = fc.sample(validCredentials(), { numRuns: 1, seed: validAnswered })[0]!;
          payload = JSON.stringify({ ssid: c.ssid, auth: c.auth, ...(c.password !== null ? { password: c.password } : {}), hidden: c.hidden });
          expectStatus = r.route.response.status;
        } else if (!r.route.body && method === 'GET' && r.route.id !== 'logs' && r.route.id !== 'audit') {
          expectStatus = r.route.response.status;
        }
      }
      const callsBefore = rig.actions.calls.length;
      const headers = { ...(payload !== undefined ? { 'content-type': contentType } : {}), ...(extra ?? {}) };
      let a: Answer;
      try {
        a = await call(rig, method, path, { ...(authHeader !== undefined ? { authorization: authHeader } : {}), ...(payload !== undefined ? { rawBody: payload } : {}), headers });
      } catch (err) {
        // Node's client refuses some answers it provoked itself (a body on the 400 for a HEAD whose
        // request line the server could not parse, so could not know was HEAD): read those raw.
        if (!/Parse Error/.test(String(err))) throw err;
        const head = [`${method} ${path} HTTP/1.1`, 'host: localhost', 'connection: close', ...(authHeader !== undefined ? [`authorization: ${authHeader}`] : []), ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
        const bytes = Buffer.from(payload ?? '', 'utf8');
        const raw = await rawRequest(rig, `${head.join('\r\n')}\r\ncontent-length: ${bytes.length}\r\n\r\n${payload ?? ''}`);
        const text = raw.text.slice(raw.text.indexOf('\r\n\r\n') + 4);
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        a = { status: raw.status, headers: {}, body: Buffer.from(text), text, json };
      }
      expect(a.status < 500, `${method} ${path} → ${a.status} ${a.text.slice(0, 200)}`);
      expect(!/\bat \S+ \(|node:internal|\/src\//.test(a.text), 'a stack trace in the answer');
      const mutated = rig.actions.calls.slice(callsBefore).filter((c) => (MUTATING as readonly string[]).includes(c.name));
      // X-HTTP-Method-Override and friends are ignored: the method on the request line and the token decide.
      if (mutated.length) expect(allowed && r.variant === 0 && method === target.method, `${mutated[0]!.name} reached by ${method} ${path} without a token carrying ${target.scope}`);
      if (!allowed) expect(a.status >= 400, `${target.id} answered ${a.status} to a caller without its scope`);
      if (expectStatus !== null) {
        expect(a.status === expectStatus, `a good ${method} ${r.route.path} got ${a.status} ${a.text.slice(0, 200)}`);
        validAnswered++;
      }
      if (a.status < 400 || method === 'HEAD') return ACCEPTED;
      const error = (a.json as { error?: { code?: unknown; fields?: { code: string }[] } } | undefined)?.error;
      expect(error && typeof error.code === 'string', `${a.status} without an error code: ${a.text.slice(0, 200)}`);
      for (const f of error.fields ?? []) expect(LOCAL_API_FIELD_CODES.has(f.code), `field code ${f.code} undocumented`);
      return rejected(error.code as string);
    },
    { shortRuns: SHORT, codes: LOCAL_API_CODES, ceilingMs: 10_000 },
  );
  t.ok(validAnswered > 0, `good requests answered (${validAnswered})`);
  const injected = readdirSync(SENTINEL_DIR).filter((n) => n.startsWith(SENTINEL_PREFIX));
  t.same(injected, [], 'no injected command ran (no sentinel file under /tmp)');
  t.notOk(existsSync(`${SENTINEL_DIR}/${SENTINEL_PREFIX}1`), 'sentinel 1 absent');
});
