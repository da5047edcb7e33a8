import t from 'tap';
import { OTA_STATES, TRANSITIONS, advance, canTransition, newRecord, recordProblem, resumeAction, type ResumeFacts } from '../../../src/ota/job-machine.js';
import { FINAL_STATES, type OtaJob, type OtaRecord, type OtaState } from '../../../src/ota/types.js';

const T0 = 1_700_000_000_000;
const JOB: OtaJob = {
  jobId: 'job-42',
  version: '1.4.0',
  size: 1000,
  sha256: 'ab'.repeat(32),
  compatible: ['CAM-100'],
  downgrade: false,
  url: 'https://images.example.com/fw.bin',
  signature: 'c2lnbmF0dXJl',
  deadline: T0 + 3_600_000,
};
const FROM = '1.3.2';
const OLD_BOOT = 'boot-old';
const NEW_BOOT = 'boot-new';
const CONFIRM_MS = 300_000;

const PATH: OtaState[] = ['queued', 'downloading', 'verifying', 'installing', 'rebooting', 'confirming', 'succeeded'];

/** A record walked along the happy path to `state` (a step per second), or to a final state from its predecessor. */
function recordAt(state: OtaState): OtaRecord {
  let r = newRecord(JOB, FROM, OLD_BOOT, T0);
  const stop = PATH.indexOf(state);
  const target = stop >= 0 ? stop : state === 'failed' ? 1 : 5;
  for (let i = 1; i <= target; i++) {
    const s = PATH[i]!;
    r = advance(r, s, T0 + i * 1000, s === 'confirming' ? { bootId: NEW_BOOT } : {});
  }
  if (stop < 0) r = advance(r, state, T0 + 10_000, { error: { code: state === 'failed' ? 'download_failed' : 'rolled_back', message: 'x' } });
  return r;
}

const facts = (over: Partial<ResumeFacts> = {}): ResumeFacts => ({ bootId: OLD_BOOT, runningVersion: FROM, now: T0 + 60_000, confirmDeadlineMs: CONFIRM_MS, ...over });

t.test('the legal transitions are exactly the happy path, failed from every non-final state, and rolled-back from rebooting/confirming', async (t) => {
  const legal = new Set<string>();
  for (let i = 0; i + 1 < PATH.length; i++) legal.add(`${PATH[i]}→${PATH[i + 1]}`);
  for (const s of OTA_STATES) if (!FINAL_STATES.has(s)) legal.add(`${s}→failed`);
  legal.add('rebooting→rolled-back');
  legal.add('confirming→rolled-back');
  t.equal(legal.size, 6 + 6 + 2);
  for (const from of OTA_STATES) {
    for (const to of OTA_STATES) {
      const want = legal.has(`${from}→${to}`);
      t.equal(canTransition(from, to), want, `${from} → ${to} ${want ? 'allowed' : 'refused'}`);
      const r = { ...newRecord(JOB, FROM, OLD_BOOT, T0), state: from };
      if (want) t.doesNotThrow(() => advance(r, to, T0 + 1));
      else t.throws(() => advance(r, to, T0 + 1), RangeError);
    }
  }
  for (const f of FINAL_STATES) t.same(TRANSITIONS[f], [], `${f} is final`);
  t.equal(canTransition('bogus' as OtaState, 'failed'), false, 'an unknown state has no transitions');
});

t.test('newRecord starts queued with the job, the running version and this boot', async (t) => {
  const r = newRecord(JOB, FROM, OLD_BOOT, T0);
  t.same(r, { formatVersion: 1, job: JOB, state: 'queued', fromVersion: FROM, bytes: 0, attempts: 0, bootId: OLD_BOOT, updatedAt: T0, history: [{ state: 'queued', at: T0 }] });
  t.equal(recordProblem(r), null);
});

t.test('advance appends history, applies the patch, and does not change the input', async (t) => {
  const r0 = newRecord(JOB, FROM, OLD_BOOT, T0);
  const frozen = JSON.stringify(r0);
  const r1 = advance(r0, 'downloading', T0 + 5, { attempts: 1 });
  t.equal(JSON.stringify(r0), frozen, 'input untouched');
  t.equal(r1.state, 'downloading');
  t.equal(r1.updatedAt, T0 + 5);
  t.equal(r1.attempts, 1);
  t.same(r1.history, [{ state: 'queued', at: T0 }, { state: 'downloading', at: T0 + 5 }]);
  const sneaky = advance(r1, 'verifying', T0 + 9, { state: 'succeeded', updatedAt: 0, history: [], bytes: 1000 } as Partial<OtaRecord>);
  t.equal(sneaky.state, 'verifying', 'the patch cannot override the state');
  t.equal(sneaky.updatedAt, T0 + 9);
  t.equal(sneaky.history.length, 3);
  t.equal(sneaky.bytes, 1000);
});

