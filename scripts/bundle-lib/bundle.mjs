// scripts/bundle --arch arm64|armv7|x64 [--out DIR] [--no-build]
//
// A self-contained tarball of the compiled agent for one camera
// architecture: dist/ and bin/ from `npm run build`, plus the production
// packages dist/ still loads from node_modules (the ones esbuild leaves
// external), installed for the target CPU from package-lock.json and
// pruned. Writes MANIFEST.json (versions, ELF requirements, SHA-256 of every
// file), SHA256SUMS and REQUIREMENTS.txt into it; prints the sizes and the
// biggest contributors; the last line is `bundle: <unpacked dir>`.
//
// Only Node itself is not included: the target provides it (REQUIREMENTS.txt).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { analyseDist, packageOf } from './dist-deps.mjs';
import { compareVersions, elfRequirements } from './elf-needs.mjs';
import { LICENCE_FILE, packageDirs, prune } from './prune.mjs';

const BUNDLE_FORMAT = 1;
const REPO = resolve(dirname(new URL(import.meta.url).pathname), '../..');
/** Our arch names → npm's --cpu and the @img/sharp-* suffix. */
const ARCHES = {
  arm64: { cpu: 'arm64', sharp: 'linux-arm64' },
  armv7: { cpu: 'arm', sharp: 'linux-arm' },
  x64: { cpu: 'x64', sharp: 'linux-x64' },
};
/** issue 12: arm64 ≤ 35 MB unpacked, Node excluded (arm-and-qr.md §3 measured 34.6 MB pruned with every dependency installed). */
const GOAL_BYTES = { arm64: 35e6 };

/**
 * The programs the agent runs, for REQUIREMENTS.txt (found with
 * `grep -rn "startProgram\|spawn(\|execFile" src`; the config key that
 * changes the program, if any).
 */
const PROGRAMS = [
  ['ffmpeg', 'frame source (motion, QR scanning), snapshots, talkback encoding/decoding; fluent-ffmpeg and src/media/ffmpeg.ts; FFMPEG_PATH or PATH', 'required'],
  ['aplay, arecord (alsa-utils)', 'speaker (prompts, test tone, talkback playback) and microphone; hal.speaker / hal.microphone', 'required with real audio hardware'],
  ['nmcli (NetworkManager)', 'Wi-Fi station join/scan/forget (node-wifi and direct nmcli); soft-AP backend "networkmanager"', 'required for Wi-Fi'],
  ['hostapd, dnsmasq, ip (iproute2), iw', 'provisioning soft-AP, backend "hostapd" (network.ap.backend, default); templates in /etc/camera-agent/ap', 'required for AP-mode provisioning'],
  ['gpiomon (libgpiod tools)', 'reset button when hal.button.source = gpiod', 'optional'],
  ['systemd-notify', 'Type=notify readiness and watchdog pings under systemd (NOTIFY_SOCKET)', 'required under the shipped systemd unit'],
  ['systemctl reboot', 'reboot action; hal.power.rebootCommand', 'default, configurable'],
  ['rauc install / rauc status mark-good', 'OTA hand-off; ota.installer.command / ota.installer.markGoodCommand', 'default, configurable'],
];

function usage(code) {
  (code ? process.stderr : process.stdout).write('usage: scripts/bundle --arch arm64|armv7|x64 [--out DIR] [--no-build]\n' +
    '  --out DIR    where the unpacked bundle and the .tar.xz go (default build/bundles)\n' +
    '  --no-build   use dist/ as it is (default: npm run build unless dist/ is newer than src/)\n');
  process.exit(code);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    process.stderr.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  }
  return r.stdout;
}

function* walkFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = lstatSync(path);
    if (st.isDirectory()) yield* walkFiles(path);
    else yield { path, size: st.size };
  }
}

