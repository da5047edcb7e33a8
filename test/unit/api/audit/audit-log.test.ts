import t, { type Test } from 'tap';
import { appendFile, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog, AuditError, type AuditLogOptions } from '../../../../src/api/audit/audit-log.js';
import type { AuditInput } from '../../../../src/api/audit/audit-entry.js';
import { ManualClock, systemClock } from '../../../../src/core/clock.js';
import { SecretRegistry } from '../../../../src/log/secret-registry.js';
import { tempDir } from '../../../helpers/tmp.js';

const tech = { type: 'token', tokenId: 'tok_tech_1', role: 'technician' } as const;
const view = (n = 0): AuditInput => ({ actor: tech, action: 'snapshot_view', source: '192.168.1.42', result: { status: 'ok' }, details: { bytes: n } });
const failedLogin: AuditInput = { actor: { type: 'anonymous' }, action: 'login_failed', source: '192.168.1.77', result: { status: 'failed', code: 'auth_failed' } };

async function openLog(t: Test, opts: Partial<AuditLogOptions> & { dir?: string } = {}) {
  const dir = opts.dir ?? (await tempDir(t));
  const path = join(dir, 'audit', 'audit.jsonl');
  // On the system clock (unref'd timers) a delayed sync would not keep the test process alive:
  // those tests sync every security record at once; the rate limit is tested on a manual clock.
  const log = new AuditLog({ path, clock: systemClock, ...(opts.clock ? {} : { securitySyncMinMs: 0 }), ...opts });
  await log.start();
  t.teardown(() => log.stop());
  return { log, dir, path };
}

t.test('records come back newest first, filtered by time, action and limit', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const { log } = await openLog(t, { clock });
  await log.append(view(1));
  clock.advance(1000);
  await log.append({ actor: tech, action: 'config_change', source: '192.168.1.42', result: { status: 'ok' }, details: { keys: ['motion.sensitivity'] } });
  clock.advance(1000);
  await log.append(view(3));
  const all = await log.list();
  t.same(all.map((e) => e.seq), [3, 2, 1]);
  t.same(all.map((e) => e.action), ['snapshot_view', 'config_change', 'snapshot_view']);
  t.same((await log.list({ since: Date.UTC(2026, 0, 1) + 1000 })).map((e) => e.seq), [3, 2]);
  t.same((await log.list({ action: 'config_change' })).map((e) => e.seq), [2]);
  t.same((await log.list({ action: ['snapshot_view'], limit: 1 })).map((e) => e.seq), [3]);
  t.equal(all[0]!.ts, Date.UTC(2026, 0, 1) + 2000);
  t.equal((await log.list({ limit: Number.NaN })).length, 3, 'a limit that is not a number means the default');
});

t.test('records survive a restart and the sequence continues', async (t) => {
  const first = await openLog(t);
  for (let i = 0; i < 5; i++) await first.log.append(view(i));
  await first.log.stop();
  const second = await openLog(t, { dir: first.dir });
  t.equal(second.log.stats().entries, 5);
  const e = await second.log.append(failedLogin);
  t.equal(e.seq, 6);
  t.same((await second.log.list()).map((x) => x.seq), [6, 5, 4, 3, 2, 1]);
});

t.test('concurrent appends are queued: every record whole, one per line, in sequence order', async (t) => {
  const { log, path } = await openLog(t);
  const entries = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(i % 10 === 0 ? failedLogin : view(i))));
  t.same(entries.map((e) => e.seq), Array.from({ length: 200 }, (_, i) => i + 1), 'seq follows call order');
  const lines = (await readFile(path, 'utf8')).split('\n');
  t.equal(lines.pop(), '', 'file ends with a newline');
  t.equal(lines.length, 200);
  t.same(lines.map((l) => (JSON.parse(l) as { seq: number }).seq), entries.map((e) => e.seq));
});

