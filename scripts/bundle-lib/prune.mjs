// Safe pruning of a production node_modules: what no code loads at run time.
// Measured on linux-arm64 (../shared/reference/arm-and-qr.md §3): *.d.ts
// 4.3 MB, *.md 2.4 MB, *.map 1.4 MB, fluent-ffmpeg's coverage/ 11 MB. Every
// rule is checked by the bundle tests, which run the agent from the pruned
// bundle (x64 natively, arm64 under qemu): a rule that removed something
// loaded at run time would fail them.
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Licence texts are kept whatever their extension (LICENSE.md, COPYING, NOTICE…): licence compliance. */
export const LICENCE_FILE = /^(licen[cs]e|copying|copyright|notice|patents?|authors)([-._].*)?$/i;

/** Folders at a package's root that hold no run-time code. */
const PACKAGE_ROOT_DIRS = new Set([
  'test', 'tests', 'spec', 'example', 'examples', 'sample', 'samples', 'doc', 'docs', 'coverage',
  'benchmark', 'benchmarks', 'bench', 'man', 'website', '.nyc_output',
]);

/** Folders that never hold run-time code wherever they are (tooling and test-fixture conventions). */
const ANY_DEPTH_DIRS = new Set(['.github', '.vscode', '.idea', '.circleci', '__tests__', '__mocks__', '__fixtures__', '__logs__']);

/** Files by name pattern: [rule, test(name)]. */
const FILE_RULES = [
  ['*.md / *.markdown (not licences)', (n) => /\.(md|markdown)$/i.test(n) && !LICENCE_FILE.test(n)],
  ['source maps', (n) => /\.(js|mjs|cjs|css)\.map$/i.test(n)],
  ['type declarations', (n) => /\.d\.(ts|cts|mts)$/.test(n) || /\.d\.ts\.map$/.test(n) || /\.tsbuildinfo$/.test(n)],
  ['*.test.js / *.spec.js', (n) => /\.(test|spec)\.(js|mjs|cjs)$/.test(n)],
  ['C/C++ sources and build files (prebuilt binaries ship; install scripts never run)', (n) => /\.(c|cc|cpp|h|hpp|gyp|gypi)$/.test(n)],
  ['tooling dotfiles and CI configs', (n) => /^\.(npmignore|travis\.yml|eslintrc.*|eslintignore|prettierrc.*|prettierignore|editorconfig|jshintrc|jscsrc|gitattributes|gitmodules|babelrc|nycrc.*|airtap\.yml|zuul\.yml)$/.test(n) || /^(appveyor\.yml|Makefile|Gruntfile\.js|Gulpfile\.js|\.DS_Store)$/.test(n)],
];

/**
 * Paths inside particular packages (relative to node_modules), each with why
 * nothing loads it. Checked against the versions in package-lock.json; a
 * path that does not exist is skipped.
 */
const PACKAGE_PATHS = [
  // The agent imports 'zxing-wasm/reader' and hands it dist/reader/zxing_reader.wasm
  // (src/media/qr/zxing-reader.ts); the full and writer builds, the IIFE and
  // mini-program builds are never loaded (1.5 + 0.7 MB of wasm).
  ['zxing-wasm: builds other than the ES/CJS reader', [
    'zxing-wasm/dist/full', 'zxing-wasm/dist/writer', 'zxing-wasm/dist/iife', 'zxing-wasm/dist/miniprogram',
    'zxing-wasm/dist/es/full', 'zxing-wasm/dist/es/writer', 'zxing-wasm/dist/cjs/full', 'zxing-wasm/dist/cjs/writer',
  ]],
  // xml2js 0.6.2 publishes a 3.2 MB js_of_ocaml build that no file of the package (or node-onvif) requires.
  ['xml2js: unused js_of_ocaml build', ['xml2js/lib/xml2js.bc.js']],
  // fluent-ffmpeg's entry point is index.js → lib/; the rest is its repository (old API, jsdoc tooling).
  ['fluent-ffmpeg: repository leftovers', ['fluent-ffmpeg/OLD', 'fluent-ffmpeg/tools', 'fluent-ffmpeg/lib-cov']],
  // Screenshots of the html package's README.
  ['html: README images', ['html/img']],
  // sharp's C++ sources (matched above) and the build-from-source installer; the prebuilt @img/sharp-linux-* is used.
  ['sharp: build-from-source installer', ['sharp/install']],
];

