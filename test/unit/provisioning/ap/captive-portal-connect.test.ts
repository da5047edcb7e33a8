import t, { type Test } from 'tap';
import Fastify from 'fastify';
import {
  captivePortal,
  type CaptivePortalDeps,
  type ConnectOutcome,
  type ConnectRequest,
  type PortalStatus,
} from '../../../../src/provisioning/ap/captive-portal.js';
import { decodeForm, parseConnectForm, parseConnectJson, readLabelCode } from '../../../../src/provisioning/ap/captive-portal-form.js';
import { acceptedLanguages, pickLanguage, refusalText } from '../../../../src/provisioning/ap/captive-portal-messages.js';
import { PORTAL_STRINGS } from '../../../../src/provisioning/ap/portal-assets/portal-strings.js';

/**
 * POST /portal/connect: strict shape and size, the label code read the way
 * people type it, deps.connect() called only with a clean request, and every
 * refusal in words with the right status (A12: a wrong code goes through the
 * device's lockout; 429 + Retry-After when locked out).
 */
const CODE = '7KQ2M9XWV'; // valid check character
const HOST = { host: '192.168.4.1' };
const FORM = { ...HOST, 'content-type': 'application/x-www-form-urlencoded' };

async function portal(t: Test, opts: { connect?: (req: ConnectRequest) => ConnectOutcome | Promise<ConnectOutcome>; status?: PortalStatus; language?: string } = {}) {
  const connects: ConnectRequest[] = [];
  const deps: CaptivePortalDeps = {
    gateway: '192.168.4.1',
    scan: async () => ({ ageS: 1, aps: [{ ssid: 'HomeNet', hidden: false, bssid: 'AA:BB:CC:DD:EE:01', signal: 70, channel: 6, security: ['WPA2'] }] }),
    connect: async (req) => {
      connects.push(req);
      return opts.connect ? opts.connect(req) : { ok: true };
    },
    status: () => opts.status ?? { state: 'idle', reason: null },
    language: () => opts.language ?? 'en',
    appSessionClient: () => false,
    mode: () => 'portal',
  };
  const app = Fastify();
  await app.register(captivePortal(deps));
  t.teardown(() => app.close());
  return { app, connects };
}

t.test('the label code as people type it: dashes, spaces, lower case, look-alikes; the check character catches typos', async (t) => {
  for (const typed of ['7KQ2M9XWV', '7kq2-m9xw-v', ' 7KQ2 M9XW V ', '7kq2m9xwv', '7KQ2\u00a0M9XW\tV']) {
    t.same(readLabelCode(typed), { ok: true, value: CODE }, JSON.stringify(typed));
  }
  t.same(readLabelCode('K3PX-8RTD-9'), { ok: true, value: 'K3PX8RTD9' });
  t.same(readLabelCode('K3PX-8RTD-8'), { ok: false, code: 'code_typo' }, 'one wrong character');
  t.same(readLabelCode('7KQ2M9XVW'), { ok: false, code: 'code_typo' }, 'two characters swapped');
  t.same(readLabelCode('7KQ2M9XW'), { ok: false, code: 'code_malformed' }, 'too short');
  t.same(readLabelCode('7KQ2M9XWVV'), { ok: false, code: 'code_malformed' }, 'too long');
  t.same(readLabelCode('7KQ2M9XWU'), { ok: false, code: 'code_malformed' }, 'U is not in the label alphabet');
  t.same(readLabelCode('7KQ2_M9XW_V'), { ok: false, code: 'code_malformed' });
  t.same(readLabelCode(''), { ok: false, code: 'code_malformed' });
  t.same(readLabelCode('-'.repeat(40)), { ok: false, code: 'code_malformed' }, 'bounded before normalising');
});