t.test('entering confirming stamps confirmingSince; a failure carries its error', async (t) => {
  const r = recordAt('confirming');
  t.equal(r.confirmingSince, T0 + 5000);
  t.equal(r.bootId, NEW_BOOT);
  const f = advance(r, 'failed', T0 + 6000, { error: { code: 'health_check_failed', message: 'no frames' } });
  t.same(f.error, { code: 'health_check_failed', message: 'no frames' });
  t.same(f.history.map((h) => h.state), [...PATH.slice(0, 6), 'failed']);
  t.equal(recordProblem(f), null);
});

t.test('resume: a final record needs nothing', async (t) => {
  for (const s of ['succeeded', 'failed', 'rolled-back'] as const) {
    t.equal(resumeAction(recordAt(s), facts()).kind, 'none', s);
    t.equal(resumeAction(recordAt(s), facts({ bootId: NEW_BOOT, runningVersion: '9.9.9' })).kind, 'none', `${s}, whatever runs now`);
  }
});

t.test('resume: queued and downloading download (resume), unless a queued job expired meanwhile', async (t) => {
  t.equal(resumeAction(recordAt('queued'), facts()).kind, 'download');
  t.equal(resumeAction(recordAt('queued'), facts({ bootId: NEW_BOOT })).kind, 'download', 'a reboot in between does not matter');
  t.same(resumeAction(recordAt('queued'), facts({ now: JOB.deadline })), { kind: 'failed', code: 'job_expired', reason: 'the job was still queued when its deadline passed' });
  const dl = { ...recordAt('downloading'), bytes: 400 };
  const a = resumeAction(dl, facts({ now: JOB.deadline + 1 }));
  t.equal(a.kind, 'download', 'a started download is resumed past the deadline');
  t.match(a.reason, '400 of 1000');
});

t.test('resume: verifying verifies again, installing installs again', async (t) => {
  t.equal(resumeAction(recordAt('verifying'), facts()).kind, 'verify');
  t.equal(resumeAction(recordAt('verifying'), facts({ bootId: NEW_BOOT })).kind, 'verify');
  t.equal(resumeAction(recordAt('installing'), facts()).kind, 'install');
  t.equal(resumeAction(recordAt('installing'), facts({ bootId: NEW_BOOT })).kind, 'install', 'power cut during install: the inactive slot is rewritten');
});

t.test('resume: rebooting in the same boot reboots (we died before the reboot)', async (t) => {
  const r = recordAt('rebooting');
  t.equal(r.bootId, OLD_BOOT);
  t.equal(resumeAction(r, facts({ runningVersion: FROM })).kind, 'reboot');
  t.equal(resumeAction(r, facts({ runningVersion: '7.0.0' })).kind, 'reboot', 'the version is irrelevant before the reboot');
});

t.test('resume: rebooting in a new boot checks what runs', async (t) => {
  const r = recordAt('rebooting');
  const now = T0 + 60_000;
  t.same(resumeAction(r, facts({ bootId: NEW_BOOT, runningVersion: '1.4.0', now })), { kind: 'confirm', reason: 'running 1.4.0; checking health', deadline: now + CONFIRM_MS });
  t.equal(resumeAction(r, facts({ bootId: NEW_BOOT, runningVersion: '1.4.0+b17', now })).kind, 'confirm', 'build metadata does not matter');
  const back = resumeAction(r, facts({ bootId: NEW_BOOT, runningVersion: FROM }));
  t.equal(back.kind, 'rolled-back');
  t.match(back.reason, 'fell back');
  const odd = resumeAction(r, facts({ bootId: NEW_BOOT, runningVersion: '0.9.0' }));
  t.same(odd.kind === 'failed' ? odd.code : odd.kind, 'unexpected_version');
  t.match(odd.reason, 'running 0.9.0, expected 1.4.0');
});