function newestMtime(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

const mb = (n) => (n / 1e6).toFixed(1);

function buildIfStale(noBuild) {
  const entry = join(REPO, 'dist/camera-agent.mjs');
  if (noBuild) {
    if (!existsSync(entry)) throw new Error('dist/ is missing: run `npm run build` first (or drop --no-build)');
    return 'reused (--no-build)';
  }
  const inputs = ['src', 'package.json', 'package-lock.json', 'scripts/build.mjs'].map((p) => newestMtime(join(REPO, p)));
  if (existsSync(entry) && statSync(entry).mtimeMs >= Math.max(...inputs)) return 'reused (newer than src/)';
  run('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit'] });
  return 'built';
}

function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const time = Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO, encoding: 'utf8' }).trim());
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bin', 'scripts/build.mjs', 'package.json', 'package-lock.json'], { cwd: REPO, encoding: 'utf8' });
    return { commit, commitTime: time, dirty: status.trim() !== '' };
  } catch {
    return { commit: null, commitTime: null, dirty: null };
  }
}

/** Checks every installed package against package-lock.json: same path, same version. */
function checkAgainstLock(nodeModules, lock) {
  const wrong = [];
  for (const dir of packageDirs(nodeModules)) {
    const key = relative(dirname(nodeModules), dir);
    const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    if (lock.packages[key]?.version !== version) wrong.push(`${key}@${version} (lock: ${lock.packages[key]?.version ?? 'absent'})`);
  }
  if (wrong.length) throw new Error(`installed packages differ from package-lock.json: ${wrong.join(', ')}`);
}

/** {name, version, license, path} of every package in the bundle's node_modules. */
function listPackages(root) {
  return packageDirs(join(root, 'node_modules')).map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { name: pkg.name, version: pkg.version, license: typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? null), path: relative(root, dir) };
  });
}

/** The highest plain ">=x.y.z" among engines.node ranges, and who sets it. */
function nodeMinimum(root, rootEngine) {
  let best = { version: /(\d+(\.\d+){0,2})/.exec(rootEngine ?? '')?.[1] ?? '0', from: 'package.json' };
  for (const dir of packageDirs(join(root, 'node_modules'))) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const m = /^\s*>=\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(pkg.engines?.node ?? '');
    if (m && compareVersions(m[1], best.version) > 0) best = { version: m[1], from: `${pkg.name}@${pkg.version}` };
  }
  return best;
}

/** Licence texts of the packages esbuild copied into dist/ (legalComments: 'none' drops them from the code). */
function thirdPartyNotices(bundled, lock) {
  const parts = ['Third-party packages compiled into dist/ by esbuild (scripts/build.mjs), with their licence texts.',
    'Packages under node_modules/ keep their own licence files.', ''];
  for (const b of bundled) {
    const dir = join(REPO, b.path);
    const texts = existsSync(dir) ? readdirSync(dir).filter((n) => LICENCE_FILE.test(n)).sort() : [];
    parts.push('='.repeat(78), `${b.name}@${b.version}  (${lock.packages[b.path]?.license ?? 'licence not declared'})`, '='.repeat(78));
    if (texts.length === 0) parts.push('(the package ships no licence file; see its package.json)', '');
    for (const t of texts) parts.push(readFileSync(join(dir, t), 'utf8').trimEnd(), '');
  }
  return `${parts.join('\n')}\n`;
}