t.test('JSON bodies: exactly ssid, password, hidden, code; SSIDs byte-exact and at most 32 bytes', async (t) => {
  t.same(parseConnectJson({ ssid: 'HomeNet', password: 'pw12345678', hidden: false, code: '7kq2-m9xw-v' }), {
    ok: true,
    value: { ssid: 'HomeNet', password: 'pw12345678', hidden: false, code: CODE },
  });
  t.same(parseConnectJson({ ssid: ' space ', code: CODE }), { ok: true, value: { ssid: ' space ', password: null, hidden: false, code: CODE } }, 'S14 never trimmed; no password = open');
  t.same(parseConnectJson({ ssid: 'x', password: '', code: CODE }), { ok: true, value: { ssid: 'x', password: null, hidden: false, code: CODE } }, 'empty password = open');
  t.ok(parseConnectJson({ ssid: '📷'.repeat(8), code: CODE }).ok, 'S8: 32 bytes of emoji (16 UTF-16 units)');
  t.ok(parseConnectJson({ ssid: '家'.repeat(10), code: CODE }).ok, 'S6: 30 bytes');
  const refusals: [unknown, string, string | null][] = [
    [{ ssid: '📷'.repeat(8) + 'a', code: CODE }, 'ssid_too_long', 'ssid'],
    [{ ssid: '家'.repeat(11), code: CODE }, 'ssid_too_long', 'ssid'],
    [{ ssid: '', code: CODE }, 'ssid_required', 'ssid'],
    [{ code: CODE }, 'ssid_required', 'ssid'],
    [{ ssid: 'a\nb', code: CODE }, 'ssid_bad_character', 'ssid'],
    [{ ssid: 'a\u0000b', code: CODE }, 'ssid_bad_character', 'ssid'],
    [{ ssid: 'a\ud800', code: CODE }, 'ssid_bad_character', 'ssid'],
    [{ ssid: 'x', password: 'a\nb', code: CODE }, 'password_bad_character', 'password'],
    [{ ssid: 'x', password: 'p'.repeat(129), code: CODE }, 'psk_too_long', 'password'],
    [{ ssid: 'x', code: 'K3PX-8RTD-8' }, 'code_typo', 'code'],
    [{ ssid: 'x' }, 'code_malformed', 'code'],
    [{ ssid: 'x', code: CODE, extra: 1 }, 'bad_request', null],
    [{ ssid: 'x', code: CODE, __proto__x: 1 }, 'bad_request', null],
    [{ ssid: 1, code: CODE }, 'bad_request', 'ssid'],
    [{ ssid: 'x', password: 12345678, code: CODE }, 'bad_request', 'password'],
    [{ ssid: 'x', hidden: 'yes', code: CODE }, 'bad_request', null],
    [{ ssid: 'x', code: 7 }, 'bad_request', 'code'],
    [['x'], 'bad_request', null],
    ['ssid=x', 'bad_request', null],
    [null, 'bad_request', null],
  ];
  for (const [body, code, field] of refusals) t.same(parseConnectJson(body), { ok: false, code, field }, JSON.stringify(body));
});

t.test('form bodies (no JavaScript): the radio choice, or the typed name for "Other network"', async (t) => {
  t.same(parseConnectForm('ssid=HomeNet&hiddenSsid=&password=correct+horse&code=7kq2+m9xw+v'), {
    ok: true,
    value: { ssid: 'HomeNet', password: 'correct horse', hidden: false, code: CODE },
  });
  t.same(parseConnectForm('ssid=&hiddenSsid=Lab%20Net&password=&code=' + CODE), { ok: true, value: { ssid: 'Lab Net', password: null, hidden: true, code: CODE } });
  t.same(parseConnectForm('ssid=HomeNet&hiddenSsid=Lab&hidden=1&password=x12345678&code=' + CODE), {
    ok: true,
    value: { ssid: 'Lab', password: 'x12345678', hidden: true, code: CODE },
  }, 'hidden=1 picks the typed name');
  t.same(parseConnectForm('ssid=Caf%C3%A9+%E2%98%95&code=' + CODE), { ok: true, value: { ssid: 'Café ☕', password: null, hidden: false, code: CODE } }, 'S4 UTF-8');
  t.same(parseConnectForm('ssid=%3Cscript%3E&code=' + CODE), { ok: true, value: { ssid: '<script>', password: null, hidden: false, code: CODE } });
  t.same(parseConnectForm('ssid=&hiddenSsid=&code=' + CODE), { ok: false, code: 'ssid_required', field: 'ssid' });
  t.same(parseConnectForm('ssid=Caf%E9&code=' + CODE), { ok: false, code: 'bad_request', field: null }, 'S22: bytes that are not UTF-8 are refused, never turned into U+FFFD');
  t.same(parseConnectForm('ssid=a&ssid=b&code=' + CODE), { ok: false, code: 'bad_request', field: null }, 'a repeated field');
  t.same(parseConnectForm('ssid=a&admin=1&code=' + CODE), { ok: false, code: 'bad_request', field: null }, 'an unknown field');
  t.same(parseConnectForm('ssid=%zz&code=' + CODE), { ok: false, code: 'bad_request', field: null }, 'a bad escape');
  t.equal(decodeForm('a=1&'.repeat(20)), null, 'too many fields');
  t.same(decodeForm(''), new Map());
});

