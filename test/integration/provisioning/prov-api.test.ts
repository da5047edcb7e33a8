import t, { type Test as T } from 'tap';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { systemClock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/log/logger.js';
import { WifiScanError, type AccessPoint } from '../../../src/network/wifi-scan.js';
import { CodeLockout } from '../../../src/provisioning/ap/code-lockout.js';
import { ProvActionError, type ProvisioningActions, type ProvStatus } from '../../../src/provisioning/ap/prov-actions.js';
import { startProvisioningServer, type ProvServerPlugin } from '../../../src/provisioning/ap/prov-api.js';
import { ProvisioningSessions } from '../../../src/provisioning/ap/prov-session.js';
import type { BindingRequest, WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { makeTestUnit, ProvClient, type TestUnit } from '../../helpers/prov-client.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * The app's side (test/helpers/prov-client.ts, its own envelope code)
 * against the real fastify server on loopback, with the real session layer,
 * lockout file and schema checks. Only the device actions are a recording
 * stand-in: the HTTP layer's job ends at calling them.
 */

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA';
const HOME_SSID = 'MyHomeNetwork';

const APS: AccessPoint[] = [
  { ssid: HOME_SSID, hidden: false, bssid: 'AA:BB:CC:DD:EE:01', signal: 82, channel: 6, security: ['WPA2'] },
  { ssid: 'Café ☕', hidden: false, bssid: 'AA:BB:CC:DD:EE:02', signal: 40, channel: 36, security: ['WPA2', 'WPA3'] },
  { ssid: '', hidden: true, bssid: 'AA:BB:CC:DD:EE:03', signal: 20, channel: 11, security: ['WPA2'] },
];

class RecordingActions implements ProvisioningActions {
  wifi: WifiCredentials[] = [];
  bindings: (BindingRequest & { timeZone?: string })[] = [];
  applied = 0;
  resets = 0;
  finished = 0;
  answered: Promise<void>;
  #answered!: () => void;
  applyError: Error | null = null;
  scanError: Error | null = null;
  state: ProvStatus = { state: 'idle', reason: null, ip: null, attempt: 0 };

  constructor(readonly unit: TestUnit) {
    this.answered = new Promise((resolve) => (this.#answered = resolve));
  }

  info() {
    return { model: 'CAM100', sn4: this.unit.label.serial.slice(-4), fw: '1.4.2', state: 'unprovisioned', lastError: null };
  }
  async scan() {
    if (this.scanError) throw this.scanError;
    return { ageS: 12.4, aps: APS };
  }
  setWifi(creds: WifiCredentials) {
    this.wifi.push(creds);
  }
  setBinding(req: BindingRequest & { timeZone?: string }) {
    this.bindings.push(req);
  }
  async apply() {
    if (this.applyError) throw this.applyError;
    this.applied++;
    this.state = { state: 'connecting', reason: null, ip: null, attempt: 1 };
    return { apWillDrop: true, retryAfterMs: 45_000 };
  }
  applyAnswered() {
    this.#answered();
  }
  status() {
    return this.state;
  }
  reset() {
    this.resets++;
  }
  finish() {
    this.finished++;
  }
}

interface Device {
  unit: TestUnit;
  actions: RecordingActions;
  sessions: ProvisioningSessions;
  url: string;
  lockoutPath: string;
  close(): Promise<void>;
}

async function startDevice(t: T, opts: { unit?: TestUnit; lockoutPath?: string; plugins?: ProvServerPlugin[]; logger?: Logger } = {}): Promise<Device> {
  const unit = opts.unit ?? makeTestUnit();
  const lockoutPath = opts.lockoutPath ?? join(await tempDir(t, 'prov-api-'), 'data', 'prov-lockout.json');
  const logger = opts.logger;
  const lockout = new CodeLockout({ path: lockoutPath, clock: systemClock, ...(logger ? { logger } : {}) });
  await lockout.load();
  const sessions = new ProvisioningSessions({ serial: unit.label.serial, srp: unit.srp, deviceKey: unit.deviceKey, lockout, clock: systemClock, ...(logger ? { logger } : {}) });
  const actions = new RecordingActions(unit);
  const server = await startProvisioningServer({ host: '127.0.0.1', port: 0, sessions, actions, plugins: opts.plugins ?? [], ...(logger ? { logger } : {}) });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    sessions.closeAll();
    await server.close();
  };
  t.teardown(close);
  return { unit, actions, sessions, url: server.url, lockoutPath, close };
}

/** A TCP relay in front of the server that keeps every byte in both directions: what a sniffer on the AP would see. */
async function wiretap(t: T, target: string): Promise<{ url: string; bytes(): Buffer }> {
  const { hostname, port } = new URL(target);
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      chunks.push(d);
      client.write(d);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  t.teardown(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => relay.close(resolve));
  });
  const address = relay.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, bytes: () => Buffer.concat(chunks) };
}

