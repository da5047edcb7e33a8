// The x64 bundle (scripts/bundle) runs from an empty folder with only Node
// installed: no repository, no node_modules above it, no tap loader. It goes
// through the packages dist/ loads at run time (sharp and zxing-wasm by a
// QR round trip; every other one by loading it the way dist/ does), so a
// prune rule that removed something needed fails here.
import t from 'tap';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const repo = new URL('../../..', import.meta.url).pathname;
const pkg = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string };

interface Manifest {
  bundleFormat: number;
  agent: { name: string; version: string };
  git: { commit: string | null };
  target: { arch: string; libc: string };
  buildTime: string;
  requires: { node: { major: number; minimum: string }; glibc: string | null; glibcxx: string | null; source: string };
  runtimeImports: { specifier: string; how: 'import' | 'require' | 'resolve' }[];
  packages: { name: string; version: string; path: string }[];
  files: { path: string; size: number; sha256: string }[];
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** The environment of a camera: Node on PATH and nothing of the build machine (no NODE_OPTIONS loader, no NODE_PATH). */
const bareEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8' };

async function agent(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    // Through env -u: tap's process tracking puts its --import loader back into NODE_OPTIONS of every
    // child it sees spawned, whatever env the test passes (found with the arm64 smoke test).
    const { stdout, stderr } = await run('env', ['-u', 'NODE_OPTIONS', process.execPath, join(dir, 'bin/camera-agent.js'), ...args], { cwd: dir, env: bareEnv, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

t.test('the x64 bundle runs from an empty folder with only Node installed', { skip: process.platform !== 'linux' || process.arch !== 'x64' ? 'needs a linux-x64 host to run the x64 bundle' : false }, async (t) => {
  const out = await tempDir(t, 'camera-agent-bundle-out-');
  const empty = await tempDir(t, 'camera-agent-bundle-run-');
  // npm test builds dist/ before the tests: use it as it is, so no other test sees dist/ rebuilt under it.
  const noBuild = existsSync(join(repo, 'dist/camera-agent.mjs')) ? ['--no-build'] : [];
  const built = await run(join(repo, 'scripts/bundle'), ['--arch', 'x64', '--out', out, ...noBuild], { cwd: repo, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 });
  const lines = built.stdout.trimEnd().split('\n');
  const unpackedPath = lines.at(-1)!.replace(/^bundle: /, '');
  const name = `camera-agent-${pkg.version}-linux-x64`;
  t.equal(unpackedPath, join(out, name), 'the last line names the unpacked bundle');
  const tarball = join(out, `${name}.tar.xz`);
  t.ok(existsSync(tarball), 'the tarball is next to it');
  for (const line of lines.filter((l) => /unpacked|\.tar\.xz:|requires|node_modules for/.test(l))) t.comment(line);
  const top = lines.findIndex((l) => l.startsWith('bundle: biggest contributors'));
  for (const line of lines.slice(top + 1, top + 11)) t.comment(line);

  await run('tar', ['-xJf', tarball, '-C', empty]);
  t.same(await readdir(empty), [name], 'the tarball holds one folder');
  const dir = join(empty, name);

  const manifest = JSON.parse(await readFile(join(dir, 'MANIFEST.json'), 'utf8')) as Manifest;
  t.test('MANIFEST.json describes the bundle', async (t) => {
    t.equal(manifest.bundleFormat, 1);
    t.same(manifest.agent, { name: 'camera-agent', version: pkg.version });
    t.match(manifest.target, { arch: 'x64', libc: 'glibc' });
    t.ok(!Number.isNaN(Date.parse(manifest.buildTime)), 'build time is a date');
    t.equal(manifest.requires.node.major, 20);
    t.equal(manifest.requires.source, 'readelf', 'glibc needs measured, not assumed');
    t.match(manifest.requires.glibc, /^2\.\d+$/);
    t.match(manifest.requires.glibcxx, /^3\.4\.\d+$/);
    const names = manifest.packages.map((p) => p.name);
    t.ok(names.includes('sharp'), 'sharp ships');
    t.ok(names.includes('@img/sharp-linux-x64') && names.includes('@img/sharp-libvips-linux-x64'), "with sharp's x64 prebuilt and libvips");
    t.same(names.filter((n) => /^@img\/sharp-(libvips-)?linux(musl)?-(?!x64$)/.test(n)), [], 'and no other platform prebuilt');
    t.same(names.filter((n) => n.startsWith('@types/')), [], 'no @types packages');
    t.ok(existsSync(join(dir, 'node_modules/zxing-wasm/dist/reader/zxing_reader.wasm')), 'the reader wasm ships');
    t.notOk(existsSync(join(dir, 'node_modules/zxing-wasm/dist/full')), 'the full zxing build does not');
  });

  t.test('every file is listed with its SHA-256, and SHA256SUMS covers the manifest', async (t) => {
    const listed = new Map(manifest.files.map((f) => [f.path, f.sha256]));
    const onDisk: string[] = [];
    for await (const file of walk(dir)) onDisk.push(relative(dir, file));
    t.same(onDisk.filter((p) => p !== 'MANIFEST.json' && p !== 'SHA256SUMS').sort(), [...listed.keys()].sort(), 'the manifest lists exactly the files in the bundle');
    let mismatched = 0;
    for (const f of manifest.files) if ((await sha256(join(dir, f.path))) !== f.sha256 || (await stat(join(dir, f.path))).size !== f.size) mismatched++;
    t.equal(mismatched, 0, `${manifest.files.length} files match their SHA-256 and size`);
    await t.resolves(run('sha256sum', ['--check', '--quiet', 'SHA256SUMS'], { cwd: dir }), 'sha256sum --check passes');
    t.match(await readFile(join(dir, 'SHA256SUMS'), 'utf8'), /  MANIFEST\.json\n/);
    t.notOk(onDisk.some((p) => /\.d\.ts$|\.map$|\/coverage\//.test(p)), 'no declarations, source maps or coverage');
    t.ok(onDisk.some((p) => /^node_modules\/sharp\/LICENSE$/.test(p)), 'licence files stay');
    t.match(await readFile(join(dir, 'REQUIREMENTS.txt'), 'utf8'), new RegExp(`glibc >= ${manifest.requires.glibc!.replace('.', '\\.')}`));
  });

  t.test('--version and config check answer', async (t) => {
    const version = await agent(dir, ['--version']);
    t.equal(version.code, 0);
    t.equal(version.stdout.trim(), pkg.version);
    const good = await agent(dir, ['config', 'check', join(repo, 'firmware-overlay/etc/camera-agent/config.json')]);
    t.equal(good.code, 0, `the firmware overlay's config is valid: ${good.stderr}`);
    const badFile = join(empty, 'bad-config.json');
    await writeFile(badFile, '{"noSuchKey": 1}\n');
    const bad = await agent(dir, ['config', 'check', badFile]);
    t.equal(bad.code, 2, 'an unknown key is a config error');
    t.match(bad.stderr, /noSuchKey/);
  });

  t.test('a QR code made by the bundle is read back by its sharp and zxing-wasm', async (t) => {
    const png = join(empty, 'wifi.png');
    const encoded = await agent(dir, ['qr', 'encode', '--ssid', 'Bundle Net', '--password', 'secret123', '--png', png]);
    t.equal(encoded.code, 0, encoded.stderr);
    const decoded = await agent(dir, ['qr', 'decode', png]);
    t.equal(decoded.code, 0, decoded.stderr);
    const line = JSON.parse(decoded.stdout.trim()) as { codes: { kind: string; ssid: string; auth: string }[] };
    t.match(line.codes, [{ kind: 'provisioning', ssid: 'Bundle Net', auth: 'wpa' }]);
    t.notMatch(decoded.stdout, /secret123/, 'the password is not echoed');
  });

  t.test('every package dist/ loads at run time resolves and loads from the bundle', async (t) => {
    t.ok(manifest.runtimeImports.length >= 5, 'sharp, zxing-wasm, fluent-ffmpeg, node-onvif, node-wifi at least');
    // Loaded from a module in dist/, so it resolves exactly as the agent does.
    const probe = join(dir, 'dist', 'bundle-probe.mjs');
    await writeFile(
      probe,
      `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const results = {};
for (const { specifier, how } of ${JSON.stringify(manifest.runtimeImports)}) {
  try {
    if (how === 'import') await import(specifier);
    else if (how === 'require') require(specifier);
    else require.resolve(specifier);
    results[specifier] = 'ok';
  } catch (err) {
    results[specifier] = String(err.message).split('\\n')[0];
  }
}
const sharp = (await import('sharp')).default;
results.sharpVips = sharp.versions.vips;
// The native addon sharp loaded (Node's CommonJS cache is shared by every createRequire).
results.sharpBinary = Object.keys(require.cache).find((k) => k.endsWith('.node')) ?? null;
console.log(JSON.stringify(results));
`,
    );
    const { stdout } = await run('env', ['-u', 'NODE_OPTIONS', process.execPath, probe], { cwd: dir, env: bareEnv, timeout: 30_000 });
    const results = JSON.parse(stdout) as Record<string, string | boolean>;
    for (const { specifier } of manifest.runtimeImports) t.equal(results[specifier], 'ok', `${specifier} loads`);
    t.match(results.sharpVips, /^\d+\.\d+\.\d+$/, 'sharp reports its libvips');
    t.equal(results.sharpBinary, join(dir, `node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64-${manifest.packages.find((p) => p.name === 'sharp')!.version}.node`), "sharp's x64 prebuilt loads from the bundle");
  });
});