t.test('a good JSON request: connect() gets the clean request, the page gets 202', async (t) => {
  const { app, connects } = await portal(t);
  const res = await app.inject({ method: 'POST', url: '/portal/connect', headers: HOST, payload: { ssid: 'HomeNet', password: 'correct horse', hidden: false, code: '7kq2 m9xw v' } });
  t.equal(res.statusCode, 202);
  t.same(res.json(), { ok: true });
  t.equal(res.headers['cache-control'], 'no-store');
  t.same(connects, [{ ssid: 'HomeNet', password: 'correct horse', hidden: false, code: CODE }]);
});

t.test('a good form post: 303 to the progress page', async (t) => {
  const { app, connects } = await portal(t);
  const res = await app.inject({ method: 'POST', url: '/portal/connect', headers: FORM, payload: `ssid=HomeNet&password=correct+horse&code=${CODE}` });
  t.equal(res.statusCode, 303);
  t.equal(res.headers.location, '/portal/progress');
  t.equal(connects.length, 1);
});

t.test('refused before the device is asked: 400 with the field and a sentence; connect() never called', async (t) => {
  const { app, connects } = await portal(t);
  const cases: [Record<string, unknown>, string, string | null, RegExp][] = [
    [{ ssid: 'x'.repeat(33), code: CODE }, 'ssid_too_long', 'ssid', /too long for Wi-Fi/],
    [{ ssid: 'x', code: 'K3PX-8RTD-8' }, 'code_typo', 'code', /typo/],
    [{ ssid: 'x', code: 'nope' }, 'code_malformed', 'code', /9 letters and digits/],
    [{ ssid: 'x', code: CODE, admin: true }, 'bad_request', null, /Check your entries/],
  ];
  for (const [payload, code, field, message] of cases) {
    const res = await app.inject({ method: 'POST', url: '/portal/connect', headers: HOST, payload });
    t.equal(res.statusCode, 400, code);
    t.match(res.json(), { ok: false, code, field, message });
  }
  const form = await app.inject({ method: 'POST', url: '/portal/connect', headers: FORM, payload: 'ssid=x&code=nope' });
  t.equal(form.statusCode, 400, 'a form gets the form back');
  t.match(form.headers['content-type'], 'text/html');
  t.match(form.body, /<div id="notice" class="notice err" role="alert">A setup code has 9 letters and digits/);
  t.equal(connects.length, 0);
});

