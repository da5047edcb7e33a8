// The C library a bundle's native code needs: the highest GLIBC_/GLIBCXX_/
// CXXABI_ symbol versions its ELF files reference (their .gnu.version_r
// section) and the shared libraries they link against (DT_NEEDED). Read with
// binutils, which reads ELF files of any architecture, so arm64 and armv7
// binaries are measured on an x64 build host.
import { execFileSync } from 'node:child_process';

/**
 * Documented values for when binutils is missing
 * (../shared/reference/arm-and-qr.md §2, measured with readelf -V on sharp 0.35.5).
 */
const DOCUMENTED = {
  arm64: { GLIBC: '2.28', GLIBCXX: '3.4.22' },
  armv7: { GLIBC: '2.36', GLIBCXX: '3.4.29' },
};

function tool(name, args) {
  try {
    return execFileSync(name, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Compares dotted versions numerically ("2.28" > "2.3"). */
export function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** {GLIBC: ['2.17', …], GLIBCXX: […], CXXABI: […], GCC: […]} from `readelf -V`, version-needs section only. */
export function parseReadelfNeeds(text) {
  const out = {};
  let inNeeds = false;
  for (const line of text.split('\n')) {
    if (/^Version needs section/.test(line)) inNeeds = true;
    else if (/^Version (symbols|definition) section/.test(line)) inNeeds = false;
    if (!inNeeds) continue;
    const m = /Name: ([A-Z]+)_([0-9][0-9.]*)/.exec(line);
    if (m) (out[m[1]] ??= []).push(m[2]);
  }
  return out;
}

/** Same from `objdump -p` ("Version References:" then "0x… 0x00 03 GLIBC_2.17" lines). */
export function parseObjdumpNeeds(text) {
  const out = {};
  const at = text.indexOf('Version References:');
  if (at < 0) return out;
  for (const m of text.slice(at).matchAll(/^\s+0x[0-9a-f]+ 0x[0-9a-f]+ \d+ ([A-Z]+)_([0-9][0-9.]*)$/gm)) (out[m[1]] ??= []).push(m[2]);
  return out;
}

function max(versions) {
  return versions?.length ? versions.reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b)) : null;
}

/**
 * Requirements of the given ELF files. Returns {source, glibc, glibcxx,
 * cxxabi, needed: [lib…], perFile: [{file, glibc, glibcxx, cxxabi}]};
 * source is 'readelf', 'objdump' or 'documented'.
 */
export function elfRequirements(files, arch, relativeName = (f) => f) {
  const perFile = [];
  const needed = new Set();
  let source = null;
  for (const file of files) {
    let needs = null;
    const readelf = tool('readelf', ['-V', '-d', '-W', file]);
    if (readelf !== null) {
      source ??= 'readelf';
      needs = parseReadelfNeeds(readelf);
      for (const m of readelf.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)) needed.add(m[1]);
    } else {
      const objdump = tool('objdump', ['-p', file]);
      if (objdump === null) continue;
      source ??= 'objdump';
      needs = parseObjdumpNeeds(objdump);
      for (const m of objdump.matchAll(/^\s+NEEDED\s+(\S+)$/gm)) needed.add(m[1]);
    }
    perFile.push({ file: relativeName(file), glibc: max(needs.GLIBC), glibcxx: max(needs.GLIBCXX), cxxabi: max(needs.CXXABI) });
  }
  if (source === null) {
    const doc = DOCUMENTED[arch];
    return { source: 'documented', glibc: doc?.GLIBC ?? null, glibcxx: doc?.GLIBCXX ?? null, cxxabi: null, needed: [], perFile: [] };
  }
  const pick = (key) => max(perFile.map((f) => f[key]).filter(Boolean));
  return { source, glibc: pick('glibc'), glibcxx: pick('glibcxx'), cxxabi: pick('cxxabi'), needed: [...needed].sort(), perFile };
}
