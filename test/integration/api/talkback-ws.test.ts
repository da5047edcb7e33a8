import t, { type Test } from 'tap';
import type { IncomingMessage } from 'node:http';
import { once } from 'node:events';
import WebSocket from 'ws';
import type { ApiAuditEvent } from '../../../src/api/server/access.js';
import type { LocalTalkback } from '../../../src/api/server/talk-socket.js';
import { TALK_SUBPROTOCOL } from '../../../src/talkback/local-ws-transport.js';
import type { TalkTransport, TransportCloseReason } from '../../../src/talkback/transport.js';
import { tempDir } from '../../helpers/tmp.js';
import { WatchedList } from '../../helpers/watched-list.js';
import { call, startRig, TOKENS, type Rig } from './server/local-api-rig.js';

/**
 * `GET /v1/talkback/ws` over real TLS with the real `ws` client: the same
 * tokens and scopes as the REST routes (header or subprotocol), the Origin
 * check, refusals as 4000-range close codes, frames both ways, and the
 * talkback_start / talkback_stop audit records. The talkback feature is a
 * stand-in that echoes every frame and records what it was given.
 */

interface Session {
  transport: TalkTransport;
  request: Parameters<LocalTalkback['openLocalSession']>[1];
  frames: WatchedList<Uint8Array>;
  closed: Promise<{ reason: TransportCloseReason; detail?: string }>;
}

function standIn(refusal?: { code: string; message: string }) {
  const sessions = new WatchedList<Session>();
  const talkback: LocalTalkback = {
    async openLocalSession(transport, request) {
      if (refusal) return { ok: false, ...refusal };
      const frames = new WatchedList<Uint8Array>();
      const started = performance.now();
      const closed = new Promise<{ reason: TransportCloseReason; detail?: string }>((resolve) => transport.onClose((reason, detail) => resolve({ reason, ...(detail ? { detail } : {}) })));
      transport.onFrame((bytes) => {
        frames.push(bytes);
        transport.send(bytes);
      });
      sessions.push({ transport, request, frames, closed });
      return { ok: true, sessionId: 'local-test-1', done: closed.then(({ reason }) => ({ reason, durationMs: performance.now() - started })) };
    },
  };
  return { talkback, sessions, first: async () => (await sessions.waitFor(() => true, 1, 5000, () => 'no session opened'))[0]! };
}

async function rigWith(t: Test, talkback?: LocalTalkback) {
  const rig = await startRig(await tempDir(t), {}, talkback ? { talkback } : {});
  t.teardown(() => rig.close());
  const audit = new WatchedList<ApiAuditEvent>();
  const record = rig.audit.record;
  rig.audit.record = (e) => {
    record(e);
    audit.push(e);
  };
  return { rig, audit };
}
type Attempt = { ok: true; ws: WebSocket; upgrade: IncomingMessage } | { ok: false; status: number; body: string };