t.test('the log is bounded: it rotates to one previous file and drops the oldest records', async (t) => {
  const { log, path } = await openLog(t, { maxBytes: 2000 });
  for (let i = 0; i < 60; i++) await log.append(view(i));
  const s = log.stats();
  t.ok(s.rotations >= 2, `rotated ${s.rotations} times`);
  t.same((await readdir(join(path, '..'))).sort(), ['audit.jsonl', 'audit.jsonl.1']);
  t.ok((await stat(path)).size <= 2000);
  t.ok((await stat(`${path}.1`)).size <= 2000);
  const seqs = (await log.list({ limit: 1000 })).map((e) => e.seq);
  t.equal(seqs[0], 60, 'newest kept');
  t.ok(seqs.at(-1)! > 1, 'oldest dropped');
  t.same(seqs, Array.from({ length: seqs.length }, (_, i) => 60 - i), 'what is kept is contiguous');
  t.equal(s.entries, seqs.length);
});

t.test('a torn last line (power cut mid-append) is skipped, counted and cut so the next record starts clean', async (t) => {
  const first = await openLog(t);
  for (let i = 0; i < 3; i++) await first.log.append(view(i));
  await first.log.stop();
  await appendFile(first.path, '{"audit":1,"seq":4,"ts":1767225600000,"who":{"tok');
  const second = await openLog(t, { dir: first.dir });
  t.equal(second.log.stats().tornLines, 1);
  t.same((await second.log.list()).map((e) => e.seq), [3, 2, 1]);
  const next = await second.log.append(failedLogin);
  t.equal(next.seq, 4, 'the torn record was never acknowledged: its number is reused');
  const text = await readFile(first.path, 'utf8');
  t.notMatch(text, /"who":\{"tok\n/);
  t.same((await second.log.list()).map((e) => e.seq), [4, 3, 2, 1]);
});

t.test('a zero-filled tail (UBIFS without sync) and a corrupt middle line are skipped and counted', async (t) => {
  const first = await openLog(t);
  await first.log.append(view(1));
  await first.log.stop();
  await appendFile(first.path, 'not a record\n');
  const second = await openLog(t, { dir: first.dir });
  await second.log.append(view(2));
  await second.log.stop();
  await appendFile(first.path, Buffer.alloc(512));
  const third = await openLog(t, { dir: first.dir });
  t.equal(third.log.stats().tornLines, 1);
  t.equal(third.log.stats().corruptLines, 1);
  t.same((await third.log.list()).map((e) => e.seq), [2, 1]);
  t.equal((await third.log.exportForUpload()).length, 2);
});

t.test('routine records are synced in a batch within 5 s; security records before append() resolves, at most once a second', async (t) => {
  const clock = new ManualClock();
  const { log } = await openLog(t, { clock });
  await log.append(view(1));
  await log.append(view(2));
  t.equal(log.stats().fsyncs, 0, 'routine records are written, not yet synced');
  clock.advance(4999);
  await log.list(); // let the queue settle
  t.equal(log.stats().fsyncs, 0);
  clock.advance(1);
  await log.list();
  t.equal(log.stats().fsyncs, 1, 'one sync for the batch');

  clock.advance(1000);
  await log.append(failedLogin);
  t.equal(log.stats().fsyncs, 2, 'a failed login is on flash when append() resolves');

  // A brute-force flood: the callers wait for the next allowed sync, which covers them all.
  let resolved = 0;
  const flood = Array.from({ length: 20 }, () => log.append(failedLogin).then(() => resolved++));
  await log.list();
  t.equal(resolved, 0, 'within a second of the last sync: waiting');
  clock.advance(1000);
  await Promise.all(flood);
  t.equal(resolved, 20);
  t.equal(log.stats().fsyncs, 3, 'twenty security records, one sync');
  clock.advance(10_000);
  await log.list();
  t.equal(log.stats().fsyncs, 3, 'nothing left to sync: no empty syncs');
});

t.test('sentinel secrets in details never reach the files or the upload', async (t) => {
  const SENTINEL = 'SENTINEL-audit-91c2';
  const LATE = 'LATE-SECRET-0042';
  const secrets = new SecretRegistry();
  secrets.add(SENTINEL);
  const { log, dir } = await openLog(t, { secrets });
  await log.append({ actor: tech, action: 'wifi_change', source: '192.168.1.42', result: { status: 'ok' }, details: { password: SENTINEL, psk: SENTINEL, reason: SENTINEL, keys: ['wifi.password'], ssid: 'HomeNet-5G' } });
  await log.append({ actor: tech, action: 'login_failed', source: '192.168.1.42', result: { status: 'failed', code: SENTINEL }, details: { route: `/v1/login?token=${SENTINEL}`, via: LATE } });
  await log.flush();
  const raw = await readFile(join(dir, 'audit', 'audit.jsonl'), 'utf8');
  t.notMatch(raw, /SENTINEL/);
  t.notMatch(raw, /HomeNet/, 'SSID masked');
  t.match(raw, /wifi\.password/, 'the key name that changed is kept');
  // A value that becomes a secret after it was written is still kept out of uploads.
  secrets.add(LATE);
  const upload = (await log.exportForUpload()).join('\n');
  t.notMatch(upload, /SENTINEL|LATE-SECRET/);
});

t.test('source addresses are masked on the way in, IPv4-mapped ones included', async (t) => {
  const { log, path } = await openLog(t);
  await log.append({ ...view(1), source: '192.168.1.42' });
  await log.append({ ...view(2), source: '::ffff:10.20.30.40' });
  await log.append({ ...view(3), source: '127.0.0.1' });
  const raw = await readFile(path, 'utf8');
  t.notMatch(raw, /192\.168|10\.20\.30/);
  t.same((await log.list()).map((e) => e.from), ['127.0.0.1', '*.*.*.40', '*.*.*.42']);
});

t.test('the upload export is every stored record, oldest first, marked as audit lines', async (t) => {
  const { log } = await openLog(t, { maxBytes: 1500 });
  for (let i = 0; i < 20; i++) await log.append(view(i));
  const lines = await log.exportForUpload();
  t.equal(lines.length, log.stats().entries);
  t.ok(lines.every((l) => l.startsWith('{"audit":1,') && !l.endsWith('\n')));
  const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
  t.same(seqs, [...seqs].sort((a, b) => a - b));
  t.equal(seqs.at(-1), 20);
});

t.test('erase removes every record and leaves one audit_erased record; the sequence goes on', async (t) => {
  const first = await openLog(t, { maxBytes: 1500 });
  for (let i = 0; i < 30; i++) await first.log.append(view(i));
  const held = first.log.stats().entries;
  const { erasedEntries } = await first.log.erase({ actor: { type: 'cloud' }, reason: 'unbind' });
  t.equal(erasedEntries, held);
  const after = await first.log.list();
  t.equal(after.length, 1);
  t.match(after[0], { seq: 31, action: 'audit_erased', who: 'cloud', from: null, result: 'ok', details: { reason: 'unbind', erasedEntries: held } });
  t.same(await readdir(join(first.path, '..')), ['audit.jsonl'], 'the previous file is gone too');
  const raw = await readFile(first.path, 'utf8');
  t.notMatch(raw, /tok_tech_1|\*\.\*\.\*\.42/, 'nothing of the earlier records is left in the file');
  await first.log.append(view(99));
  await first.log.stop();
  const second = await openLog(t, { dir: first.dir });
  t.same((await second.log.list()).map((e) => e.seq), [32, 31]);
});

t.test('use before start or after stop is refused with a code', async (t) => {
  const dir = await tempDir(t);
  const log = new AuditLog({ path: join(dir, 'a.jsonl'), clock: systemClock });
  await t.rejects(log.append(view()), new AuditError('audit_not_started', 'audit log not started'));
  await log.start();
  await log.append(view());
  await log.stop();
  await t.rejects(log.list(), { code: 'audit_stopped' });
  await t.rejects(log.append(view()), { code: 'audit_stopped' });
});

t.test('the file is readable by the agent only', async (t) => {
  const { log, path } = await openLog(t);
  await log.append(view());
  t.equal((await stat(path)).mode & 0o777, 0o600);
  t.equal((await stat(join(path, '..'))).mode & 0o777, 0o700);
});

t.test('a file left larger than the bound (bound lowered) rotates on the next append', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'audit', 'audit.jsonl');
  const big = new AuditLog({ path, clock: systemClock });
  await big.start();
  for (let i = 0; i < 20; i++) await big.append(view(i));
  await big.stop();
  const { log } = await openLog(t, { dir, maxBytes: 1000 });
  await log.append(view(21));
  t.equal(log.stats().rotations, 1);
  t.ok(log.stats().bytes < 1000);
  t.same((await log.list({ limit: 1000 })).length, 21, 'nothing dropped yet: the old file became the previous one');
});
