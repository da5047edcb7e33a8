import { SCOPE_MIN_ROLE as POLICY_MIN_ROLE } from '../../../../src/api/auth/roles.js';
import { request as httpsRequest, Agent } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { createPki } from '../../../helpers/pki.js';
import type { ApiActions, DeviceEvent } from '../../../../src/api/server/api-actions.js';
import { ApiActionError } from '../../../../src/api/server/api-actions.js';
import type { ApiAudit, ApiAuditEvent, ApiAuth, ApiRole } from '../../../../src/api/server/access.js';
import { startLocalApi, type LocalApi, type LocalApiLimits, type LocalApiOptions } from '../../../../src/api/server/local-api.js';
import type { MotionRegion } from '../../../../src/media/motion/regions.js';

/**
 * A local API on loopback with a throw-away certificate, fake actions that
 * record every call, a fake auth with one token per role and a recording
 * audit sink. Shared by the route tests, the bad-input corpus and the bench.
 */

export const TOKENS: Readonly<Record<ApiRole, string>> = { viewer: 'tok-viewer-0001', technician: 'tok-tech-0001', admin: 'tok-admin-0001' };
/** A token the fake auth answers 429 for (locked-out source). */
export const LOCKED_TOKEN = 'tok-locked-0001';
/** A valid token whose principal holds no scope at all: 403 on every route, even viewer ones. */
export const NO_SCOPE_TOKEN = 'tok-noscope-0001';

const RANK: Record<ApiRole, number> = { viewer: 1, technician: 2, admin: 3 };
/** The real policy (src/api/auth/roles.ts): the route table is checked against what auth enforces, not a copy. */
export const SCOPE_MIN_ROLE: Readonly<Record<string, ApiRole>> = POLICY_MIN_ROLE;

export function fakeAuth(): ApiAuth & { calls: number } {
  const byToken = new Map(Object.entries(TOKENS).map(([role, tok]) => [tok, role as ApiRole]));
  return {
    calls: 0,
    authenticate(headers) {
      this.calls++;
      const h = headers.authorization;
      if (typeof h !== 'string' || h === '') return { ok: false, status: 401, code: 'token_missing' };
      const m = /^Bearer ([A-Za-z0-9._-]{1,2048})$/.exec(h);
      if (!m) return { ok: false, status: 401, code: 'token_invalid' };
      if (m[1] === LOCKED_TOKEN) return { ok: false, status: 429, code: 'locked_out', retryAfterMs: 30_000 };
      if (m[1] === NO_SCOPE_TOKEN) return { ok: true, principal: { tokenId: 'id-noscope', role: 'viewer' } };
      const role = byToken.get(m[1]!);
      if (!role) return { ok: false, status: 401, code: 'token_invalid' };
      return { ok: true, principal: { tokenId: `id-${role}`, role } };
    },
    authorize(principal, scope) {
      if (principal.tokenId === 'id-noscope') return false;
      const need = Object.prototype.hasOwnProperty.call(SCOPE_MIN_ROLE, scope) ? SCOPE_MIN_ROLE[scope] : undefined;
      return !!need && RANK[principal.role] >= RANK[need];
    },
  };
}

export function recordingAudit(): ApiAudit & { events: ApiAuditEvent[] } {
  const events: ApiAuditEvent[] = [];
  return { events, record: (e) => void events.push(e) };
}

/** Actions that change the device: any call to one of these is a side effect. */
export const MUTATING = ['patchConfig', 'setWifi', 'setMotionZones', 'identify', 'reboot', 'resetProvisioning', 'factoryReset', 'selftest', 'testTone'] as const;

export interface FakeActions extends ApiActions {
  calls: Array<{ name: string; args: unknown[] }>;
  /** Push an event to every /v1/events subscriber. */
  emit(event: DeviceEvent): void;
  /** Push a log line to every follower. */
  log(line: string): void;
  readonly subscribers: number;
  buttonPressed: boolean;
  jpeg: Buffer;
}