function clientFor(device: Device, url = device.url): ProvClient {
  return new ProvClient({ baseUrl: url, serial: device.unit.label.serial });
}

async function withTimeout<R>(p: Promise<R>, ms: number, what: string): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const fieldCodes = (body: any): string[] => (body?.error?.fields ?? []).map((f: { field: string; code: string }) => `${f.field}:${f.code}`);

t.test('the app\'s whole flow: info → init → verify → scan → config → bind → apply → status, nothing secret in clear on the wire', async (t) => {
  const device = await startDevice(t);
  const tap = await wiretap(t, device.url);
  const app = clientFor(device, tap.url);

  const info = await app.info();
  t.equal(info.status, 200);
  t.equal(info.body.sn4, '7890');

  const hs = await app.handshake(device.unit.label.code);
  t.ok(hs.ok, 'handshake');
  t.equal(hs.signatureValid, true, 'the device signed the transcript');
  t.equal(hs.publicKeyFingerprint, device.unit.publicKeyFingerprint, 'with the key whose fingerprint is on the label');

  const scan = await app.call('/wifi/scan');
  t.equal(scan.status, 200);
  t.ok(scan.sealed);
  t.equal(scan.body.age, 12);
  t.same(scan.body.aps.map((ap: { text: string | null }) => ap.text), [HOME_SSID, 'Café ☕', null]);
  t.equal(Buffer.from(scan.body.aps[1].ssid, 'base64').toString('hex'), '436166c3a920e29895', 'SSID bytes, byte-exact');

  const chosen = Buffer.from(scan.body.aps[0].ssid, 'base64');
  const config = await app.call('/wifi/config', { ssid: chosen.toString('base64'), password: PASSWORD, auth: 'WPA', hidden: false, bssid: null });
  t.same([config.status, config.body], [200, { ok: true }]);
  t.same(device.actions.wifi, [{ ssid: HOME_SSID, ssidAlternates: [], auth: 'wpa', password: PASSWORD, rawPsk: false, hidden: false, transitionDisable: false }]);

  const bind = await app.call('/bind', { token: TOKEN, region: 'EU', tz: 'Europe/Berlin' });
  t.same([bind.status, bind.body], [200, { ok: true }]);
  t.same(device.actions.bindings, [{ token: TOKEN, region: 'EU', timeZone: 'Europe/Berlin' }]);

  const apply = await app.call('/apply');
  t.same([apply.status, apply.body], [200, { ok: true, apWillDrop: true, retryAfterMs: 45_000 }]);
  await withTimeout(device.actions.answered, 2_000, 'applyAnswered after the /apply answer went out');

  const status = await app.call('/status');
  t.same(status.body, { state: 'connecting', reason: null, ip: null, attempt: 1 });
  t.same((await app.call('/reset')).body, { ok: true });
  t.same((await app.call('/finish')).body, { ok: true });
  t.same([device.actions.resets, device.actions.finished], [1, 1]);

  const wire = tap.bytes().toString('latin1');
  t.ok(wire.includes('POST /prov/v1/wifi/config'), 'the tap saw the traffic');
  for (const [name, secret] of [
    ['Wi-Fi password', PASSWORD],
    ['binding token', TOKEN],
    ['label code', device.unit.label.code],
    ['home SSID', HOME_SSID],
  ] as const) {
    t.notOk(wire.includes(secret), `${name} not in clear`);
    t.notOk(wire.includes(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, '')), `${name} not merely base64-encoded`);
    t.notOk(wire.includes(Buffer.from(secret, 'utf8').toString('hex')), `${name} not hex-encoded`);
  }
});