function requirementsText({ name, version, arch, node, elf, shipped }) {
  const lines = [
    `${name} ${version} for linux-${arch}: what the target system must provide.`,
    `Generated by scripts/bundle; the numbers come from MANIFEST.json.`,
    '',
    'Runtime',
    `  Node.js    >= ${node.minimum} (major ${node.major}; set by ${node.minimumFrom}; package.json engines "${node.engines}").`,
    `             Not in this bundle. Run: node ${'<dir>'}/bin/camera-agent.js`,
    `  C library  glibc >= ${elf.glibc ?? 'unknown'} (musl and uClibc cannot load sharp's prebuilt binaries)`,
    `  C++        libstdc++ with GLIBCXX_${elf.glibcxx ?? '?'}${elf.cxxabi ? ` and CXXABI_${elf.cxxabi}` : ''}`,
    `             (${elf.source === 'documented' ? 'documented values: binutils was missing on the build host' : `highest symbol versions in the bundle's ELF files, read with ${elf.source}`})`,
    `  Libraries  ${elf.needed.join(' ') || '(unknown)'}`,
  ];
  if (arch === 'armv7') lines.push("             The official armv7l Node build also needs libatomic.so.1.");
  lines.push('', 'Programs the agent runs (on PATH unless the config names them)');
  for (const [prog, what, need] of PROGRAMS) lines.push(`  ${prog}`, `      ${what} [${need}]`);
  lines.push('', 'Packages loaded from node_modules (the rest is compiled into dist/)', `  ${shipped.join(', ')}`, '');
  return lines.join('\n');
}

/** Sizes per package (nested node_modules counted separately) and per top-level entry. */
function contributors(root) {
  const owners = packageDirs(join(root, 'node_modules')).map((d) => relative(root, d)).sort((a, b) => b.length - a.length);
  const totals = new Map();
  for (const f of walkFiles(root)) {
    const rel = relative(root, f.path);
    const owner = owners.find((o) => rel.startsWith(`${o}/`)) ?? rel.split('/')[0];
    totals.set(owner, (totals.get(owner) ?? 0) + f.size);
  }
  return [...totals].map(([what, bytes]) => ({ what, bytes })).sort((a, b) => b.bytes - a.bytes);
}

