import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../../../../src/api/audit/audit-log.js';
import { systemClock } from '../../../../src/core/clock.js';
import { tempDir } from '../../../helpers/tmp.js';

const CHILD = fileURLToPath(new URL('./append-loop.ts', import.meta.url));
const MAX_BYTES = 8192;

/** Run the appending child until it has acknowledged `acks` records, then SIGKILL it. */
function appendThenKill(path: string, acks: number): Promise<{ acked: number[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(MAX_BYTES)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buf = '';
    let stderr = '';
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not reach ${acks} acks in time (got ${acked.length}); stderr: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (/^\d+$/.test(l)) acked.push(Number(l));
      if (acked.length >= acks && !child.killed) child.kill('SIGKILL');
    });
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      resolve({ acked, signal });
    });
  });
}

t.test('SIGKILL mid-append, three times over: every acknowledged record is kept, whole and in order', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'audit', 'audit.jsonl');
  let lastAcked = 0;
  for (const acks of [150, 333, 517]) {
    const { acked, signal } = await appendThenKill(path, acks);
    t.equal(signal, 'SIGKILL', `killed after ${acked.length} acknowledgements`);
    t.ok(acked.length >= acks);
    const maxAcked = Math.max(...acked);
    t.ok(Math.min(...acked) > lastAcked, 'the child resumed the sequence after the previous kill');
    lastAcked = maxAcked;

    const log = new AuditLog({ path, clock: systemClock, maxBytes: MAX_BYTES, securitySyncMinMs: 0 });
    await log.start();
    const stats = log.stats();
    t.equal(stats.corruptLines, 0, 'no damaged record in the middle');
    t.ok(stats.tornLines <= 1, `torn tail lines: ${stats.tornLines}`);
    const seqs = (await log.list({ limit: 1000 })).map((e) => e.seq).reverse();
    t.ok(seqs.length > 0);
    t.same(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i), 'contiguous: no hole, no duplicate');
    t.ok(seqs.at(-1)! >= maxAcked, `newest kept ${seqs.at(-1)} ≥ newest acknowledged ${maxAcked}`);
    const kept = new Set(seqs);
    const lostAcked = acked.filter((s) => s >= seqs[0]! && !kept.has(s));
    t.same(lostAcked, [], 'no acknowledged record inside the retained window is missing');
    t.ok((await log.exportForUpload()).every((l) => l.startsWith('{"audit":1,')));
    // The log is usable after the crash: the next record follows on.
    const next = await log.append({ actor: { type: 'device' }, action: 'selftest', result: { status: 'ok' } });
    t.equal(next.seq, seqs.at(-1)! + 1);
    lastAcked = next.seq;
    await log.stop();
  }
});