t.test('strict size limits: a body over 2 KB is 413, other media types 415, broken JSON 400 — all in the same envelope', async (t) => {
  const { app, connects } = await portal(t);
  const big = await app.inject({ method: 'POST', url: '/portal/connect', headers: HOST, payload: { ssid: 'x', code: CODE, password: 'p'.repeat(3000) } });
  t.equal(big.statusCode, 413);
  t.match(big.json(), { ok: false, code: 'too_large' });
  const bigForm = await app.inject({ method: 'POST', url: '/portal/connect', headers: FORM, payload: 'ssid=' + 'x'.repeat(3000) });
  t.equal(bigForm.statusCode, 413);
  const xml = await app.inject({ method: 'POST', url: '/portal/connect', headers: { ...HOST, 'content-type': 'application/xml' }, payload: '<a/>' });
  t.equal(xml.statusCode, 415);
  const text = await app.inject({ method: 'POST', url: '/portal/connect', headers: { ...HOST, 'content-type': 'text/plain' }, payload: `ssid=x&code=${CODE}` });
  t.equal(text.statusCode, 415, 'text/plain is not read as a form');
  const broken = await app.inject({ method: 'POST', url: '/portal/connect', headers: { ...HOST, 'content-type': 'application/json' }, payload: '{"ssid":' });
  t.equal(broken.statusCode, 400);
  t.match(broken.json(), { ok: false, code: 'bad_request' });
  const proto = await app.inject({ method: 'POST', url: '/portal/connect', headers: { ...HOST, 'content-type': 'application/json' }, payload: `{"ssid":"x","code":"${CODE}","__proto__":{"admin":true}}` });
  t.equal(proto.statusCode, 400, 'prototype poisoning is refused by the JSON parser');
  t.equal(connects.length, 0);
});

t.test("the device's refusals: wrong code 403, locked out 429 with Retry-After, busy 409, validation 400 — each in words", async (t) => {
  const answers: ConnectOutcome[] = [
    { ok: false, code: 'wrong_code' },
    { ok: false, code: 'locked_out', retryAfterMs: 120_000 },
    { ok: false, code: 'locked_out', retryAfterMs: 30_000 },
    { ok: false, code: 'code_wrong' },
    { ok: false, code: 'code_wrong', retryAfterMs: 60_000 },
    { ok: false, code: 'busy' },
    { ok: false, code: 'psk_too_short' },
    { ok: false, code: 'something_new' },
  ];
  const { app } = await portal(t, { connect: () => answers.shift()! });
  const post = () => app.inject({ method: 'POST', url: '/portal/connect', headers: HOST, payload: { ssid: 'HomeNet', password: 'short', code: CODE } });

  let res = await post();
  t.equal(res.statusCode, 403);
  t.match(res.json(), { code: 'wrong_code', field: 'code', message: /setup code is not right/ });
  res = await post();
  t.equal(res.statusCode, 429);
  t.equal(res.headers['retry-after'], '120');
  t.match(res.json(), { code: 'locked_out', field: 'code', retryAfterS: 120, message: 'Too many attempts with a wrong setup code. Try again in 2 minutes.' });
  res = await post();
  t.match(res.json(), { message: /Try again in 1 minute\./ }, 'under a minute reads as 1 minute');
  res = await post();
  t.equal(res.statusCode, 403, "label-code-check's spelling, code_wrong, reads the same");
  t.match(res.json(), { code: 'code_wrong', field: 'code', message: /setup code is not right/ });
  res = await post();
  t.equal(res.statusCode, 429, 'a wrong code that started the lockout is a lockout');
  t.equal(res.headers['retry-after'], '60');
  t.match(res.json(), { code: 'code_wrong', field: 'code', message: /Too many attempts.*1 minute/ });
  res = await post();
  t.equal(res.statusCode, 409);
  t.match(res.json(), { code: 'busy', message: /already connecting/ });
  res = await post();
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'psk_too_short', field: 'password', message: /at least 8 characters/ });
  res = await post();
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'something_new', field: null, message: /Check your entries/ }, 'an unknown code still reads as words');
});

t.test('a throwing connect() is a 500 in words, without the error text', async (t) => {
  const { app } = await portal(t, {
    connect: () => {
      throw new Error('nmcli said: secret password hunter2');
    },
  });
  const res = await app.inject({ method: 'POST', url: '/portal/connect', headers: HOST, payload: { ssid: 'x', password: 'hunter2hunter2', code: CODE } });
  t.equal(res.statusCode, 500);
  t.match(res.json(), { ok: false, code: 'internal', message: /Something went wrong in the camera/ });
  t.notMatch(res.body, 'hunter2');
});