async function main() {
  let args;
  try {
    args = parseArgs({ options: { arch: { type: 'string' }, out: { type: 'string' }, 'no-build': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    usage(2);
  }
  if (args.help) usage(0);
  const arch = args.arch;
  if (!ARCHES[arch]) usage(2);
  const target = ARCHES[arch];
  const outDir = resolve(args.out ?? join(REPO, 'build/bundles'));
  const started = Date.now();

  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
  const bundleName = `${pkg.name}-${pkg.version}-linux-${arch}`;
  const log = (line) => process.stdout.write(`${line}\n`);

  log(`bundle: ${bundleName}: dist ${buildIfStale(args['no-build'] === true)}`);

  // What dist/ still loads from node_modules. A dependency is left out only
  // when its code is in dist/ and dist/ never names it.
  const dist = analyseDist(join(REPO, 'dist'));
  const external = new Set(dist.specifiers.map((s) => packageOf(s.specifier)));
  const bundled = dist.bundledPaths.map((p) => ({ path: p, name: p.replace(/^.*node_modules\//, ''), version: lock.packages[p]?.version ?? null }));
  const bundledNames = new Set(bundled.map((b) => b.name));
  const deps = Object.keys(pkg.dependencies ?? {}).sort();
  const shipped = deps.filter((d) => external.has(d) || !bundledNames.has(d));
  const devOnly = [...external].filter((n) => pkg.devDependencies?.[n]).sort();
  log(`bundle: loaded from node_modules: ${shipped.join(', ')}`);
  log(`bundle: compiled into dist/: ${deps.filter((d) => !shipped.includes(d)).join(', ')} (+ ${bundled.length - deps.filter((d) => !shipped.includes(d)).length} transitive)`);
  if (devOnly.length) log(`bundle: not shipped, devDependencies dist/ can load: ${devOnly.join(', ')} (the demo's stand-in broker; \`camera-agent demo\` needs a dev install)`);

  // Stage in a temp folder: no node_modules above it, nothing half-written in --out.
  const stage = mkdtempSync(join(tmpdir(), 'camera-agent-bundle-'));
  const root = join(stage, bundleName);
  try {
    mkdirSync(root);
    cpSync(join(REPO, 'dist'), join(root, 'dist'), { recursive: true });
    cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true });
    for (const f of readdirSync(REPO)) if (/^(readme|licen[cs]e|copying|notice)(\.|$)/i.test(f)) cpSync(join(REPO, f), join(root, f));
    const trimmed = { name: pkg.name, version: pkg.version, type: pkg.type, bin: pkg.bin, engines: pkg.engines, dependencies: Object.fromEntries(shipped.map((d) => [d, pkg.dependencies[d]])) };
    writeFileSync(join(root, 'package.json'), `${JSON.stringify(trimmed, null, 2)}\n`);

    // npm ci installs the lock's versions of the packages still in
    // package.json; --os/--cpu/--libc pick the target's optional packages
    // (sharp's @img/sharp-linux-<cpu> and libvips), not the build host's.
    cpSync(join(REPO, 'package-lock.json'), join(root, 'package-lock.json'));
    run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts', '--os=linux', `--cpu=${target.cpu}`, '--libc=glibc', '--loglevel=error'], {
      cwd: root,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    checkAgainstLock(join(root, 'node_modules'), lock);
    rmSync(join(root, 'package-lock.json'));
    rmSync(join(root, 'node_modules/.package-lock.json'), { force: true });

    // sharp: the target's prebuilt and libvips, and no other platform's.
    const img = existsSync(join(root, 'node_modules/@img')) ? readdirSync(join(root, 'node_modules/@img')) : [];
    const wanted = [`sharp-${target.sharp}`, `sharp-libvips-${target.sharp}`];
    const missing = shipped.includes('sharp') ? wanted.filter((w) => !img.includes(w)) : [];
    const foreign = img.filter((n) => n.startsWith('sharp-') && !wanted.includes(n));
    if (missing.length || foreign.length) throw new Error(`sharp prebuilts wrong for ${arch}: missing ${missing.join(', ') || 'none'}, foreign ${foreign.join(', ') || 'none'}`);

    const before = [...walkFiles(join(root, 'node_modules'))].reduce((s, f) => s + f.size, 0);
    const pruned = prune(join(root, 'node_modules'));

    const links = [...walkFiles(root)].filter((f) => lstatSync(f.path).isSymbolicLink()).map((f) => relative(root, f.path));
    if (links.length) throw new Error(`symbolic links left in the bundle (MANIFEST.json lists regular files only): ${links.join(', ')}`);

    const elfFiles = [...walkFiles(join(root, 'node_modules'))].map((f) => f.path).filter((p) => /\.node$|\.so(\.\d+)*$/.test(p));
    const elf = elfRequirements(elfFiles, arch, (f) => relative(root, f));
    const inBundle = new Set(elfFiles.map((f) => basename(f)));
    elf.needed = elf.needed.filter((lib) => !inBundle.has(lib));

    const packages = listPackages(root);
    const nodeMin = nodeMinimum(root, pkg.engines?.node);
    const node = { engines: pkg.engines?.node ?? null, major: Number(nodeMin.version.split('.')[0]), minimum: nodeMin.version, minimumFrom: nodeMin.from };

    writeFileSync(join(root, 'THIRD-PARTY-NOTICES.txt'), thirdPartyNotices(bundled, lock));
    writeFileSync(join(root, 'REQUIREMENTS.txt'), requirementsText({ name: pkg.name, version: pkg.version, arch, node, elf, shipped }));

    const git = gitInfo();
    const files = [...walkFiles(root)].map((f) => ({
      path: relative(root, f.path),
      size: f.size,
      sha256: createHash('sha256').update(readFileSync(f.path)).digest('hex'),
    }));
    const manifest = {
      bundleFormat: BUNDLE_FORMAT,
      agent: { name: pkg.name, version: pkg.version },
      git: { commit: git.commit, dirty: git.dirty },
      target: { os: 'linux', arch, npmCpu: target.cpu, libc: 'glibc' },
      // SOURCE_DATE_EPOCH (reproducible-builds.org) pins it, for byte-identical rebuilds of one dist/.
      buildTime: new Date(process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()).toISOString(),
      builtWith: { node: process.version, npm: run('npm', ['--version']).trim() },
      requires: {
        node,
        glibc: elf.glibc,
        glibcxx: elf.glibcxx,
        cxxabi: elf.cxxabi,
        sharedLibraries: elf.needed,
        source: elf.source,
        perBinary: elf.perFile,
        declaredBySharpLibvips: JSON.parse(readFileSync(join(root, `node_modules/@img/sharp-libvips-${target.sharp}/package.json`), 'utf8')).config?.glibc ?? null,
      },
      runtimeImports: dist.specifiers.filter((s) => shipped.includes(packageOf(s.specifier))),
      packages,
      compiledIntoDist: bundled.map(({ name, version }) => ({ name, version })),
      pruned: pruned.map((p) => ({ rule: p.rule, files: p.files, bytes: p.bytes })),
      files,
    };
    writeFileSync(join(root, 'MANIFEST.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const sums = [...walkFiles(root)].map((f) => `${createHash('sha256').update(readFileSync(f.path)).digest('hex')}  ${relative(root, f.path)}`);
    writeFileSync(join(root, 'SHA256SUMS'), `${sums.join('\n')}\n`);

    // Into --out: replace an earlier bundle of the same name.
    mkdirSync(outDir, { recursive: true });
    const finalDir = join(outDir, bundleName);
    const tarball = `${finalDir}.tar.xz`;
    rmSync(finalDir, { recursive: true, force: true });
    rmSync(tarball, { force: true });
    try {
      renameSync(root, finalDir);
    } catch (err) {
      if (err.code !== 'EXDEV') throw err;
      cpSync(root, finalDir, { recursive: true, verbatimSymlinks: true });
    }
    // Reproducible archive: sorted names, fixed owner, mtimes clamped to the commit.
    const epoch = process.env.SOURCE_DATE_EPOCH ?? String(git.commitTime ?? 0);
    run('bash', ['-c', 'set -o pipefail; tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$1" --format=gnu -C "$2" -cf - "$3" | xz -9 -T1 -c > "$4"', 'tar', epoch, outDir, bundleName, tarball]);

    // Report.
    const all = [...walkFiles(finalDir)];
    const unpacked = all.reduce((s, f) => s + f.size, 0);
    const nm = all.filter((f) => f.path.includes('/node_modules/')).reduce((s, f) => s + f.size, 0);
    const du = Number(run('du', ['-s', '-B1', finalDir]).split('\t')[0]);
    const xzSize = statSync(tarball).size;
    log(`bundle: node_modules for linux-${target.cpu}: ${packages.length} packages, ${mb(before)} MB installed → ${mb(nm)} MB pruned`);
    log('bundle: pruned:');
    for (const p of pruned) log(`  ${mb(p.bytes).padStart(6)} MB  ${String(p.files).padStart(5)} files  ${p.rule}`);
    log(`bundle: requires Node >= ${node.minimum} (${node.minimumFrom}), glibc >= ${elf.glibc}, GLIBCXX_${elf.glibcxx}${elf.cxxabi ? `, CXXABI_${elf.cxxabi}` : ''} (${elf.source})`);
    log('bundle: biggest contributors:');
    for (const c of contributors(finalDir).slice(0, 10)) {
      const p = packages.find((x) => x.path === c.what);
      log(`  ${mb(c.bytes).padStart(6)} MB  ${p ? `${p.name}@${p.version}` : c.what}`);
    }
    log(`bundle: unpacked ${unpacked} bytes (${mb(unpacked)} MB, ${(unpacked / 2 ** 20).toFixed(1)} MiB; ${mb(du)} MB on disk), ${all.length} files`);
    log(`bundle: ${tarball}: ${xzSize} bytes (${mb(xzSize)} MB)`);
    const goal = GOAL_BYTES[arch];
    if (goal) log(`bundle: goal ${arch} ≤ ${mb(goal)} MB unpacked (Node excluded): ${unpacked <= goal ? 'met' : 'NOT met'} (${mb(unpacked)} MB)`);
    log(`bundle: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    log(`bundle: ${finalDir}`);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bundle: ${err.message}\n`);
  process.exit(1);
});
