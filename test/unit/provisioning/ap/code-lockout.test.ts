import t, { type Test as T } from 'tap';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import {
  CodeLockout,
  LOCKOUT_DEFAULTS,
  lockoutDuration,
  parseLockoutFile,
  remainingAfterRestart,
} from '../../../../src/provisioning/ap/code-lockout.js';
import { tempDir } from '../../../helpers/tmp.js';

async function failTimes(lockout: CodeLockout, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await lockout.fail();
}

async function fresh(t: T, clock = new ManualClock()) {
  const path = join(await tempDir(t, 'lockout-'), 'state', 'code-lockout.json');
  const lockout = new CodeLockout({ path, clock });
  await lockout.load();
  return { path, clock, lockout };
}

t.test('lockout lengths: 60 s, then doubling, capped at one hour', async (t) => {
  t.same([1, 2, 3, 4, 5, 6, 7, 100].map((n) => lockoutDuration(n, LOCKOUT_DEFAULTS)), [60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
});

t.test('four wrong codes leave the door open; the fifth locks it for 60 s', async (t) => {
  const { clock, lockout } = await fresh(t);
  await failTimes(lockout, 4);
  t.same(lockout.check(), { locked: false });
  t.same(await lockout.fail(), { locked: true, retryAfterMs: 60_000 });
  clock.advance(59_999);
  t.same(lockout.check(), { locked: true, retryAfterMs: 1 });
  clock.advance(1);
  t.same(lockout.check(), { locked: false });
});

t.test('every further lockout doubles: 5 more wrong codes after the first lockout → 120 s, then 240 s', async (t) => {
  const { clock, lockout } = await fresh(t);
  await failTimes(lockout, 5);
  clock.advance(60_000);
  await failTimes(lockout, 4);
  t.same(lockout.check(), { locked: false }, 'a fresh window of 5 tries after each lockout');
  t.same(await lockout.fail(), { locked: true, retryAfterMs: 120_000 });
  clock.advance(120_000);
  await failTimes(lockout, 5);
  t.same(lockout.check(), { locked: true, retryAfterMs: 240_000 });
});

t.test('a right code clears failures and the doubling history', async (t) => {
  const { clock, lockout, path } = await fresh(t);
  await failTimes(lockout, 5);
  clock.advance(60_000);
  await failTimes(lockout, 3);
  await lockout.succeed();
  t.same(lockout.snapshot(), { v: 1, failures: 0, lockouts: 0, lockedAt: null, lockMs: 0 });
  t.same(JSON.parse(await readFile(path, 'utf8')), { v: 1, failures: 0, lockouts: 0, lockedAt: null, lockMs: 0 });
  await failTimes(lockout, 5);
  t.same(lockout.check(), { locked: true, retryAfterMs: 60_000 }, 'back to 60 s');
});

t.test('counters are on flash after each fail(): a new instance on the same file (a restart) keeps them', async (t) => {
  const { clock, lockout, path } = await fresh(t);
  await failTimes(lockout, 3);
  const again = new CodeLockout({ path, clock });
  await again.load();
  t.equal(again.snapshot().failures, 3);
  await failTimes(again, 2);
  t.ok(again.check().locked, 'the 2 tries after the restart complete the 5');
  t.equal(((await stat(path)).mode & 0o777).toString(8), '600');
});

t.test('a lockout survives a restart with the time it had left', async (t) => {
  const { clock, lockout, path } = await fresh(t);
  await failTimes(lockout, 5);
  clock.advance(20_000);
  const after = new CodeLockout({ path, clock: clock });
  await after.load();
  t.same(after.check(), { locked: true, retryAfterMs: 40_000 });
  clock.advance(40_000);
  t.same(after.check(), { locked: false });
  await failTimes(after, 5);
  t.same(after.check(), { locked: true, retryAfterMs: 120_000 }, 'and the doubling continues after the restart');
});

t.test('a camera without RTC that reboots into 1970 serves the lockout again in full instead of forgetting it', async (t) => {
  const { lockout, path } = await fresh(t, new ManualClock(Date.UTC(2026, 4, 1)));
  await failTimes(lockout, 5);
  const bootedIn1970 = new ManualClock(0);
  const after = new CodeLockout({ path, clock: bootedIn1970 });
  await after.load();
  t.same(after.check(), { locked: true, retryAfterMs: 60_000 });
  t.equal(JSON.parse(await readFile(path, 'utf8')).lockedAt, 0, 're-based on the clock it booted with');
});

t.test('a lockout that has run out is recorded as over, so a clock-less reboot does not bring it back', async (t) => {
  const { clock, lockout, path } = await fresh(t);
  await failTimes(lockout, 5);
  clock.advance(60_000);
  t.same(lockout.check(), { locked: false });
  await lockout.fail().then(() => undefined); // flushes the write queued by check()
  const onDisk = JSON.parse(await readFile(path, 'utf8'));
  t.equal(onDisk.lockedAt, null);
  t.equal(onDisk.lockouts, 1);
  t.equal(onDisk.failures, 1);
});

t.test('remainingAfterRestart: wall clock ahead, behind, or past the end', async (t) => {
  t.equal(remainingAfterRestart({ lockedAt: null, lockMs: 0 }, 5), 0);
  t.equal(remainingAfterRestart({ lockedAt: 1_000_000, lockMs: 60_000 }, 1_010_000), 50_000);
  t.equal(remainingAfterRestart({ lockedAt: 1_000_000, lockMs: 60_000 }, 1_060_000), 0);
  t.equal(remainingAfterRestart({ lockedAt: 1_000_000, lockMs: 60_000 }, 999_999), 60_000, 'clock behind the lock start: full length');
});

t.test('concurrent wrong codes are all counted', async (t) => {
  const { lockout } = await fresh(t);
  await Promise.all([lockout.fail(), lockout.fail(), lockout.fail(), lockout.fail(), lockout.fail()]);
  t.ok(lockout.check().locked);
  await Promise.all([lockout.fail(), lockout.fail()]);
  t.equal(lockout.snapshot().failures, 2, 'failures during a lockout count towards the next one');
});

t.test('an unreadable lockout file starts clean (it is written atomically, so this is not a torn write)', async (t) => {
  const { path, clock } = await fresh(t);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, '{"v":1,"failures":"lots"}');
  const lockout = new CodeLockout({ path, clock });
  await lockout.load();
  t.same(lockout.check(), { locked: false });
  t.equal(parseLockoutFile({ v: 1, failures: 1, lockouts: 0, lockedAt: null, lockMs: 0 })?.failures, 1);
  t.equal(parseLockoutFile({ v: 2, failures: 1, lockouts: 0, lockedAt: null, lockMs: 0 }), null);
  t.equal(parseLockoutFile({ v: 1, failures: -1, lockouts: 0, lockedAt: null, lockMs: 0 }), null);
});