/** Opens a talk socket; resolves with the socket, or with the HTTP answer that refused the upgrade. */
function attempt(rig: Rig, opts: { query?: string; protocols?: string[]; token?: string; headers?: Record<string, string>; origin?: string } = {}): Promise<Attempt> {
  const url = `wss://127.0.0.1:${rig.api.port}/v1/talkback/ws${opts.query ?? '?codec=opus&sampleRate=48000'}`;
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const ws = new WebSocket(url, opts.protocols ?? [], { ca: rig.ca, headers, ...(opts.origin ? { origin: opts.origin } : {}) });
  return new Promise((resolve, reject) => {
    let upgrade: IncomingMessage | null = null;
    ws.once('upgrade', (res) => (upgrade = res));
    ws.once('open', () => resolve({ ok: true, ws, upgrade: upgrade! }));
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        resolve({ ok: false, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    ws.on('error', (err) => {
      if (!upgrade) reject(err);
    });
  });
}

function opened(t: { fail(m: string): void }, a: Attempt): WebSocket {
  if (!a.ok) {
    t.fail(`upgrade refused: ${a.status} ${a.body}`);
    throw new Error('refused');
  }
  return a.ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return once(ws, 'message').then(([data, isBinary]) => ({ data: data as Buffer, isBinary: isBinary as boolean }));
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.reject(new Error('already closed'));
  return once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
}

t.test('a technician token in the Authorization header opens a session; frames flow both ways, binary intact', async (t) => {
  const talk = standIn();
  const { rig, audit } = await rigWith(t, talk.talkback);
  const ws = opened(t, await attempt(rig, { token: TOKENS.technician, protocols: [TALK_SUBPROTOCOL] }));
  t.equal(ws.protocol, TALK_SUBPROTOCOL, 'our subprotocol selected');
  const session = await talk.first();
  t.same(session.request, { codec: { name: 'opus', sampleRate: 48000 }, principal: 'id-technician', source: '127.0.0.1' });
  t.equal(session.transport.kind, 'local');

  const frame = Buffer.from(Array.from({ length: 1512 }, (_, i) => (i * 7) & 0xff));
  const echoed = nextMessage(ws);
  ws.send(frame);
  const got = await echoed;
  t.ok(got.isBinary, 'binary');
  t.ok(got.data.equals(frame), 'the echo is the same 1512 bytes');
  const [seen] = await session.frames.waitFor(() => true, 1, 5000, () => 'no frame at the session');
  t.ok(Buffer.from(seen!).equals(frame), 'the session got the frame as sent');

  const fromCamera = nextMessage(ws);
  t.equal(session.transport.send(Uint8Array.of(1, 2, 0, 255)), true);
  t.same([...(await fromCamera).data], [1, 2, 0, 255], 'camera → client');

  const closing = closeOf(ws);
  ws.close(1000);
  t.equal((await closing).code, 1000);
  t.same(await session.closed, { reason: 'remote_closed', detail: '1000' }, 'the client closing is remote_closed');

  const [stop] = await audit.waitFor((e) => e.action === 'talkback_stop', 1, 5000, () => 'no talkback_stop');
  const start = audit.items.find((e) => e.action === 'talkback_start')!;
  t.same(start.who, { type: 'token', tokenId: 'id-technician', role: 'technician' });
  t.equal(start.from, '127.0.0.1');
  t.same(start.result, { status: 'ok' });
  t.same(start.details, { via: 'local_ws', codec: 'opus' });
  t.same(stop!.result, { status: 'ok' });
  t.equal(stop!.details!.reason, 'remote_closed');
  t.equal(typeof stop!.details!.durationMs, 'number');
  t.same(stop!.who, start.who);
});

t.test('a browser-style subprotocol token works, and the token is never echoed', async (t) => {
  const talk = standIn();
  const { rig } = await rigWith(t, talk.talkback);
  const a = await attempt(rig, { protocols: [TALK_SUBPROTOCOL, `bearer.${TOKENS.technician}`], origin: `https://127.0.0.1:${rig.api.port}` });
  const ws = opened(t, a);
  t.equal(ws.protocol, TALK_SUBPROTOCOL);
  if (a.ok) {
    t.equal(a.upgrade.headers['sec-websocket-protocol'], TALK_SUBPROTOCOL);
    t.notOk(JSON.stringify(a.upgrade.headers).includes(TOKENS.technician), 'no token in the 101 headers');
  }
  const session = await talk.first();
  t.equal(session.request.principal, 'id-technician');
  const echoed = nextMessage(ws);
  ws.send(Buffer.from([9, 8, 7]));
  t.same([...(await echoed).data], [9, 8, 7]);
  ws.close();
});

t.test('refused before the upgrade, as plain HTTP: no token 401, viewer 403, foreign Origin 403, bad codec 400, plain GET 426', async (t) => {
  const talk = standIn();
  const { rig, audit } = await rigWith(t, talk.talkback);
  const none = await attempt(rig, { protocols: [TALK_SUBPROTOCOL] });
  t.same(none.ok ? 'opened' : [none.status, JSON.parse(none.body).error.code], [401, 'token_missing']);
  const badToken = await attempt(rig, { protocols: [TALK_SUBPROTOCOL, 'bearer.tok-wrong-0001'] });
  t.same(badToken.ok ? 'opened' : badToken.status, 401, 'an unknown subprotocol token → 401');
  const both = await attempt(rig, { token: TOKENS.technician, protocols: [TALK_SUBPROTOCOL, `bearer.${TOKENS.admin}`] });
  t.same(both.ok ? 'opened' : both.status, 401, 'a header and a subprotocol token at once → 401, never "first wins"');
  const viewer = await attempt(rig, { token: TOKENS.viewer });
  t.same(viewer.ok ? 'opened' : [viewer.status, JSON.parse(viewer.body).error.code], [403, 'forbidden']);
  for (const origin of ['https://evil.example', `http://127.0.0.1:${rig.api.port}`, 'https://127.0.0.1:1', 'null']) {
    const a = await attempt(rig, { token: TOKENS.technician, origin });
    t.same(a.ok ? 'opened' : [a.status, JSON.parse(a.body).error.code], [403, 'origin_forbidden'], `Origin ${origin}`);
  }
  const codec = await attempt(rig, { token: TOKENS.technician, query: '?codec=mp3' });
  t.same(codec.ok ? 'opened' : codec.status, 400, 'unknown codec → 400');
  const plain = await call(rig, 'GET', '/v1/talkback/ws?codec=opus', { token: TOKENS.technician });
  t.equal(plain.status, 426);
  t.equal(plain.json.error.code, 'upgrade_required');
  t.equal(talk.sessions.items.length, 0, 'no session was opened');

  const seen = audit.items.map((e) => `${e.action}:${e.result.status}:${'code' in e.result ? e.result.code : ''}`);
  t.ok(seen.includes('login_failed:denied:token_missing'), 'missing token audited like any route');
  t.ok(seen.includes('talkback_start:denied:forbidden'), 'viewer audited as a denied talkback_start');
  t.ok(seen.includes('talkback_start:denied:origin_forbidden'), 'foreign Origin audited');
});

t.test('a session the camera refuses closes with its 4000-range code and the refusal code as reason', async (t) => {
  for (const [code, expected] of [['busy', 4002], ['privacy_mode', 4003], ['talkback_disabled', 4001], ['invalid_codec', 4004], ['something_new', 4000]] as const) {
    const talk = standIn({ code, message: 'no' });
    const { rig, audit } = await rigWith(t, talk.talkback);
    const ws = opened(t, await attempt(rig, { token: TOKENS.technician }));
    t.same(await closeOf(ws), { code: expected, reason: code }, code);
    const [start] = await audit.waitFor((e) => e.action === 'talkback_start', 1, 5000, () => 'no talkback_start');
    t.same(start!.result, { status: 'failed', code });
  }
});

t.test('without a talkback feature the route answers 409 before upgrading', async (t) => {
  const { rig } = await rigWith(t);
  const a = await attempt(rig, { token: TOKENS.technician });
  t.same(a.ok ? 'opened' : [a.status, JSON.parse(a.body).error.code], [409, 'talkback_unavailable']);
});

t.test('a text message is a protocol error: close 1003, transport_lost', async (t) => {
  const talk = standIn();
  const { rig } = await rigWith(t, talk.talkback);
  const ws = opened(t, await attempt(rig, { token: TOKENS.technician }));
  const session = await talk.first();
  const closing = closeOf(ws);
  ws.send('hello');
  t.equal((await closing).code, 1003);
  t.same(await session.closed, { reason: 'transport_lost', detail: 'text_message' });
});

t.test('closing the API closes open talk sockets; the session sees `closed`', async (t) => {
  const talk = standIn();
  const { rig, audit } = await rigWith(t, talk.talkback);
  const ws = opened(t, await attempt(rig, { token: TOKENS.technician }));
  const session = await talk.first();
  const closing = closeOf(ws);
  await rig.api.close();
  t.equal((await closing).code, 1000);
  t.same(await session.closed, { reason: 'closed' });
  const [stop] = await audit.waitFor((e) => e.action === 'talkback_stop', 1, 5000, () => 'no talkback_stop');
  t.equal(stop!.details!.reason, 'closed');
});
