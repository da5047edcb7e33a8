/**
 * Cross-architecture smoke test: the production bundle for an ARM camera,
 * run on this x86 machine under qemu user-mode emulation with the official
 * ARM Node.js build from the npm registry and a Debian bookworm sysroot
 * (glibc 2.36), both fetched and cached by scripts/arm-rig (recipe:
 * ../shared/reference/arm-and-qr.md §1–2).
 *
 * Checked per target: `--version`, `config check` on the firmware overlay's
 * config, `qr decode` of a QR code drawn by the host, and a snapshot resized
 * with the bundle's own sharp, whose loaded addon and libvips must be the
 * target's (ELF machine) and not a host fallback. Emulation says nothing
 * about speed on the camera; it proves the bundle carries the right binaries
 * and that they load against the target's glibc and libstdc++.
 *
 * armv7 runs too: sharp 0.35's armv7 prebuilt needs glibc >= 2.36 and
 * GLIBCXX_3.4.29, which bookworm has. Node's armv7l package stops at 20.11.0,
 * so armv7 runs on that Node rather than the host's exact version.
 *
 * Nothing is skipped: without qemu-user-static (scripts/ensure-deps --test
 * installs it) or without network on the first run, the test fails with the
 * reason. Measured on the 2-core dev VM: about 55 s for both targets with a
 * warm rig cache (scripts/bundle takes ~14 s of each target's ~27 s, the four
 * emulated node runs ~12 s), about 65 s on the first run, which also
 * downloads ~12 MB of Debian lists and debs and a 42 MB Node per target.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';

type ArmTarget = 'arm64' | 'armv7';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RIG = join(ROOT, 'scripts/arm-rig');
const OVERLAY_CONFIG = join(ROOT, 'firmware-overlay/etc/camera-agent/config.json');
const ELF_MACHINE: Record<ArmTarget, number> = { arm64: 183, armv7: 40 };
const NODE_ARCH: Record<ArmTarget, string> = { arm64: 'arm64', armv7: 'arm' };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; never throws for a non-zero exit (the caller asserts). */
function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs: number; progress?: boolean }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // Downloads on the first run take a while: let CI logs show why.
      if (opts.progress) process.stderr.write(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** tap diagnostics for a failed run: the exit code and the ends of its output. */
function diagnostics(r: Run): Record<string, unknown> {
  return { exitCode: r.code, stdout: r.stdout.slice(-2000), stderr: r.stderr.slice(-3000) };
}

/** Fetches (first run) or finds (cached) the target's sysroot and ARM Node; false (and a failed assertion) when that fails. */
async function prepareRig(t: Test, target: ArmTarget): Promise<boolean> {
  const r = await run(join(RIG, 'prepare'), [target], { timeoutMs: 240_000, progress: true });
  if (r.code !== 0) {
    const reason = r.stderr.slice(r.stderr.lastIndexOf('arm-rig: error: ')).split('\n')[0];
    t.fail(`the ARM rig is ready (scripts/arm-rig/prepare ${target}): ${reason || 'failed'}`, diagnostics(r));
    return false;
  }
  const field = (name: string) => r.stdout.match(new RegExp(`^${name}: (.+)$`, 'm'))?.[1] ?? '';
  t.comment(`rig: ${field('qemu')} -L ${field('sysroot')} ${field('node')}`);
  return true;
}

/** The JSON object on a program's last line of output, or null. */
function lastJsonLine<T>(stdout: string): T | null {
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
  } catch {
    return null;
  }
}

/**
 * The unpacked production bundle for the target, built by scripts/bundle
 * into a temp folder; null (and a failed assertion) when that fails.
 * --no-build: npm test builds dist/ before tap starts, and a rebuild here
 * would empty dist/ under the tests running alongside.
 */
async function armBundle(t: Test, target: ArmTarget): Promise<string | null> {
  try {
    await stat(join(ROOT, 'dist/camera-agent.mjs'));
  } catch {
    t.fail('dist/ is built (run `npm run build` first; npm test does)');
    return null;
  }
  const out = await tempDir(t, `camera-agent-${target}-bundle-`);
  const r = await run(join(ROOT, 'scripts/bundle'), ['--arch', target, '--out', out, '--no-build'], { timeoutMs: 240_000 });
  const lines = r.stdout.trim().split('\n');
  const dir = lines.at(-1)?.match(/^bundle: (\/.+)$/)?.[1];
  if (r.code !== 0 || !dir) {
    t.fail(`scripts/bundle --arch ${target} builds a bundle and ends with "bundle: <dir>"`, diagnostics(r));
    return null;
  }
  const size = lines.find((l) => l.startsWith('bundle: unpacked '));
  if (size) t.comment(size);
  return dir;
}

/** Host-made inputs: a QR code drawn by the host agent and a testsrc snapshot from the host ffmpeg. */
async function makeInputs(t: Test, dir: string): Promise<{ qrPng: string; snapshot: string }> {
  const qrPng = join(dir, 'provisioning-qr.png');
  const enc = await run(
    process.execPath,
    [join(ROOT, 'bin/camera-agent.js'), 'qr', 'encode', '--ssid', 'Smoke-Test Net', '--password', 'secret123', '--format', 'wifi', '--png', qrPng],
    { timeoutMs: 30_000 },
  );
  t.equal(enc.code, 0, 'the host draws the QR code', { stderr: enc.stderr });
  const snapshot = join(dir, 'snapshot.jpg');
  const ff = await run(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=1280x720:rate=1', '-frames:v', '1', '-y', snapshot],
    { timeoutMs: 30_000 },
  );
  t.equal(ff.code, 0, 'the host ffmpeg makes a 1280x720 snapshot', { stderr: ff.stderr });
  return { qrPng, snapshot };
}

