/** `camera-agent motion analyze`: output contract, debug frames, failures as exit codes. */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import sharp from 'sharp';
import { motionCommand } from '../../../src/cli/motion-command.js';
import { ensureClip, scenarioNamed, variants } from '../../../scripts/make-scenarios.js';
import { analyze, scenarioCacheDir } from '../../helpers/scenario-runner.js';
import { tempDir } from '../../helpers/tmp.js';

t.test('prints one JSON line per event and a summary line; t is video time, decoding faster than real time', async (t) => {
  const clip = await ensureClip(scenarioCacheDir, scenarioNamed('person'), variants['h264-mp4']!);
  const out: string[] = [];
  const code = await motionCommand(['analyze', clip], { out: (l) => out.push(l), err: () => undefined });
  t.equal(code, 0);
  t.same(JSON.parse(out[0]!), { event: 'start', t: 2.2, zones: [], score: JSON.parse(out[0]!).score });
  t.match(JSON.parse(out[1]!), { event: 'end', t: 7.8, reason: 'flush' });
  const { summary } = JSON.parse(out[2]!);
  t.match(summary, { frames: 40, seconds: 8, events: 2, starts: 1, sceneChanges: 0, size: '160x90' });
  t.ok(summary.elapsedMs < 8000 / 2, `8 s of video analysed in ${summary.elapsedMs} ms`);
});

t.test('--debug-dir writes one annotated PNG per frame at 4× the working size', async (t) => {
  const dir = await tempDir(t);
  const clip = await ensureClip(scenarioCacheDir, scenarioNamed('person'), variants['h264-mp4']!);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ motion: { zones: [{ name: 'left', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }] } }));
  const run = await analyze(clip, ['--config', config, '--debug-dir', join(dir, 'frames'), '--fps', '2']);
  t.equal(run.code, 0);
  t.same(run.events[0]?.zones, ['left']);
  const files = (await readdir(join(dir, 'frames'))).sort();
  t.equal(files.length, 16, '8 s at 2 fps');
  t.match(files[0], /^000000_t0\.00s_calibrating_score0\.00\.png$/);
  t.ok(files.some((f) => f.endsWith('_start.png')), 'the frame that started the event is marked');
  const meta = await sharp(join(dir, 'frames', files[5]!)).metadata();
  t.same([meta.width, meta.height, meta.channels], [640, 360, 3]);
});

t.test('configuration problems exit 2 with one line per problem', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'bad.json');
  await writeFile(config, JSON.stringify({ motion: { threshold: 999, masks: [{ points: [[0, 0]] }] } }));
  const run = await analyze('/nonexistent.mp4', ['--config', config]);
  t.equal(run.code, 2);
  t.equal(run.err.length, 2);
  t.match(run.err.join('\n'), /motion\.threshold: must be ≤ 255/);
  t.match(run.err.join('\n'), /motion\.masks: mask 1: points/);
  const notJson = join(dir, 'x.json');
  await writeFile(notJson, '{');
  t.equal((await analyze('/x.mp4', ['--config', notJson])).code, 2);
});

t.test('usage errors exit 2; an unreadable video exits 1 with the ffmpeg reason', async (t) => {
  const io = { out: () => undefined, err: () => undefined };
  t.equal(await motionCommand([], io), 2);
  t.equal(await motionCommand(['analyze'], io), 2);
  t.equal(await motionCommand(['analyze', 'a.mp4', '--fps', '0'], io), 2);
  t.equal(await motionCommand(['analyze', 'a.mp4', '--width', '100'], io), 2);
  t.equal(await motionCommand(['frobnicate'], io), 2);
  t.equal(await motionCommand(['--help'], io), 0);
  const run = await analyze('/nonexistent/clip.mp4');
  t.equal(run.code, 1);
  t.match(run.err[0], /ffmpeg exited .*\(ffmpeg_exited\)/);
});