t.test('A1: /info without a session gives public facts only (sn4, never the serial)', async (t) => {
  const device = await startDevice(t);
  const res = await clientFor(device).info();
  t.equal(res.status, 200);
  t.same(res.body, {
    pv: 1,
    model: 'CAM100',
    sn4: '7890',
    fw: '1.4.2',
    sec: ['srp6a-3072-sha512/aes-256-gcm'],
    caps: ['scan', 'hidden', 'sae', 'bind', 'tz'],
    state: 'unprovisioned',
    lastError: null,
  });
  const text = JSON.stringify(res.body);
  t.notOk(text.includes(device.unit.label.serial), 'no full serial');
  t.notOk(text.includes(Buffer.from(device.unit.srp.salt).toString('base64')), 'no salt');
  t.equal(res.headers.get('cache-control'), 'no-store');
});

t.test('A2: encrypted endpoints without a session, with an unknown sid or an unfinished handshake → 401, before the body is read', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  const envelope = { seq: 1, ct: Buffer.alloc(40).toString('base64') };

  const none = await app.send('/wifi/config', envelope, { sid: null });
  t.same([none.status, none.body.error.code], [401, 'session_required']);
  t.equal(none.headers.get('www-authenticate'), 'Prov1');

  const unknown = await app.send('/wifi/config', envelope, { sid: Buffer.alloc(16, 7).toString('base64') });
  t.same([unknown.status, unknown.body.error.code], [401, 'session_unknown']);

  const garbled = await app.request('POST', '/status', envelope, { authorization: 'Bearer abc' });
  t.same([garbled.status, garbled.body.error.code], [401, 'session_required']);

  const notJson = await app.request('POST', '/wifi/config', '{{{ not json', { authorization: `Prov1 ${Buffer.alloc(16).toString('base64')}`, 'content-type': 'application/json' });
  t.equal(notJson.status, 401, 'a broken body from someone without a session is not even parsed');

  const init = await app.request('POST', '/session/init', { I: device.unit.label.serial, A: Buffer.alloc(384, 3).toString('base64') });
  t.equal(init.status, 200);
  const pending = await app.send('/status', envelope, { sid: init.body.sid });
  t.same([pending.status, pending.body.error.code], [401, 'session_not_verified']);
});