/** A JPEG-looking buffer of `bytes` (SOI … EOI): the server never decodes it. */
export function fakeJpeg(bytes: number): Buffer {
  const b = Buffer.alloc(bytes, 0x5a);
  b[0] = 0xff;
  b[1] = 0xd8;
  b[bytes - 2] = 0xff;
  b[bytes - 1] = 0xd9;
  return b;
}

export function fakeActions(): FakeActions {
  const eventSubs = new Set<(e: DeviceEvent) => void>();
  const logSubs = new Set<(l: string) => void>();
  let zones: MotionRegion[] = [{ name: 'door', points: [[0, 0], [0.5, 0], [0.5, 0.5]] }];
  const a: FakeActions = {
    calls: [],
    buttonPressed: false,
    jpeg: fakeJpeg(60 * 1024),
    get subscribers() {
      return eventSubs.size + logSubs.size;
    },
    emit: (e) => eventSubs.forEach((s) => s(e)),
    log: (l) => logSubs.forEach((s) => s(l)),
    async health() {
      const ok = { status: 'ok' as const };
      return { status: 'ok', uptimeS: 12, checks: { cloudLink: ok, video: ok, storage: ok, clock: ok, memory: { status: 'degraded', code: 'rss_high', detail: 'RSS 180 MB' } } };
    },
    async device() {
      return {
        identity: { model: 'CAM-1', serial: 'SN0012345678', hwRevision: 'B', mac: 'AA:BB:CC:DD:EE:FF' },
        versions: { agent: '0.1.0', firmware: '2024.06', node: process.version },
        network: { ssid: 'HomeNetwork', ip: '192.168.1.42', mac: 'AA:BB:CC:DD:EE:FF', signal: 71, gateway: '192.168.1.1' },
        lifecycle: 'online_bound',
      };
    },
    async config() {
      return { api: { port: 8443, bind: '' }, motion: { sensitivity: 5 }, cloud: { password: '***' } };
    },
    async patchConfig(changes) {
      // Recorded only when written: a rejected change writes nothing (all or nothing), which is what the sentinel checks.
      const rejected = Object.entries(changes)
        .filter(([k, v]) => !['motion.sensitivity', 'api.port', 'alarm.enabled'].includes(k) || (typeof v !== 'number' && typeof v !== 'boolean'))
        .map(([k]) => ({ field: k, code: 'invalid', message: 'not a known key or wrong value' }));
      if (rejected.length) return { applied: [], restartRequired: [], rejected };
      a.calls.push({ name: 'patchConfig', args: [changes] });
      return { applied: Object.keys(changes).filter((k) => k !== 'api.port'), restartRequired: Object.keys(changes).filter((k) => k === 'api.port'), rejected: [] };
    },
    async wifiScan() {
      return { ageS: 3, aps: [{ ssid: 'HomeNetwork', hidden: false, bssid: 'AA:BB:CC:DD:EE:01', signal: 80, channel: 6, security: ['WPA2'] }] };
    },
    async setWifi(creds) {
      a.calls.push({ name: 'setWifi', args: [creds] });
    },
    async snapshot() {
      return a.jpeg;
    },
    async motionZones() {
      return zones;
    },
    async setMotionZones(z) {
      a.calls.push({ name: 'setMotionZones', args: [z] });
      zones = z;
    },
    async identify(seconds) {
      a.calls.push({ name: 'identify', args: [seconds] });
    },
    async logs(q) {
      return Array.from({ length: Math.min(q.lines, 3) }, (_, i) => `line ${i}`);
    },
    followLogs(onLine) {
      logSubs.add(onLine);
      return () => logSubs.delete(onLine);
    },
    subscribeEvents(onEvent) {
      eventSubs.add(onEvent);
      return () => eventSubs.delete(onEvent);
    },
    async reboot() {
      a.calls.push({ name: 'reboot', args: [] });
      return { delayMs: 1000 };
    },
    async resetProvisioning() {
      a.calls.push({ name: 'resetProvisioning', args: [] });
      return { delayMs: 1000 };
    },
    async factoryReset() {
      if (!a.buttonPressed) throw new ApiActionError('button_required', 'press the button on the camera, then retry within 60 s', 409);
      a.calls.push({ name: 'factoryReset', args: [] });
      return { delayMs: 2000 };
    },
    async selftest() {
      a.calls.push({ name: 'selftest', args: [] });
      return { ok: true, checks: [{ name: 'video', ok: true }] };
    },
    async testTone(tone) {
      a.calls.push({ name: 'testTone', args: [tone] });
    },
    async audit() {
      return [{ audit: 1, seq: 1, action: 'login' }];
    },
    async login(req) {
      if (req.code !== '7KQ2-M9XW-V') throw new ApiActionError('code_wrong', 'not this camera\'s setup code', 401);
      a.calls.push({ name: 'login', args: [req.subject ?? null] });
      return { token: 'fake-token', tokenId: 'fake-id', role: 'technician', expiresAt: 1_900_000_000 };
    },
  };
  return a;
}

