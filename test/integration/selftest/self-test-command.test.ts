/**
 * `camera-agent factory self-test` end to end on the simulated board: real
 * config loading, the sim HAL (LED, button, speaker→microphone room), real
 * ffmpeg on a lavfi test pattern, the sim Wi-Fi scanner, identity.json on disk.
 */
import { execFileSync } from 'node:child_process';
import t from 'tap';
import type { SelfTestReport } from '../../../src/selftest/report.js';
import { runSelfTestCommand, writeSelfTestConfig } from '../../helpers/selftest-rig.js';
import { tempDir } from '../../helpers/tmp.js';

const LAVFI = 'lavfi:testsrc2=size=320x180:rate=10';

function ffmpegChildren(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' }).trim();
  return out === '' ? [] : out.split('\n').filter((l) => l.includes('ffmpeg'));
}

t.test('with the simulated hardware and a lavfi camera every check passes, as JSON', async (t) => {
  const dir = await tempDir(t);
  const config = await writeSelfTestConfig(dir, { input: LAVFI });
  const run = await runSelfTestCommand(dir, ['--config', config, '--json']);
  t.equal(run.code, 0, run.out.join('\n') + run.err.join('\n'));
  const report = JSON.parse(run.out.join('\n')) as SelfTestReport;
  t.equal(report.formatVersion, 1);
  t.equal(report.verdict, 'pass');
  t.match(report.startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  t.type(report.durationMs, 'number');
  t.same(
    report.checks.map((c) => c.id),
    ['camera-frames', 'audio-loopback', 'status-led', 'reset-button', 'wifi-scan', 'clock', 'identity'],
  );
  for (const c of report.checks) {
    t.same(Object.keys(c).sort(), ['code', 'detail', 'durationMs', 'id', 'limit', 'measured', 'pass', 'proves'], `${c.id} fields`);
    t.equal(c.pass, true, `${c.id} passes: ${c.code ?? ''} ${c.detail ?? ''}`);
    t.equal(c.code, null);
    t.type(c.proves, 'string');
    t.type(c.limit, 'string');
    t.ok(c.durationMs >= 0);
  }
  const by = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  t.match(by['camera-frames']?.measured, /^\d+ frames, σ \d+\.\d$/);
  t.ok((by['audio-loopback']?.measured as number) >= 20, 'tone heard ≥ 20 dB over the room noise');
  t.equal(by['status-led']?.measured, 8, 'every LED pattern, talkback included');
  t.match(by['reset-button']?.measured, /^short, \d+ ms$/);
  t.equal(by['wifi-scan']?.measured, 7, 'the sim neighbourhood');
  t.equal(by['identity']?.measured, 'SN0000042');
  t.same(ffmpegChildren(), [], 'the frame source was stopped');
  t.ok(run.err.some((l) => l.includes('reset-button')), 'operator prompts go to stderr in JSON mode');
});

t.test('a camera input that does not exist fails the camera check with its code, exit 1', async (t) => {
  const dir = await tempDir(t);
  const config = await writeSelfTestConfig(dir, { input: '/nonexistent/video.mp4' });
  const run = await runSelfTestCommand(dir, ['--config', config, '--json', '--only', 'camera-frames,clock']);
  t.equal(run.code, 1);
  const report = JSON.parse(run.out.join('\n')) as SelfTestReport;
  t.equal(report.verdict, 'fail');
  t.same(
    report.checks.map((c) => [c.id, c.pass, c.code]),
    [
      ['camera-frames', false, 'camera_no_frames'],
      ['clock', true, null],
    ],
  );
  t.match(report.checks[0]?.detail, /^ffmpeg_exited: /);
  t.same(ffmpegChildren(), []);
});

t.test('the human report is a table with PASS/FAIL per check and a verdict', async (t) => {
  const dir = await tempDir(t);
  const config = await writeSelfTestConfig(dir, { input: LAVFI }, { serial: 'SN1' });
  const run = await runSelfTestCommand(dir, ['--config', config, '--only', 'identity,clock,status-led']);
  t.equal(run.code, 1);
  const text = run.out.join('\n');
  t.match(text, /^CHECK +RESULT +MEASURED +LIMIT +TIME$/m);
  t.match(text, /^status-led +PASS +8 +/m);
  t.match(text, /^clock +PASS +/m);
  t.match(text, /^identity +FAIL +SN1 +/m);
  t.match(text, /-> identity_incomplete: missing: formatVersion, deviceId, model/);
  t.match(run.out.at(-1), /^VERDICT: FAIL \(1 of 3 checks failed: identity\)$/);
});

t.test('usage errors exit 2 without touching the hardware', async (t) => {
  const dir = await tempDir(t);
  for (const argv of [['--bogus'], ['--only', 'camera-frames,warp-drive'], ['--only', ''], ['extra']]) {
    const run = await runSelfTestCommand(dir, argv);
    t.equal(run.code, 2, argv.join(' '));
    t.match(run.err.join('\n'), /Usage: camera-agent factory self-test/);
    t.same(run.out, []);
  }
  const missingConfig = await runSelfTestCommand(dir, ['--config', `${dir}/nope.json`]);
  t.equal(missingConfig.code, 2, 'an unreadable --config is a usage error');
  const help = await runSelfTestCommand(dir, ['--help']);
  t.equal(help.code, 0);
  t.match(help.out.join('\n'), /--only IDS/);
});
