import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { BIN, ROOT, assertBuilt } from '../../helpers/daemon.js';

assertBuilt();
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

t.test('--version prints the package version', async (t) => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const r = cli(['--version']);
  t.equal(r.status, 0);
  t.equal(r.stdout.trim(), pkg.version);
});

t.test('--help for every command', async (t) => {
  for (const args of [['--help'], ['run', '--help'], ['demo', '--help'], ['config', 'check', '--help'], ['config', 'show', '--help']]) {
    const r = cli(args);
    t.equal(r.status, 0, args.join(' '));
    t.match(r.stdout, /Usage: camera-agent/);
  }
});

t.test('usage errors exit 2 with a hint', async (t) => {
  for (const args of [[], ['frobnicate'], ['run', '--nope'], ['config'], ['config', 'check'], ['config', 'check', 'a', 'b']]) {
    const r = cli(args);
    t.equal(r.status, 2, args.join(' ') || '(no args)');
  }
  t.match(cli(['frobnicate']).stderr, /unknown command: frobnicate/);
});

t.test('config check: a wrong type, an out-of-range value and an unknown key, one line each', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'bad.json');
  await writeFile(file, JSON.stringify({ hal: { mode: 42, button: { gpioLine: 5000 } }, video: { analysis: { fps: 5 }, colour: true } }));
  const r = cli(['config', 'check', file]);
  t.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  t.same(lines, [
    'hal.mode: 42 must be one of "sim", "linux"',
    'hal.button.gpioLine: 5000 must be ≤ 1023',
    'video.colour: true is not a known configuration key',
  ]);
});

t.test('config check: valid, unreadable and malformed files', async (t) => {
  const dir = await tempDir(t);
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify({ hal: { mode: 'linux' } }));
  const ok = cli(['config', 'check', good]);
  t.equal(ok.status, 0);
  t.match(ok.stdout, /valid/);
  t.equal(cli(['config', 'check', join(dir, 'missing.json')]).status, 2);
  const torn = join(dir, 'torn.json');
  await writeFile(torn, '{"hal": {"mo');
  const r = cli(['config', 'check', torn]);
  t.equal(r.status, 2);
  t.match(r.stderr, /not valid JSON/);
  const newer = join(dir, 'newer.json');
  await writeFile(newer, JSON.stringify({ configVersion: 99 }));
  t.equal(cli(['config', 'check', newer]).status, 2);
  await writeFile(firmwareOverlayCopy(dir), await readFile(join(ROOT, 'firmware-overlay/etc/camera-agent/config.json'), 'utf8'));
  t.equal(cli(['config', 'check', firmwareOverlayCopy(dir)]).status, 0, 'the shipped firmware config is valid');
});

function firmwareOverlayCopy(dir: string): string {
  return join(dir, 'overlay.json');
}

t.test('config show: effective config as JSON, origins per key', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'c.json');
  await writeFile(file, JSON.stringify({ data: { dir: join(dir, 'd') }, identity: { dir: join(dir, 'f') }, device: { language: 'de' } }));
  const env = { CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json'), CAMERA_AGENT_LOG_LEVEL: 'debug' };
  const r = cli(['config', 'show', '--config', file], env);
  t.equal(r.status, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as { device: { language: string }; log: { level: string }; hal: { mode: string } };
  t.equal(shown.device.language, 'de');
  t.equal(shown.log.level, 'debug');
  t.equal(shown.hal.mode, 'sim');
  const o = cli(['config', 'show', '--origin', '--config', file], env);
  t.match(o.stdout, /^device\.language = "de"  \(cli\)$/m);
  t.match(o.stdout, /^log\.level = "debug"  \(env\)$/m);
  t.match(o.stdout, /^hal\.mode = "sim"  \(defaults\)$/m);
});
