import t from 'tap';
import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { EventStreams } from '../../../../src/api/server/event-stream.js';

/** Enough of a ServerResponse for the stream bookkeeping. */
function fakeRes(): ServerResponse & { written: string; head?: number } {
  const s = new PassThrough() as unknown as ServerResponse & { written: string; head?: number };
  s.written = '';
  s.writeHead = ((status: number) => ((s.head = status), s)) as never;
  const write = s.write.bind(s);
  s.write = ((chunk: string) => ((s.written += chunk), write(chunk))) as never;
  return s;
}

t.test('at most max streams; each unsubscribes when it ends; closeAll ends them all', async (t) => {
  const hub = new EventStreams(2, 60_000);
  let subs = 0;
  const subscribe = () => (subs++, () => void subs--);
  const a = fakeRes();
  const b = fakeRes();
  t.ok(hub.start(a, subscribe));
  t.ok(hub.start(b, subscribe));
  t.notOk(hub.start(fakeRes(), subscribe), 'third refused');
  t.equal(subs, 2);
  a.emit('close');
  t.equal(hub.count, 1);
  t.equal(subs, 1);
  hub.closeAll();
  t.equal(hub.count, 0);
  t.equal(subs, 0);
  t.ok(b.writableEnded);
});

t.test('data with newlines becomes several data lines, never a new event', async (t) => {
  const hub = new EventStreams(1, 60_000);
  const res = fakeRes();
  hub.start(res, (s) => (s.send('log', 'a\nevent: evil\r\ndata: x'), () => undefined));
  t.match(res.written, 'event: log\ndata: a\ndata: event: evil\ndata: data: x\n\n');
  hub.closeAll();
});
