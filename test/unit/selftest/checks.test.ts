import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import { fail, pass, type CheckContext, type SelfTestCheck } from '../../../src/selftest/check.js';
import { judgeFrames, lumaStats } from '../../../src/selftest/checks/camera-frames.js';
import { judgeClock, MAX_AFTER_BUILD_MS } from '../../../src/selftest/checks/clock-sanity.js';
import { judgeIdentity } from '../../../src/selftest/checks/identity-file.js';
import { expectedOutput } from '../../../src/selftest/checks/status-led.js';
import { formatHumanReport, verdictOf, type CheckResult } from '../../../src/selftest/report.js';
import { runSelfTest } from '../../../src/selftest/runner.js';
import { parseSelfTestArgs } from '../../../src/selftest/self-test-command.js';
import { parseTrigger } from '../../../src/selftest/sysfs-led-readback.js';
import { SAMPLE_IDENTITY } from '../../helpers/selftest-rig.js';

const logger = pino({ level: 'silent' });

t.test('frames: enough structured frames pass; black, flat and too few fail with their codes', async (t) => {
  const noisy = new Uint8Array(1000).map((_, i) => (i * 37) % 256);
  const flatGray = new Uint8Array(1000).fill(128);
  const black = new Uint8Array(1000).fill(2);
  t.ok(lumaStats(noisy).stddev > 50);
  t.same(lumaStats(flatGray), { mean: 128, stddev: 0 });
  t.equal(judgeFrames([lumaStats(black), lumaStats(noisy), lumaStats(noisy)], 3).pass, true, 'an early black frame is forgiven');
  t.match(judgeFrames(Array(5).fill(lumaStats(black)), 5), { pass: false, code: 'camera_image_black' });
  t.match(judgeFrames(Array(5).fill(lumaStats(flatGray)), 5), { pass: false, code: 'camera_image_uniform' });
  t.match(judgeFrames([lumaStats(noisy)], 5), { pass: false, code: 'camera_no_frames', detail: '1 of 5 frames arrived' });
  t.match(judgeFrames([], 5), { pass: false, code: 'camera_no_frames', measured: '0 frames, σ -' });
});

t.test('clock: before the build, far ahead, and a stalled monotonic clock each fail', async (t) => {
  const build = Date.UTC(2026, 5, 1);
  const ok = { wallMs: build + 86_400_000, monoMs: 1100 };
  t.match(judgeClock({ wallMs: ok.wallMs - 100, monoMs: 1000 }, ok, build, 100), { pass: true, measured: '2026-06-02T00:00:00.000Z' });
  t.match(judgeClock({ wallMs: 0, monoMs: 0 }, { wallMs: 100, monoMs: 100 }, build, 100), { pass: false, code: 'clock_before_build' });
  t.match(judgeClock(ok, { wallMs: build + MAX_AFTER_BUILD_MS + 1, monoMs: 1200 }, build, 100), { pass: false, code: 'clock_far_future' });
  t.match(judgeClock({ wallMs: ok.wallMs, monoMs: 1100 }, ok, build, 100), { pass: false, code: 'monotonic_stalled' });
});

t.test('identity: complete passes with the serial; broken or incomplete files are named', async (t) => {
  t.same(judgeIdentity(JSON.stringify(SAMPLE_IDENTITY)), { pass: true, measured: 'SN0000042' });
  t.match(judgeIdentity('{"serial":'), { pass: false, code: 'identity_unreadable' });
  t.match(judgeIdentity('[1]'), { pass: false, code: 'identity_unreadable' });
  const { mac: _m, model: _mo, ...partial } = SAMPLE_IDENTITY;
  t.match(judgeIdentity(JSON.stringify({ ...partial, deviceId: '' })), { pass: false, code: 'identity_incomplete', detail: 'missing: deviceId, model, mac', measured: 'SN0000042' });
  t.match(judgeIdentity(JSON.stringify({ ...SAMPLE_IDENTITY, certificateSerial: null })), { pass: true }, 'no certificate yet is fine');
});

