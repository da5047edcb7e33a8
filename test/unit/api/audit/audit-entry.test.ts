import t from 'tap';
import { buildEntry, encodeEntry, isImmediate, parseEntry, MAX_LINE_BYTES, type AuditInput } from '../../../../src/api/audit/audit-entry.js';
import { SecretRegistry } from '../../../../src/log/secret-registry.js';

const TS = Date.UTC(2026, 0, 1);
const tech = { type: 'token', tokenId: 'tok_01J9ZX', role: 'technician' } as const;

t.test('a record says who, what, when, from where and the result', async (t) => {
  const e = buildEntry({ actor: tech, action: 'config_change', source: '192.168.1.42', result: { status: 'ok' }, details: { keys: ['motion.sensitivity'] } }, 7, TS);
  t.same(e, { audit: 1, seq: 7, ts: TS, who: { token: 'tok_01J9ZX', role: 'technician' }, action: 'config_change', from: '*.*.*.42', result: 'ok', details: { keys: ['motion.sensitivity'] } });
  t.notOk('code' in e, 'ok carries no code');
});

t.test('denied and failed results carry a code; a code that is not code-like is replaced', async (t) => {
  const denied = buildEntry({ actor: { type: 'anonymous' }, action: 'log_download', source: '10.0.0.5', result: { status: 'denied', code: 'token_expired' } }, 1, TS);
  t.equal(denied.who, 'anonymous');
  t.equal(denied.result, 'denied');
  t.equal(denied.code, 'token_expired');
  const odd = buildEntry({ actor: { type: 'anonymous' }, action: 'login_failed', result: { status: 'failed', code: 'bad password hunter2' } }, 2, TS);
  t.equal(odd.code, 'invalid_code');
  t.equal(odd.from, null, 'no source given: null, not a guess');
});

t.test('cloud and device actors; an odd token id or role is not stored as given', async (t) => {
  t.equal(buildEntry({ actor: { type: 'cloud' }, action: 'reboot', result: { status: 'ok' } }, 1, TS).who, 'cloud');
  t.equal(buildEntry({ actor: { type: 'device' }, action: 'factory_reset', result: { status: 'ok' } }, 1, TS).who, 'device');
  const e = buildEntry({ actor: { type: 'token', tokenId: 'eyJhbGciOi.J9.sig with space', role: 'root' as never }, action: 'login', result: { status: 'ok' } }, 1, TS);
  t.same(e.who, { token: '[invalid]', role: 'viewer' });
});

t.test('an action outside the closed set is refused', async (t) => {
  t.throws(() => buildEntry({ actor: tech, action: 'shell_exec' as never, result: { status: 'ok' } }, 1, TS), TypeError);
});

t.test('details keep only allow-listed keys, checked per kind; the rest is counted, not named', async (t) => {
  const e = buildEntry(
    {
      actor: tech,
      action: 'wifi_change',
      result: { status: 'ok' },
      details: { ssid: 'MyHomeNetwork', reason: 'user request', attempts: 'three', restartRequired: true, keys: ['wifi.ssid', { nested: 1 }], nested: { a: 1 }, payload: 'x' },
    },
    1,
    TS,
  );
  t.same(e.details, { ssid: 'My…(13)', reason: '[invalid]', attempts: '[invalid]', restartRequired: true, keys: ['wifi.ssid', '[invalid]'], droppedKeys: 2 });
});

t.test('routes lose their query string (tokens travel there)', async (t) => {
  const e = buildEntry({ actor: tech, action: 'log_download', result: { status: 'ok' }, details: { route: '/v1/logs?access_token=abc.def', follow: true } }, 1, TS);
  t.same(e.details, { route: '/v1/logs', follow: true });
});

t.test('sentinel secrets never reach the encoded line, whatever key or value carries them', async (t) => {
  const SENTINEL = 'SENTINEL-secret-7f3a';
  const secrets = new SecretRegistry();
  secrets.add(SENTINEL);
  const input: AuditInput = {
    actor: tech,
    action: 'login_failed',
    source: '192.168.1.9',
    result: { status: 'failed', code: 'auth_failed' },
    details: {
      password: SENTINEL,
      token: SENTINEL,
      verificationCode: SENTINEL,
      authorization: `Bearer ${SENTINEL}`,
      reason: SENTINEL, // code-like: passes the allow-list, caught by the registry
      keys: [SENTINEL, 'wifi.password'],
      route: `/v1/login?code=${SENTINEL}`,
      via: `rtsp://admin:${SENTINEL}@10.0.0.2/live`,
    },
  };
  const line = encodeEntry(buildEntry(input, 1, TS), secrets);
  t.notMatch(line, /SENTINEL/);
  t.notMatch(line, /192\.168\.1/);
  const back = parseEntry(line.trimEnd());
  t.ok(back, 'still a valid record after scrubbing');
  t.equal(back!.details!.reason, '[redacted]');
  t.same(back!.details!.keys, ['[redacted]', 'wifi.password']);
  t.equal(back!.details!.droppedKeys, 4);
});

t.test('a record too long for a line keeps everything but its details', async (t) => {
  const many = Array.from({ length: 32 }, (_, i) => `k${i}.${'x'.repeat(90)}`);
  const line = encodeEntry(buildEntry({ actor: tech, action: 'config_change', result: { status: 'ok' }, details: { keys: many, rejected: many } }, 3, TS));
  t.ok(Buffer.byteLength(line) <= MAX_LINE_BYTES + 1);
  t.same(parseEntry(line.trimEnd())!.details, { truncated: true });
  t.equal(parseEntry(line.trimEnd())!.seq, 3);
});

t.test('parsing refuses torn, zero-filled and foreign lines', async (t) => {
  const good = encodeEntry(buildEntry({ actor: tech, action: 'login', result: { status: 'ok' } }, 1, TS)).trimEnd();
  t.ok(parseEntry(good));
  t.equal(parseEntry(good.slice(0, good.length - 5)), null);
  t.equal(parseEntry('\0\0\0\0\0'), null);
  t.equal(parseEntry('{"level":30,"msg":"log line"}'), null);
  t.equal(parseEntry('{"audit":1,"seq":1,"ts":1,"who":"cloud","action":"rm_rf","from":null,"result":"ok"}'), null);
});

t.test('security actions and every denial are synced at once; routine views are batched', async (t) => {
  t.ok(isImmediate({ action: 'login_failed', result: { status: 'failed', code: 'auth_failed' } }));
  t.ok(isImmediate({ action: 'factory_reset', result: { status: 'ok' } }));
  t.notOk(isImmediate({ action: 'snapshot_view', result: { status: 'ok' } }));
  t.ok(isImmediate({ action: 'snapshot_view', result: { status: 'denied', code: 'forbidden' } }));
});
