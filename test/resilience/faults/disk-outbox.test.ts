import t from 'tap';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Outbox } from '../../../src/cloud/outbox.js';
import { systemClock } from '../../../src/core/clock.js';
import { canMount, smallFs } from '../lib/env-small-fs.js';

/**
 * The cloud outbox's journal on a data partition that fills up (a real
 * 2 MB tmpfs). Found with this suite: add() threw ENOSPC, which reached the
 * alarm path as an unhandled rejection — fatal to the agent — and a short
 * write left a torn record in the middle of the journal, so replay after a
 * restart stopped there and lost every event behind it. Now add() answers
 * `outbox_io` and keeps the event in memory, and a short write is cut off.
 * (In the agent-level test the journal's last page usually still has room,
 * which is why this needs its own test.)
 */
const skip = canMount() ? false : 'needs root to mount a tmpfs';
const full = process.env.CAMERA_AGENT_FULL_RUN === '1';
const PAGE = 4096;

t.test('a full partition: outbox add answers outbox_io instead of throwing, a short write leaves no torn record, and replay after space returns loses nothing durable', { skip }, async (t) => {
  const rounds = full ? 10 : 2;
  const fs = smallFs(t, 2 * 1024 * 1024);
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  let durable = 0;
  let refused = 0;
  let short = 0;
  for (let round = 0; round < rounds; round++) {
    const dir = join(fs.dir, `cloud-outbox-${round}`);
    const ob = new Outbox({ dir, clock: systemClock, logger });
    await ob.open();
    const segment = async () => {
      const names = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
      return (await stat(join(dir, names.at(-1)!))).size;
    };
    // Bring the journal's last page close to its end, so the next record only half fits.
    const target = PAGE - 40 - ((round * 37) % 80);
    while ((await segment()) % PAGE < target) {
      const r = await ob.add({ type: 'alarm', data: { pad: 'p'.repeat(Math.max(1, Math.min(200, target - ((await segment()) % PAGE) - 80))) }, priority: 'high' });
      if (!r.ok) t.fail(`with space the event is stored (${r.error.code})`);
      durable++;
      if ((await segment()) % PAGE > target) break;
    }
    const before = await segment();
    fs.fill();
    const r = await ob.add({ type: 'alarm', data: { pad: 'x'.repeat(300) }, priority: 'high' });
    t.match(r, { ok: false, error: { code: 'outbox_io' } }, `round ${round + 1}: a full partition is answered with outbox_io, not a throw`);
    refused++;
    t.ok(ob.peek(10_000).some((e) => e.data.pad === 'x'.repeat(300)), 'the event is kept in memory for the link');
    const after = await segment();
    if (after !== before) short++;
    t.equal(after, before, 'the journal is as long as before: no torn record left by a short write');
    fs.free();
    const pending = ob.peek(10_000).length;
    t.ok((await ob.add({ type: 'alarm', data: { n: round }, priority: 'high' })).ok, 'space back: stored again');
    durable++;
    await ob.close();
    const again = new Outbox({ dir, clock: systemClock, logger });
    await again.open();
    t.equal(again.peek(10_000).length, pending, 'after a restart every durable event replays (the refused one was never on flash)');
    await again.close();
  }
  t.notMatch(lines.join(''), /corrupt records in the middle/, 'replay never found a torn record in the middle');
  t.comment(`outbox on a full partition: rounds ${rounds}, durable ${durable}, refused outbox_io ${refused}, journals left longer by a short write ${short}`);
});
