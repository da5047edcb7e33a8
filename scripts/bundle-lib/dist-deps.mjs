// What the compiled agent (dist/) still loads from node_modules at run time,
// and which packages esbuild copied into dist/ instead. scripts/build.mjs
// marks some packages external, and the source loads a few more through
// createRequire(import.meta.url)(…), which esbuild cannot follow: both stay
// as bare specifiers in dist/, so reading dist/ is the one source of truth.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

// from "x" | import("x") | import "x" | require("x") | createRequire(…)("x") | require.resolve("x")
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\)\s*\(\s*|\.resolve\s*\(\s*)(["'])([^"'\s]+)\1/g;
// esbuild (not minified) starts every bundled module with `// node_modules/<pkg>/<file>`.
const BUNDLED_MODULE = /^\/\/ ((?:node_modules\/(?:@[^/\s]+\/)?[^/\s]+\/)+)/gm;

function* jsFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* jsFiles(path);
    else if (/\.m?js$/.test(name)) yield path;
  }
}

/** "@scope/name/sub/path" → "@scope/name"; "name/sub" → "name". */
export function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const BUILTIN = new Set(builtinModules);

function how(match) {
  if (/\.resolve\s*\($/.test(match)) return 'resolve';
  if (/\bfrom\s*$|\bimport\s*\(?\s*$/.test(match)) return 'import';
  return 'require';
}

/**
 * Bare specifiers dist/ loads from node_modules ({specifier, how}), sorted,
 * and the node_modules paths of the packages bundled into dist/.
 */
export function analyseDist(distDir) {
  const specifiers = new Map();
  const bundledPaths = new Set();
  for (const file of jsFiles(distDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[2];
      if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:') || BUILTIN.has(spec.split('/')[0])) continue;
      if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.@-]+)*$/i.test(spec)) continue;
      const key = `${how(m[0].slice(0, -m[1].length - spec.length - 1))} ${spec}`;
      specifiers.set(key, { specifier: spec, how: key.split(' ')[0] });
    }
    for (const m of text.matchAll(BUNDLED_MODULE)) bundledPaths.add(m[1].replace(/\/$/, ''));
  }
  return {
    specifiers: [...specifiers.values()].sort((a, b) => a.specifier.localeCompare(b.specifier) || a.how.localeCompare(b.how)),
    bundledPaths: [...bundledPaths].sort(),
  };
}
