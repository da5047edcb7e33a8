import t, { type Test as T } from 'tap';
import { join } from 'node:path';
import { ManualClock } from '../../../../src/core/clock.js';
import { CodeLockout } from '../../../../src/provisioning/ap/code-lockout.js';
import { checkLabelCode } from '../../../../src/provisioning/ap/label-code-check.js';
import { makeTestUnit } from '../../../helpers/prov-client.js';
import { tempDir } from '../../../helpers/tmp.js';

const unit = makeTestUnit();

async function setup(t: T) {
  const clock = new ManualClock();
  const lockout = new CodeLockout({ path: join(await tempDir(t, 'code-'), 'lockout.json'), clock });
  await lockout.load();
  const check = (code: string) => checkLabelCode(code, { serial: unit.label.serial, srp: unit.srp, lockout });
  return { clock, lockout, check };
}

t.test('the label code as printed or as typed (lower case, dashes, O for 0, I/L for 1) is accepted', async (t) => {
  const { check } = await setup(t);
  t.same(await check('7KQ2M9XWV'), { ok: true });
  t.same(await check('7kq2-m9xw-v'), { ok: true });
  t.same(await check(' 7KQ2 M9XW V '), { ok: true });
});

t.test('a wrong well-formed code is counted; the fifth locks the portal and the SRP door alike', async (t) => {
  const { check, lockout } = await setup(t);
  // Same data characters with a different, valid check character would be a typo; use another valid code.
  const wrong = '7KQ2M9XXS';
  const results = [];
  for (let i = 0; i < 5; i++) results.push(await check(wrong));
  t.same(results.slice(0, 4), Array(4).fill({ ok: false, code: 'code_wrong' }));
  t.same(results[4], { ok: false, code: 'code_wrong', retryAfterMs: 60_000 });
  t.same(await check('7KQ2M9XWV'), { ok: false, code: 'locked_out', retryAfterMs: 60_000 }, 'even the right code waits');
  t.ok(lockout.check().locked, 'one lockout shared with session/verify');
});

t.test('a typo caught by the check character or the length is not a guess and is not counted', async (t) => {
  const { check, lockout } = await setup(t);
  t.same(await check('7KQ2M9XWG'), { ok: false, code: 'code_malformed', problem: 'bad_check_character' });
  t.same(await check('7KQ2M9XW'), { ok: false, code: 'code_malformed', problem: 'bad_length' });
  t.same(await check('7KQ2M9XW!'), { ok: false, code: 'code_malformed', problem: 'bad_character' });
  t.same(await check('x'.repeat(10_000)), { ok: false, code: 'code_malformed', problem: 'bad_length' });
  t.equal(lockout.snapshot().failures, 0);
});

t.test('a right code clears earlier failures', async (t) => {
  const { check, lockout } = await setup(t);
  await check('7KQ2M9XXS');
  await check('7KQ2M9XXS');
  t.same(await check('7kq2m9xwv'), { ok: true });
  t.equal(lockout.snapshot().failures, 0);
});