export interface Rig {
  api: LocalApi;
  ca: Buffer;
  actions: FakeActions;
  auth: ReturnType<typeof fakeAuth>;
  audit: ReturnType<typeof recordingAudit>;
  agent: Agent;
  close(): Promise<void>;
}

let pkiPromise: ReturnType<typeof createPki> | null = null;

export async function startRig(dir: string, limits: Partial<LocalApiLimits> = {}, extra: Pick<LocalApiOptions, 'talkback' | 'clock' | 'talkPingIntervalMs'> = {}): Promise<Rig> {
  pkiPromise ??= createPki(dir);
  const pki = await pkiPromise;
  const actions = fakeActions();
  const auth = fakeAuth();
  const audit = recordingAudit();
  const api = await startLocalApi({ cert: pki.server.cert, key: pki.server.key, bindHost: '127.0.0.1', port: 0, auth, audit, actions, limits, ...extra });
  const agent = new Agent({ keepAlive: true, maxSockets: 32, ca: pki.ca });
  return {
    api,
    ca: pki.ca,
    actions,
    auth,
    audit,
    agent,
    async close() {
      agent.destroy();
      await api.close();
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: any;
}

export interface CallOptions {
  token?: string;
  /** Raw Authorization header (wins over token). */
  authorization?: string;
  /** JSON-encoded unless a string/Buffer. */
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export function call(rig: Pick<Rig, 'api' | 'agent'>, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    else if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let payload: Buffer | undefined;
    if (opts.rawBody !== undefined) payload = Buffer.from(opts.rawBody);
    else if (opts.body !== undefined) payload = Buffer.from(JSON.stringify(opts.body));
    if (payload) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(payload.length);
    }
    // The path goes out exactly as given (a URL object would resolve `/./` and `..`).
    const req = httpsRequest({ host: '127.0.0.1', port: rig.api.port, servername: 'localhost', path, method, headers, agent: rig.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Raw bytes over TLS, for requests a well-behaved client cannot send; resolves with the status line's code (0: closed without answer). */
export function rawRequest(rig: Pick<Rig, 'api' | 'ca'>, bytes: string | Buffer, timeoutMs = 8000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: rig.api.port, ca: rig.ca, servername: 'localhost' }, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('raw request: no answer in time'));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is all we want; keep-alive would otherwise hold the socket.
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) {
        const text = Buffer.concat(chunks).toString('latin1');
        const len = /content-length: (\d+)/i.exec(text);
        const head = text.indexOf('\r\n\r\n') + 4;
        if (!len || text.length - head >= Number(len[1])) {
          socket.destroy();
          done();
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', done);
  });
}
