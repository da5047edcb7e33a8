import t, { type Test } from 'tap';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { PUBLIC, ROUTES } from '../../../../src/api/server/route-table.js';
import { tempDir } from '../../../helpers/tmp.js';
import { call, MUTATING, rawRequest, startRig, TOKENS, type Answer } from './local-api-rig.js';
import { injectionStrings } from '../../../helpers/injection-corpus.js';

/**
 * security.md §5.2 against every route: injection strings, traversal,
 * auth-bypass strings, type confusion, odd numbers and strings, oversized
 * and malformed requests. Each must get an answer below 500, change nothing
 * on the device (the fake actions record every mutating call; injected
 * commands would touch a sentinel file) and leave the server answering.
 */
const RUN = randomUUID().slice(0, 8);
const sentinel = (n: number) => `/tmp/INJ_${RUN}_${n}`;
const INJECTION = [
  ...injectionStrings(sentinel),
  '%p%s%s%s%s%n',
  '<script>alert(1)</script>',
  '","admin":true,"x":"',
  'a"\n}\nnetwork={\nssid="evil"\nkey_mgmt=NONE\n}',
  '\r\nSet-Cookie: admin=1',
  '\x1b[2J\x1b[1;1H[INFO] ok',
  '../../etc/passwd',
  '${jndi:ldap://x/a}',
  'abc\u0000def',
  '\ud800',
  '\ufeffBOM',
  '',
  'A'.repeat(33),
];
const TRAVERSAL = ['../../../etc/shadow', '..%2f..%2fetc%2fshadow', '%2e%2e/%2e%2e/etc/shadow', '..%252f..%252fetc%252fshadow', '..\\..\\etc\\shadow', '....//....//etc/shadow', '/etc/shadow', 'logs/..;/config', 'logs%00.txt', '%c0%ae%c0%ae/etc/shadow'];
const BYPASS_AUTH = ['', 'Basic ', 'Basic Og==', 'Basic YWRtaW46YWRtaW4=', 'Bearer ', 'Bearer null', 'Bearer undefined', `Bearer ${'A'.repeat(4000)}`, 'bearer tok-admin-0001', 'Bearer  tok-admin-0001', 'Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.', 'Bearer tök-admin'];
const BYPASS_HEADERS: Record<string, string>[] = [{ cookie: 'uid=admin' }, { 'x-forwarded-for': '127.0.0.1' }, { host: 'localhost' }, { 'x-real-ip': '127.0.0.1' }, { 'x-http-method-override': 'PUT' }];
const TYPE_CONFUSION = ['"x"', '["x"]', 'null', '1', 'true', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}', '{"a":1,"a":2}', `${'['.repeat(10000)}${']'.repeat(10000)}`, '{'];
const NUMBERS = ['1e309', '-0', '9007199254740993', '"NaN"', '"Infinity"', '-1', '1.5', '{}', '[]', 'null', '"1"'];

function mutations(rigCalls: Array<{ name: string }>): string[] {
  return rigCalls.filter((c) => (MUTATING as readonly string[]).includes(c.name)).map((c) => c.name);
}

t.test('bad-input corpus against every route', async (t) => {
  const rig = await startRig(await tempDir(t), { headersTimeoutMs: 1000, requestTimeoutMs: 2000 });
  t.teardown(() => rig.close());
  const statuses = new Map<number, number>();
  const seen = (a: Answer | { status: number }) => statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  const below500 = (tt: Test, a: Answer | { status: number }, what: string) => {
    seen(a);
    if (!(a.status >= 400 && a.status < 500)) tt.fail(`${what} → ${a.status}`);
    if ('text' in a && /\bat \S+ \(|node:internal|\/src\//.test(a.text)) tt.fail(`${what}: stack trace in answer`);
  };

  for (const route of ROUTES.filter((r) => r.scope !== PUBLIC)) {
    await t.test(`${route.method} ${route.path}`, async (t) => {
      const actionCallsBefore = rig.actions.calls.length;
      const authCallsBefore = rig.auth.calls;
      // Auth bypass: nothing but 401 (or 431 for the oversized one), and no action reached.
      for (const authorization of BYPASS_AUTH) below500(t, await call(rig, route.method, route.path, { authorization }), `Authorization ${authorization.slice(0, 30)}`);
      for (const headers of BYPASS_HEADERS) below500(t, await call(rig, route.method, route.path, { headers }), `headers ${JSON.stringify(headers)}`);
      below500(t, await call(rig, route.method, `${route.path}?auth=YWRtaW46MTEK&access_token=${TOKENS.admin}`), 'token in query');
      for (const method of ['HEAD', 'OPTIONS', 'TRACE', 'DELETE']) below500(t, await call(rig, method, route.path), `${method} without token`);
      t.equal(rig.actions.calls.length, actionCallsBefore, 'no action reached without a valid token');
      t.ok(rig.auth.calls > authCallsBefore, 'auth asked every time');

      // Path variants with a valid admin token: never the route itself.
      const p = route.path;
      const variants = [`/${p}`, p.toUpperCase(), `${p}/`, p.replace('/v1/', '/v1/./'), `${p};.css`, `${p}%2f`, `${p}.srv`, `/static/..%2f..${p}`, p.replace('/v1/', '/v1%2f'), `/v2${p.slice(3)}`];
      for (const v of variants) {
        const a = await call(rig, route.method, v, { token: TOKENS.admin });
        below500(t, a, `path ${v}`);
        t.not(a.status, route.response.status, `path ${v} does not reach the route`);
      }
      // Traversal and unknown parameters in the query.
      for (const q of TRAVERSAL) {
        for (const name of ['file', 'path', 'lines', 'limit', 'follow']) {
          const a = await call(rig, route.method, `${route.path}?${name}=${q}`, { token: TOKENS.admin, ...(route.body ? { body: {} } : {}) });
          below500(t, a, `query ${name}=${q}`);
          t.equal(a.status, 400, `query ${name}=${q} → 400`);
        }
      }
      // Oversized header values, URL and many headers.
      below500(t, await call(rig, route.method, route.path, { authorization: `Bearer ${'A'.repeat(64 * 1024)}` }), '64 KiB Authorization');
      below500(t, await call(rig, route.method, `${route.path}?${'a'.repeat(64 * 1024)}`, { token: TOKENS.admin }), '64 KiB URL');
      const many: Record<string, string> = {};
      for (let i = 0; i < 200; i++) many[`x-h${i}`] = 'v';
      below500(t, await call(rig, route.method, route.path, { headers: many }), '200 headers');

      if (route.body) {
        // Type confusion and parser traps on the body.
        for (const raw of TYPE_CONFUSION) {
          const a = await call(rig, route.method, route.path, { token: TOKENS.admin, rawBody: raw });
          below500(t, a, `body ${raw.slice(0, 30)}`);
        }
        below500(t, await call(rig, route.method, route.path, { token: TOKENS.admin, rawBody: '{}', headers: { 'content-type': 'text/plain' } }), 'text/plain body');
        below500(t, await call(rig, route.method, route.path, { token: TOKENS.admin, rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'form body');
        // Every field × injection strings and odd numbers.
        const props = Object.keys((route.body.properties ?? {}) as object);
        const fields = props.length ? props : ['motion.sensitivity', 'api.port'];
        for (const field of fields) {
          for (const s of INJECTION) {
            const body = route.id === 'wifiPut' ? { ssid: 'Home', auth: 'wpa', password: 'correct horse', [field]: s } : { [field]: s };
            const a = await call(rig, route.method, route.path, { token: TOKENS.admin, body });
            seen(a);
            t.ok(a.status < 500, `${field}=${JSON.stringify(s).slice(0, 30)} → ${a.status}`);
          }
          for (const n of NUMBERS) {
            const a = await call(rig, route.method, route.path, { token: TOKENS.admin, rawBody: `{"${field}":${n}}` });
            seen(a);
            t.ok(a.status < 500, `${field}=${n} → ${a.status}`);
          }
        }
        // A 1 MiB body is refused before it is parsed.
        const big = await call(rig, route.method, route.path, { token: TOKENS.admin, rawBody: `{"a":"${'x'.repeat(1024 * 1024)}"}` }).catch(() => ({ status: 413 }));
        below500(t, big, '1 MiB body');
        t.equal(big.status, 413);
      }
    });
  }

  await t.test('wire-level tricks (raw TLS)', async (t) => {
    const auth = `Authorization: Bearer ${TOKENS.admin}\r\n`;
    const cases: Array<[string, string]> = [
      ['both Content-Length and Transfer-Encoding', `POST /v1/reboot HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ['Content-Length -1', `POST /v1/reboot HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`],
      ['Content-Length 4294967296, no body', `POST /v1/reboot HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 4294967296\r\n\r\n`],
      ['token followed by a newline', `GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKENS.admin}\n\r\n\r\n`],
      ['token with NUL', `GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok-admin\u00000001\r\n\r\n`],
      ['query string 1 MiB', `GET /v1/health?${'q'.repeat(1024 * 1024)} HTTP/1.1\r\nHost: x\r\n${auth}\r\n`],
      ['chunked body larger than the limit', `PATCH /v1/config HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${'10000\r\n' + 'x'.repeat(0x10000) + '\r\n'}${'10000\r\n' + 'x'.repeat(0x10000) + '\r\n'}0\r\n\r\n`],
    ];
    for (const [what, bytes] of cases) {
      const a = await rawRequest(rig, bytes);
      seen(a);
      t.ok(a.status >= 400 && a.status < 500, `${what} → ${a.status}`);
    }
    // Slowloris: headers never finish; the server gives up on its own.
    const slow = await rawRequest(rig, `GET /v1/health HTTP/1.1\r\nHost: x\r\n`, 6000);
    seen(slow);
    t.ok(slow.status === 408 || slow.status === 0, `unfinished headers → ${slow.status || 'closed'}`);
  });

  // Strings that are valid values (an SSID may be `a'b` or `$(touch …)`: it is
  // data, handed on verbatim) do reach the data-setting actions; nothing that
  // acts (reboot, resets, identify, tone, selftest) ever ran.
  const ran = new Set(mutations(rig.actions.calls));
  t.same([...ran].filter((n) => !['setWifi', 'patchConfig', 'setMotionZones'].includes(n)), [], 'no acting action ran');
  for (const c of rig.actions.calls.filter((c) => c.name === 'setWifi')) {
    const ssid = (c.args[0] as { ssid: string }).ssid;
    t.ok(ssid === 'Home' || INJECTION.includes(ssid), `SSID handed on verbatim: ${JSON.stringify(ssid).slice(0, 40)}`);
  }
  for (const c of rig.actions.calls.filter((c) => c.name === 'patchConfig')) {
    t.ok(Object.values(c.args[0] as object).every((v) => typeof v === 'number' && Number.isFinite(v)), 'config values reaching the config layer are finite numbers here');
  }
  for (let n = 1; n <= 12; n++) t.notOk(existsSync(sentinel(n)), `sentinel ${n} untouched`);
  const ping = await call(rig, 'GET', '/ping');
  t.equal(ping.status, 200, 'server still answers');
  t.comment(`statuses seen: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.notOk([...statuses.keys()].some((s) => s >= 500), 'no 5xx anywhere');
});
