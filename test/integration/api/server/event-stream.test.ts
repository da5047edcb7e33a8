import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { tempDir } from '../../../helpers/tmp.js';
import { call, startRig, TOKENS, type Rig } from './local-api-rig.js';

/** A real SSE client (node:https), reading frames as they arrive. */
function openStream(rig: Rig, path: string, token: string): Promise<{ res: IncomingMessage; next(pred: (frame: string) => boolean): Promise<string>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: rig.api.port, servername: 'localhost', path, ca: rig.ca, agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      let buf = '';
      const frames: string[] = [];
      let waiter: (() => void) | null = null;
      res.setEncoding('utf8');
      res.on('error', () => undefined); // 'aborted' when we close it ourselves
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          frames.push(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
        waiter?.();
      });
      resolve({
        res,
        async next(pred) {
          const deadline = Date.now() + 5000;
          for (;;) {
            const idx = frames.findIndex(pred);
            if (idx >= 0) return frames.splice(0, idx + 1).pop()!;
            if (Date.now() > deadline) throw new Error('no matching SSE frame within 5 s');
            await Promise.race([new Promise<void>((r) => (waiter = r)), new Promise((r) => setTimeout(r, 200))]);
          }
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('GET /v1/events streams state, motion and alarm events to a real client', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  const s = await openStream(rig, '/v1/events', TOKENS.viewer);
  t.equal(s.res.statusCode, 200);
  t.match(s.res.headers['content-type'], /^text\/event-stream/);
  await s.next((f) => f.startsWith(': stream open'));
  t.equal(rig.actions.subscribers, 1, 'subscribed once');
  rig.actions.emit({ type: 'motion', data: { zone: 'door', active: true } });
  rig.actions.emit({ type: 'alarm', data: { id: 'a1' } });
  t.equal(await s.next((f) => f.startsWith('event: motion')), 'event: motion\ndata: {"zone":"door","active":true}');
  t.equal(await s.next((f) => f.startsWith('event: alarm')), 'event: alarm\ndata: {"id":"a1"}');
  s.close();
  await new Promise((r) => s.res.once('close', r));
  // The server sees the close asynchronously.
  for (let i = 0; i < 50 && rig.actions.subscribers > 0; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(rig.actions.subscribers, 0, 'unsubscribed when the client went away');
});

t.test('GET /v1/logs?follow=1 streams new redacted lines; a multi-line entry stays one event', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  const s = await openStream(rig, '/v1/logs?follow=1', TOKENS.technician);
  t.equal(s.res.statusCode, 200);
  await s.next((f) => f.startsWith(': stream open'));
  rig.actions.log('hello');
  rig.actions.log('two\nlines\r\nevent: fake');
  t.equal(await s.next((f) => f.includes('hello')), 'event: log\ndata: hello');
  t.equal(await s.next((f) => f.includes('two')), 'event: log\ndata: two\ndata: lines\ndata: event: fake', 'a newline cannot start a forged event');
  t.ok(rig.audit.events.some((e) => e.action === 'log_download' && e.details?.follow === true));
  s.close();
});

t.test('streams are bounded (4) and all end when the server closes', async (t) => {
  const rig = await startRig(await tempDir(t));
  let closed = false;
  t.teardown(() => (closed ? undefined : rig.close()));
  const streams = await Promise.all([1, 2, 3, 4].map(() => openStream(rig, '/v1/events', TOKENS.viewer)));
  for (const s of streams) t.equal(s.res.statusCode, 200);
  const fifth = await call(rig, 'GET', '/v1/events', { token: TOKENS.viewer });
  t.equal(fifth.status, 429);
  t.equal(fifth.json.error.code, 'too_many_streams');
  t.ok(fifth.headers['retry-after']);
  const ends = streams.map((s) => new Promise((r) => s.res.once('close', r)));
  const t0 = Date.now();
  closed = true;
  rig.agent.destroy();
  await rig.api.close();
  await Promise.all(ends);
  t.ok(Date.now() - t0 < 2000, 'close() did not wait on open streams');
  t.equal(rig.actions.subscribers, 0);
});