t.test('resume: confirming resumes confirming until its deadline, with the version checked again', async (t) => {
  const r = recordAt('confirming');
  const since = r.confirmingSince!;
  for (const bootId of [NEW_BOOT, 'boot-third']) {
    const label = bootId === NEW_BOOT ? 'agent restarted in the same boot' : 'rebooted again';
    const a = resumeAction(r, facts({ bootId, runningVersion: '1.4.0', now: since + CONFIRM_MS - 1 }));
    t.same(a, { kind: 'confirm', reason: 'running 1.4.0; checking health', deadline: since + CONFIRM_MS }, `${label}: confirm with the original deadline`);
    const late = resumeAction(r, facts({ bootId, runningVersion: '1.4.0', now: since + CONFIRM_MS }));
    t.same(late.kind === 'failed' ? late.code : late.kind, 'health_check_timeout', `${label}: deadline reached`);
    const back = resumeAction(r, facts({ bootId, runningVersion: FROM, now: since + 10 * CONFIRM_MS }));
    t.equal(back.kind, 'rolled-back', `${label}: the old version is running: rolled back, even after the deadline`);
    const odd = resumeAction(r, facts({ bootId, runningVersion: '5.0.0' }));
    t.same(odd.kind === 'failed' ? odd.code : odd.kind, 'unexpected_version', label);
  }
});

t.test('resume: confirming without confirmingSince counts from updatedAt', async (t) => {
  const r = { ...recordAt('confirming') };
  delete r.confirmingSince;
  const a = resumeAction(r, facts({ bootId: NEW_BOOT, runningVersion: '1.4.0', now: r.updatedAt + 1 }));
  t.same(a.kind === 'confirm' ? a.deadline : null, r.updatedAt + CONFIRM_MS);
});

t.test('every state has a resume case', async (t) => {
  for (const s of OTA_STATES) t.ok(resumeAction(recordAt(s), facts()).kind, s);
});

t.test('recordProblem accepts every record the machine produces', async (t) => {
  for (const s of OTA_STATES) {
    const r = recordAt(s);
    t.equal(recordProblem(JSON.parse(JSON.stringify(r))), null, s);
  }
  t.equal(recordProblem({ ...recordAt('downloading'), job: { ...JOB, keyId: '0123456789abcdef', minFreeBytes: 5, minBatteryPercent: 20 } }), null);
});

t.test('recordProblem reports a corrupt or foreign record', async (t) => {
  const good = recordAt('installing');
  const cases: Array<[string, unknown, RegExp]> = [
    ['null', null, /^\(root\)/],
    ['an array', [], /^\(root\)/],
    ['a string', 'queued', /^\(root\)/],
    ['format 2', { ...good, formatVersion: 2 }, /^formatVersion/],
    ['no format', (({ formatVersion: _, ...r }) => r)(good), /^formatVersion: is required/],
    ['unknown state', { ...good, state: 'flashing' }, /^state/],
    ['no job', { ...good, job: undefined }, /^job/],
    ['job not an object', { ...good, job: 'x' }, /^job/],
    ['job with a bad sha', { ...good, job: { ...JOB, sha256: 'zz' } }, /^job\.sha256/],
    ['job with an http URL', { ...good, job: { ...JOB, url: 'http://x.example/' } }, /^job\.url/],
    ['job without downgrade', { ...good, job: (({ downgrade: _, ...j }) => j)(JOB) }, /^job\.downgrade/],
    ['negative bytes', { ...good, bytes: -1 }, /^bytes/],
    ['bytes beyond the size', { ...good, bytes: JOB.size + 1 }, /^bytes/],
    ['attempts fractional', { ...good, attempts: 1.5 }, /^attempts/],
    ['empty bootId', { ...good, bootId: '' }, /^bootId/],
    ['updatedAt a string', { ...good, updatedAt: '2024' }, /^updatedAt/],
    ['error without message', { ...good, error: { code: 'x' } }, /^error\.message/],
    ['an extra field', { ...good, extra: 1 }, /^extra/],
    ['empty history', { ...good, history: [] }, /^history/],
    ['history entry without time', { ...good, history: [{ state: 'queued' }] }, /^history\[0\]\.at/],
    ['history not starting queued', { ...good, history: good.history.slice(1) }, /^history: does not start with queued/],
    ['history skipping a step', { ...good, history: good.history.filter((h) => h.state !== 'verifying') }, /^history\[2\]: downloading → installing/],
    ['history ending elsewhere', { ...good, state: 'rebooting' }, /^history: does not end in the current state/],
  ];
  for (const [name, value, want] of cases) t.match(recordProblem(value) ?? 'null', want, name);
});

t.test('recordProblem tolerates a clock that went back (no RTC before NTP)', async (t) => {
  const r = recordAt('confirming');
  const history = r.history.map((h, i) => (i === 5 ? { ...h, at: 1000 } : h));
  t.equal(recordProblem({ ...r, history }), null);
});