t.test('a form refused by the device comes back with the choice and code filled in, never the password', async (t) => {
  const { app } = await portal(t, { connect: () => ({ ok: false, code: 'locked_out', retryAfterMs: 300_000 }), language: 'de' });
  const res = await app.inject({ method: 'POST', url: '/portal/connect', headers: FORM, payload: `ssid=HomeNet&password=correct+horse&code=7kq2-m9xw-v` });
  t.equal(res.statusCode, 429);
  t.equal(res.headers['retry-after'], '300');
  t.match(res.body, 'Versuchen Sie es in 5 Minuten noch einmal.', 'the camera speaks German when the phone states no preference');
  t.match(res.body, /value="HomeNet" data-sec="secured" required checked/);
  t.match(res.body, /id="code"[^>]*value="7kq2-m9xw-v"/);
  t.notMatch(res.body, 'correct horse');
});

t.test('status: the state, the reason, and the reason in words for a failure; never cached', async (t) => {
  const failed = await portal(t, { status: { state: 'failed', reason: 'no_internet' } });
  const res = await failed.app.inject({ url: '/portal/status', headers: { ...HOST, 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' } });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['cache-control'], 'no-store');
  t.same(res.json(), { state: 'failed', reason: 'no_internet', message: PORTAL_STRINGS.de.err_no_internet });
  const connecting = await portal(t, { status: { state: 'connecting', reason: null } });
  t.same((await connecting.app.inject({ url: '/portal/status', headers: HOST })).json(), { state: 'connecting', reason: null, message: null });
  const progress = await failed.app.inject({ url: '/portal/progress?lang=en', headers: HOST });
  t.match(progress.body, 'could not reach the internet');
});

t.test('language: ?lang, then Accept-Language by q-value, then the camera setting, then English', async (t) => {
  t.equal(pickLanguage({ query: 'de', acceptLanguage: 'en', device: 'en' }), 'de');
  t.equal(pickLanguage({ query: 'xx', acceptLanguage: 'de', device: 'en' }), 'de');
  t.equal(pickLanguage({ acceptLanguage: 'fr-FR,de;q=0.8,en;q=0.5', device: 'en' }), 'de', 'first language the portal speaks');
  t.equal(pickLanguage({ acceptLanguage: 'en;q=0.3,de-AT;q=0.9', device: 'en' }), 'de');
  t.equal(pickLanguage({ acceptLanguage: 'de;q=0,en', device: 'de' }), 'en', 'q=0 excludes');
  t.equal(pickLanguage({ acceptLanguage: 'fr, ja', device: 'de' }), 'de', 'no match: the camera language');
  t.equal(pickLanguage({ acceptLanguage: undefined, device: 'fr' }), 'en', 'a camera language without a table: English');
  t.same(acceptedLanguages('*, x-klingon, de-CH;q=0.5, DE'), ['de']);
  const many = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + Math.floor(i / 26) % 26, 97 + (i % 26))).join(',');
  t.ok(acceptedLanguages(many).length <= 20, 'a huge header is read only so far');
  const { app } = await portal(t);
  const de = await app.inject({ url: '/', headers: { ...HOST, 'accept-language': 'de-DE' } });
  t.match(de.body, '<html lang="de">');
  t.equal(de.headers.vary, 'Accept-Language');
});

t.test('refusal wording: minutes rounded up, never "0 minutes"', async (t) => {
  const en = PORTAL_STRINGS.en;
  t.equal(refusalText(en, 'locked_out', 1), en.err_locked_out_minute);
  t.equal(refusalText(en, 'locked_out', 60_000), en.err_locked_out_minute);
  t.equal(refusalText(en, 'locked_out', 60_001), 'Too many attempts with a wrong setup code. Try again in 2 minutes.');
  t.equal(refusalText(en, 'locked_out'), en.err_locked_out);
  t.equal(refusalText(en, 'locked_out', 0), en.err_locked_out);
  t.equal(refusalText(en, '__proto__'), en.err_bad_request, 'a code is looked up, never used as a key path');
});