t.test('LED: expected sysfs output per pattern, with and without the kernel timer trigger', async (t) => {
  const timer = { blue: true, red: true };
  const none = { blue: false, red: false };
  t.same(expectedOutput('online', timer), { blue: 'on', red: 'off' });
  t.same(expectedOutput('off', timer), { blue: 'off', red: 'off' });
  t.same(expectedOutput('privacy', timer), { blue: 'off', red: 'off' });
  t.same(expectedOutput('provisioning', timer), { blue: 'blinking', red: 'off' });
  t.same(expectedOutput('provisioning', none), { blue: 'on', red: 'off' }, 'stepped by the agent: first step is blue');
  t.same(expectedOutput('joining', timer), { blue: 'blinking', red: 'off' });
  t.same(expectedOutput('error', timer), { blue: 'off', red: 'on' });
  t.same(expectedOutput('identify', timer), { blue: 'off', red: 'on' });
  t.same(parseTrigger('none rfkill-any [timer] heartbeat\n'), { active: 'timer', available: ['none', 'rfkill-any', 'timer', 'heartbeat'] });
  t.same(parseTrigger('[none] timer\n'), { active: 'none', available: ['none', 'timer'] });
  t.same(parseTrigger('timer'), { active: 'timer', available: ['timer'] }, 'a stand-in file holding the last write');
});

function check(id: string, run: SelfTestCheck['run'], timeoutMs = 1000): SelfTestCheck {
  return { id, proves: `${id} works`, limit: 'works', timeoutMs, run };
}

t.test('runner: checks run in order; a throw and a hang fail with codes; cleanups always run', async (t) => {
  const clock = new ManualClock();
  const order: string[] = [];
  let hungCtx: CheckContext | null = null;
  let started!: () => void;
  const hangStarted = new Promise<void>((r) => (started = r));
  const checks = [
    check('first', async (ctx) => {
      order.push('first');
      ctx.onCleanup(() => order.push('first-cleanup'));
      return pass(1);
    }),
    check('throws', async () => {
      order.push('throws');
      throw Object.assign(new Error('nmcli gone'), { code: 'nmcli_missing' });
    }),
    check('crashes', async () => {
      throw new TypeError('oops');
    }),
    check(
      'hangs',
      (ctx) => {
        order.push('hangs');
        hungCtx = ctx;
        started();
        ctx.onCleanup(() => order.push('hangs-cleanup'));
        return new Promise(() => undefined);
      },
      500,
    ),
    check('fails', async () => fail('wifi_no_networks', 0, 'none')),
  ];
  const running = runSelfTest(checks, { clock, logger });
  // Once the hanging check has started, let its time run out.
  await hangStarted;
  clock.advance(500);
  const report = await running;
  t.equal((hungCtx as CheckContext | null)?.signal.aborted, true, 'the abandoned check was told to stop');
  t.same(order, ['first', 'first-cleanup', 'throws', 'hangs', 'hangs-cleanup']);
  t.same(
    report.checks.map((c) => [c.id, c.pass, c.code]),
    [
      ['first', true, null],
      ['throws', false, 'nmcli_missing'],
      ['crashes', false, 'check_crashed'],
      ['hangs', false, 'check_timeout'],
      ['fails', false, 'wifi_no_networks'],
    ],
  );
  t.equal(report.checks[3]?.durationMs, 500);
  t.equal(report.verdict, 'fail');
});

t.test('report: verdict and human table', async (t) => {
  const row = (id: string, passed: boolean): CheckResult => ({
    id,
    proves: '',
    pass: passed,
    measured: passed ? 12.345 : null,
    limit: '>= 1',
    durationMs: 1500,
    code: passed ? null : 'wifi_no_networks',
    detail: passed ? null : 'nothing heard',
  });
  t.equal(verdictOf([]), 'fail', 'no checks is not a pass');
  t.equal(verdictOf([row('a', true)]), 'pass');
  const lines = formatHumanReport({ formatVersion: 1, verdict: 'fail', startedAt: '', durationMs: 3000, checks: [row('clock', true), row('wifi-scan', false)] });
  t.same(lines, [
    'CHECK      RESULT  MEASURED  LIMIT  TIME',
    'clock      PASS    12.3      >= 1   1.5 s',
    'wifi-scan  FAIL    -         >= 1   1.5 s',
    '  -> wifi_no_networks: nothing heard',
    '',
    'VERDICT: FAIL (1 of 2 checks failed: wifi-scan)',
  ]);
});

t.test('arguments', async (t) => {
  t.same(parseSelfTestArgs([]), { configFile: undefined, json: false, only: null, help: false });
  t.same(parseSelfTestArgs(['--config', 'a.json', '--json', '--only', 'clock, identity']), { configFile: 'a.json', json: true, only: ['clock', 'identity'], help: false });
  t.match(parseSelfTestArgs(['--only', 'nope']), { problem: /unknown check id\(s\): nope/ });
  t.match(parseSelfTestArgs(['--json=1']), { problem: /.+/ });
  t.match(parseSelfTestArgs(['positional']), { problem: /.+/ });
});