function size(path) {
  let bytes = 0;
  let files = 0;
  const st = lstatSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) {
      const s = size(join(path, name));
      bytes += s.bytes;
      files += s.files;
    }
  } else {
    bytes = st.size;
    files = 1;
  }
  return { bytes, files };
}

/** Package folders under a node_modules folder (scoped and nested ones included). */
export function packageDirs(nodeModules) {
  const out = [];
  if (!existsSync(nodeModules)) return out;
  for (const name of readdirSync(nodeModules).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(nodeModules, name);
    if (!lstatSync(path).isDirectory()) continue;
    if (name.startsWith('@')) {
      for (const sub of readdirSync(path).sort()) {
        const p = join(path, sub);
        if (lstatSync(p).isDirectory()) out.push(p, ...packageDirs(join(p, 'node_modules')));
      }
    } else {
      out.push(path, ...packageDirs(join(path, 'node_modules')));
    }
  }
  return out;
}

/**
 * Prunes nodeModules in place. Returns what each rule removed: [{rule, files, bytes}], biggest first.
 */
export function prune(nodeModules) {
  const tally = new Map();
  const remove = (rule, path) => {
    const s = size(path);
    rmSync(path, { recursive: true, force: true });
    const t = tally.get(rule) ?? { rule, files: 0, bytes: 0 };
    t.files += s.files;
    t.bytes += s.bytes;
    tally.set(rule, t);
  };

  // @types/* carry no run-time code; they land in production installs as
  // dependencies of other packages (zxing-wasm → @types/emscripten).
  for (const dir of packageDirs(nodeModules)) {
    if (basename(join(dir, '..')) === '@types') remove('@types/* packages', dir);
  }

  // npm's command shims (symlinks): the agent runs no package's CLI.
  for (const bin of [join(nodeModules, '.bin'), ...packageDirs(nodeModules).map((d) => join(d, 'node_modules/.bin'))]) {
    if (existsSync(bin)) remove('node_modules/.bin command shims', bin);
  }

  for (const [rule, paths] of PACKAGE_PATHS) {
    for (const p of paths) {
      const abs = join(nodeModules, p);
      if (existsSync(abs)) remove(rule, abs);
    }
  }

  for (const dir of packageDirs(nodeModules)) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (PACKAGE_ROOT_DIRS.has(name.toLowerCase()) && lstatSync(path).isDirectory()) remove('package-root folders (test, example, sample, doc, coverage, benchmark…)', path);
    }
  }

  // A README is the licence statement of a package that ships no licence
  // file (@img/sharp-libvips-*: the table of bundled libraries and their
  // licences): keep it there.
  const readmeIsLicence = new Set();
  for (const dir of packageDirs(nodeModules)) {
    if (!readdirSync(dir).some((n) => LICENCE_FILE.test(n))) readmeIsLicence.add(dir);
  }

  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isDirectory()) {
        if (ANY_DEPTH_DIRS.has(name)) remove('tooling and test-fixture folders (.github, __tests__, __logs__…)', path);
        else walk(path);
        continue;
      }
      if (name === 'package.json') continue;
      if (/^readme/i.test(name) && readmeIsLicence.has(dir)) continue;
      // TypeScript sources next to their compiled JavaScript.
      if (/\.(ts|mts|cts)$/.test(name) && !/\.d\.[cm]?ts$/.test(name) && existsSync(path.replace(/\.([cm]?)ts$/, '.$1js'))) {
        remove('TypeScript sources next to their JavaScript', path);
        continue;
      }
      const rule = FILE_RULES.find(([, test]) => test(name));
      if (rule) remove(rule[0], path);
    }
  };
  walk(nodeModules);

  // Folders the rules emptied.
  const dropEmpty = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (lstatSync(path).isDirectory()) {
        dropEmpty(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      }
    }
  };
  dropEmpty(nodeModules);

  return [...tally.values()].sort((a, b) => b.bytes - a.bytes);
}