t.test('A3: five wrong codes → 429 with Retry-After, and the lock survives a restart on the same lockout file', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  const statuses: number[] = [];
  let last: any = null;
  for (let i = 0; i < 5; i++) {
    const hs = await app.handshake('7KQ2M9XXS');
    statuses.push(hs.verify?.status ?? hs.init.status);
    last = hs.verify;
  }
  t.same(statuses, [401, 401, 401, 401, 401], 'each wrong proof is a 401');
  t.equal(last.body.error.code, 'srp_proof_mismatch');
  t.equal(last.headers.get('retry-after'), '60', 'the fifth already says for how long');

  const locked = await app.handshake(device.unit.label.code);
  t.equal(locked.init.status, 429, 'even the right code is refused now');
  t.equal(locked.init.body.error.code, 'locked_out');
  const retryAfter = Number(locked.init.headers.get('retry-after'));
  t.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter} s`);

  await device.close();
  const rebooted = await startDevice(t, { unit: device.unit, lockoutPath: device.lockoutPath });
  const afterReboot = await clientFor(rebooted).handshake(device.unit.label.code);
  t.equal(afterReboot.init.status, 429, 'still locked after the restart');
  t.ok(Number(afterReboot.init.headers.get('retry-after')) <= retryAfter);
  const portalCheck = await rebooted.sessions.checkLabelCode(device.unit.label.code);
  t.equal(portalCheck.ok ? 'ok' : portalCheck.code, 'locked_out', 'the portal door is locked as well');
});

t.test('A4: a replayed envelope is refused and the action does not run twice', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  t.ok((await app.handshake(device.unit.label.code)).ok);
  const envelope = app.seal('/wifi/config', { ssid: Buffer.from(HOME_SSID).toString('base64'), password: PASSWORD, auth: 'WPA' });
  const first = await app.send('/wifi/config', envelope);
  t.equal(first.status, 200);
  const replay = await app.send('/wifi/config', envelope);
  t.same([replay.status, replay.body.error.code, fieldCodes(replay.body)], [400, 'envelope_replayed', ['seq:envelope_replayed']]);
  t.equal(device.actions.wifi.length, 1);
  const older = await app.send('/status', app.seal('/status', {}, { seq: envelope.seq - 0 }));
  t.equal(older.status, 400, 'a fresh envelope with an old seq is a replay too');
  t.equal((await app.call('/status')).status, 200, 'the session goes on');
});

t.test('A5: a tampered ciphertext or an envelope moved to another path fails GCM → 400; the session is kept', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  t.ok((await app.handshake(device.unit.label.code)).ok);

  const envelope = app.seal('/wifi/config', { ssid: Buffer.from(HOME_SSID).toString('base64'), password: PASSWORD, auth: 'WPA' });
  const ct = Buffer.from(envelope.ct, 'base64');
  ct[5]! ^= 0x20;
  const tampered = await app.send('/wifi/config', { seq: envelope.seq, ct: ct.toString('base64') });
  t.same([tampered.status, tampered.body.error.code], [400, 'envelope_auth_failed']);

  const moved = await app.send('/bind', app.seal('/wifi/config', { token: TOKEN, region: 'EU' }));
  t.same([moved.status, moved.body.error.code], [400, 'envelope_auth_failed'], 'AAD binds the path');
  t.same([device.actions.wifi.length, device.actions.bindings.length], [0, 0]);

  const untouched = await app.send('/wifi/config', envelope);
  t.equal(untouched.status, 200, 'the original envelope still works: failed ones did not burn its seq');
});

t.test('A6: a 33-byte SSID, a 7-character WPA password, auth "WEP" → 400 with field errors (sealed)', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  t.ok((await app.handshake(device.unit.label.code)).ok);
  const cases: [unknown, string[]][] = [
    [{ ssid: Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456').toString('base64'), password: PASSWORD, auth: 'WPA' }, ['ssid:ssid_too_long']],
    [{ ssid: Buffer.from(HOME_SSID).toString('base64'), password: '1234567', auth: 'WPA' }, ['password:psk_too_short']],
    [{ ssid: Buffer.from(HOME_SSID).toString('base64'), password: '0123456789', auth: 'WEP' }, ['auth:wep_unsupported']],
    [{ ssid: Buffer.from('436166e9', 'hex').toString('base64'), password: PASSWORD, auth: 'WPA' }, ['ssid:ssid_not_utf8']],
    [{ ssid: Buffer.from(HOME_SSID).toString('base64'), password: PASSWORD, auth: 'WPA', admin: true }, ['admin:unknown_field']],
    [{ password: PASSWORD, auth: 'WPA' }, ['ssid:missing']],
  ];
  for (const [body, expected] of cases) {
    const res = await app.call('/wifi/config', body);
    t.same([res.status, res.sealed, res.body.error.code, fieldCodes(res.body)], [400, true, 'invalid_body', expected], expected.join(' '));
  }
  const bind = await app.call('/bind', { token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VD', region: 'XX', tz: 'Mars/Olympus' });
  t.same(fieldCodes(bind.body), ['token:bad_token', 'region:bad_region', 'tz:bad_timezone']);
  t.same([device.actions.wifi.length, device.actions.bindings.length], [0, 0]);
});

t.test('A10: two phones at once each get their own session; a third waits; no cross-session data', async (t) => {
  const device = await startDevice(t);
  const phoneA = clientFor(device);
  const phoneB = clientFor(device);
  t.ok((await phoneA.handshake(device.unit.label.code)).ok);
  t.ok((await phoneB.handshake(device.unit.label.code)).ok);

  const third = await clientFor(device).handshake(device.unit.label.code);
  t.same([third.init.status, third.init.body.error.code], [503, 'too_many_sessions']);
  t.equal(third.init.headers.get('retry-after'), '300');

  t.ok(device.sessions.isAuthenticatedPeer('127.0.0.1'), 'the portal can tell app clients by address');
  const a = await phoneA.call('/status');
  const b = await phoneB.call('/status');
  t.same([a.status, b.status], [200, 200]);

  // Phone B's sid on phone A's envelope: opens with neither key.
  const crossed = await phoneA.send('/status', phoneA.seal('/status', {}), { sid: phoneB.sid });
  t.same([crossed.status, crossed.body.error.code], [400, 'envelope_auth_failed']);
});

t.test('oversized and malformed bodies get 4xx with the field errors', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  const serial = device.unit.label.serial;

  const big = await app.request('POST', '/session/init', { I: serial, A: 'A'.repeat(9000) });
  t.same([big.status, big.body.error.code, fieldCodes(big.body)], [413, 'body_too_large', ['(body):too_large']]);

  const notJson = await app.request('POST', '/session/init', '{"I": "AC', { 'content-type': 'application/json' });
  t.same([notJson.status, notJson.body.error.code, fieldCodes(notJson.body)], [400, 'body_not_json', ['(body):bad_json']]);

  const extra = await app.request('POST', '/session/init', { I: serial, A: 'AAAA', role: 'admin' });
  t.same([extra.status, fieldCodes(extra.body)], [400, ['role:unknown_field']]);

  const types = await app.request('POST', '/session/init', { I: 12, A: ['AAAA'] });
  t.same([types.status, fieldCodes(types.body)], [400, ['I:wrong_type', 'A:wrong_type']], 'no coercion');

  const longA = await app.request('POST', '/session/init', { I: serial, A: 'A'.repeat(600) });
  t.same([longA.status, fieldCodes(longA.body)], [400, ['A:too_long']]);

  const badB64 = await app.request('POST', '/session/init', { I: serial, A: 'AAAAA' });
  t.same([badB64.status, fieldCodes(badB64.body)], [400, ['A:bad_base64']]);

  const empty = await app.request('POST', '/session/init', '', { 'content-type': 'application/json' });
  t.same([empty.status, fieldCodes(empty.body)], [400, ['(body):missing']]);

  const plain = await app.request('POST', '/session/init', 'I=AC&A=AAAA', { 'content-type': 'text/plain' });
  t.same([plain.status, plain.body.error.code], [415, 'unsupported_media_type']);

  const proto = await app.request('POST', '/session/init', '{"I":"AC1234567890","A":"AAAA","__proto__":{"x":1}}', { 'content-type': 'application/json' });
  t.equal(proto.status, 400, 'prototype poisoning refused');

  const wrongI = await app.request('POST', '/session/init', { I: 'AC0000000000', A: Buffer.alloc(384, 2).toString('base64') });
  t.same([wrongI.status, fieldCodes(wrongI.body)], [400, ['I:identity_mismatch']], 'another camera\'s serial');

  t.ok((await app.handshake(device.unit.label.code)).ok);
  const seqString = await app.send('/status', { seq: '1', ct: app.seal('/status', {}).ct });
  t.same([seqString.status, fieldCodes(seqString.body)], [400, ['seq:wrong_type']]);

  const bigEnvelope = await app.send('/wifi/config', app.seal('/wifi/config', { ssid: 'QQ==', auth: 'WPA', password: 'x'.repeat(9000) }));
  t.same([bigEnvelope.status, bigEnvelope.body.error.code], [413, 'body_too_large']);

  for (const [what, bytes] of [['not JSON', Buffer.from('{"seq":')], ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d])]] as const) {
    const sealed = app.sealBytes('/status', bytes);
    const res = app.unseal('/status', await app.send('/status', sealed), sealed.seq);
    t.same([res.status, res.sealed, res.body.error.code], [400, true, 'body_not_json'], `a sealed body that is ${what}`);
  }

  const inner = await app.call('/status', { verbose: true });
  t.same([inner.status, inner.sealed, fieldCodes(inner.body)], [400, true, ['verbose:unknown_field']]);

  const missing = await app.request('GET', '/nope');
  t.same([missing.status, missing.body.error.code], [404, 'not_found']);
});

t.test('action failures come back sealed with their code; unknown failures say only internal_error', async (t) => {
  const device = await startDevice(t);
  const app = clientFor(device);
  t.ok((await app.handshake(device.unit.label.code)).ok);

  device.actions.applyError = new ProvActionError('nothing_staged', 'send /wifi/config first', 409);
  const apply = await app.call('/apply');
  t.same([apply.status, apply.sealed, apply.body], [409, true, { error: { code: 'nothing_staged', message: 'send /wifi/config first' } }]);

  device.actions.scanError = new WifiScanError('radio_off', 'rfkill');
  const scan = await app.call('/wifi/scan');
  t.same([scan.status, scan.body.error.code], [503, 'radio_off']);

  device.actions.applyError = new Error(`boom with ${PASSWORD}`);
  const boom = await app.call('/apply');
  t.same([boom.status, boom.body], [500, { error: { code: 'internal_error', message: 'internal error' } }]);
});

t.test('other plugins (the captive portal) share the server and keep the root; the API keeps its prefix', async (t) => {
  const portal: ProvServerPlugin = async (app) => {
    app.get('/', async () => 'portal page');
    app.setNotFoundHandler((_req, reply) => reply.code(302).header('location', 'http://192.168.4.1/').send());
  };
  const device = await startDevice(t, { plugins: [portal] });
  const home = await fetch(`${device.url}/`);
  t.same([home.status, await home.text()], [200, 'portal page']);
  const probe = await fetch(`${device.url}/generate_204`, { redirect: 'manual' });
  t.same([probe.status, probe.headers.get('location')], [302, 'http://192.168.4.1/']);
  const apiMissing = await clientFor(device).request('GET', '/nope');
  t.same([apiMissing.status, apiMissing.body.error.code], [404, 'not_found']);
  t.equal((await clientFor(device).info()).status, 200);
});

t.test('a port already in use is a rejected start, with nothing left half-open', async (t) => {
  const device = await startDevice(t);
  const port = Number(new URL(device.url).port);
  await t.rejects(
    startProvisioningServer({ host: '127.0.0.1', port, sessions: device.sessions, actions: device.actions }),
    { code: 'EADDRINUSE' },
  );
  t.equal((await clientFor(device).info()).status, 200, 'the first server still serves');
});

t.test('nothing logs the Wi-Fi password, the token or the code, even when an action\'s error quotes them', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  const device = await startDevice(t, { logger });
  const app = clientFor(device);
  await app.handshake('7KQ2M9XXS');
  t.ok((await app.handshake(device.unit.label.code)).ok);
  await app.call('/wifi/config', { ssid: Buffer.from(HOME_SSID).toString('base64'), password: PASSWORD, auth: 'WPA' });
  await app.call('/bind', { token: TOKEN, region: 'EU' });
  device.actions.applyError = new Error(`join failed for ${PASSWORD} / ${TOKEN}`);
  t.equal((await app.call('/apply')).status, 500);
  const log = lines.join('');
  t.ok(log.includes('wrong verification code') && log.includes('action failed'), 'the events are logged');
  for (const secret of [PASSWORD, TOKEN, device.unit.label.code]) t.notOk(log.includes(secret));
});