interface SharpProbe {
  arch: string;
  platform: string;
  node: string;
  glibc: string | null;
  sharp: { resolved: string; version: string | null; vips: string; requireMs: number };
  addon: { path: string; elfMachine: number | null } | null;
  libvips: { path: string; elfMachine: number | null } | null;
  input: { width: number; height: number; format: string };
  output: { width: number; height: number; format: string; resizeMs: number };
  ffmpeg: { ok: boolean; version?: string; error?: string };
}

async function smoke(t: Test, target: ArmTarget): Promise<void> {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  let t0 = performance.now();
  const lap = (what: string) => {
    t.comment(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
  };
  if (!(await prepareRig(t, target))) return;
  lap('rig ready');
  const bundle = await armBundle(t, target);
  if (!bundle) return;
  lap('bundle ready');
  const work = await tempDir(t, `camera-agent-${target}-smoke-`);
  const { qrPng, snapshot } = await makeInputs(t, work);
  lap('inputs made');
  // The emulated node starts in ~1 s and loads sharp in ~0.7 s; the limits
  // are generous for a busy CI runner. tap's @tapjs/processinfo puts an
  // `--import` of itself (from the repo's node_modules) into NODE_OPTIONS of
  // every child it sees spawned, whatever env the spawn passes; `env -u`
  // drops it, so the emulated node loads nothing from outside the bundle
  // (and starts ~2 s faster).
  const armNode = (args: string[]) => run('env', ['-u', 'NODE_OPTIONS', join(RIG, 'arm-node'), target, ...args], { cwd: bundle, timeoutMs: 90_000 });
  const agent = join(bundle, 'bin/camera-agent.js');

  const version = await armNode([agent, '--version']);
  lap('--version');
  t.equal(version.code, 0, '--version exits 0', { stderr: version.stderr });
  t.equal(version.stdout.trim(), pkg.version, '--version prints the package version');

  const check = await armNode([agent, 'config', 'check', OVERLAY_CONFIG]);
  lap('config check');
  t.equal(check.code, 0, "config check accepts the firmware overlay's config", { output: check.stdout + check.stderr });

  const qr = await armNode([agent, 'qr', 'decode', qrPng]);
  lap('qr decode');
  t.equal(qr.code, 0, 'qr decode exits 0', { output: qr.stdout + qr.stderr });
  const decoded = lastJsonLine<{ codes?: unknown[] }>(qr.stdout);
  t.same(decoded?.codes, [{ kind: 'provisioning', format: 'wifi', ssid: 'Smoke-Test Net', auth: 'wpa', hidden: false, binding: false }], 'the QR decoder reads the payload (password withheld)');

  const resized = join(work, 'resized.jpg');
  const probeRun = await armNode([join(RIG, 'probe-sharp.mjs'), bundle, snapshot, resized]);
  lap('sharp probe');
  t.equal(probeRun.code, 0, 'the sharp probe exits 0', { output: probeRun.stdout + probeRun.stderr });
  const probe = lastJsonLine<SharpProbe>(probeRun.stdout);
  if (!probe) {
    t.fail('the sharp probe printed no JSON line', { output: probeRun.stdout + probeRun.stderr });
    return;
  }
  t.comment(`${target}: node ${probe.node}, glibc ${probe.glibc}, sharp ${probe.sharp.version} (libvips ${probe.sharp.vips}), require ${probe.sharp.requireMs} ms, resize ${probe.output.resizeMs} ms`);
  t.equal(probe.arch, NODE_ARCH[target], 'process.arch is the target');
  t.equal(probe.platform, 'linux');
  t.ok(probe.sharp.resolved.startsWith(join(bundle, 'node_modules')), "sharp comes from the bundle's node_modules", { resolved: probe.sharp.resolved });
  t.match(probe.addon?.path, new RegExp(`sharp-linux-${NODE_ARCH[target]}[-.]`), "the loaded sharp addon is the target's prebuilt");
  t.equal(probe.addon?.elfMachine, ELF_MACHINE[target], 'the sharp addon is an ELF for the target CPU');
  t.match(probe.libvips?.path, new RegExp(`sharp-libvips-linux-${NODE_ARCH[target]}/`), "libvips is the target's");
  t.equal(probe.libvips?.elfMachine, ELF_MACHINE[target], 'libvips is an ELF for the target CPU');
  t.same(probe.input, { width: 1280, height: 720, format: 'jpeg' });
  t.match(probe.output, { width: 320, height: 180, format: 'jpeg' }, 'the snapshot is resized to 320x180 JPEG');
  // Without binfmt for ARM, qemu's execve hands x86 programs to the kernel, which runs them natively.
  t.ok(probe.ffmpeg.ok, 'the emulated node can spawn the host ffmpeg', { ffmpeg: probe.ffmpeg });
}

t.test('the arm64 bundle starts, checks the config, decodes a QR code and resizes a snapshot under qemu on the official ARM Node', async (t) => {
  t.setTimeout(140_000);
  await smoke(t, 'arm64');
});

t.test('the armv7 bundle does the same on a glibc 2.36 sysroot (sharp 0.35 armv7 needs >= 2.36)', async (t) => {
  t.setTimeout(140_000);
  await smoke(t, 'armv7');
});
