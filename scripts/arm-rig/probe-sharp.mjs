// Loads the bundle's own sharp, the way the agent does, and resizes a
// snapshot; prints one JSON line saying what ran and which native binaries
// were loaded. Run with the emulated ARM node from the rig:
//
//   scripts/arm-rig/arm-node arm64 scripts/arm-rig/probe-sharp.mjs BUNDLE_DIR IN.jpg OUT.jpg
//
// Also spawns the host's ffmpeg (an x86 program under qemu user mode without
// binfmt: the kernel runs it natively), since the agent spawns ffmpeg too.
import { execFileSync } from 'node:child_process';
import { openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [bundleDir, input, output] = process.argv.slice(2);
if (!bundleDir || !input || !output) {
  console.error('usage: probe-sharp.mjs BUNDLE_DIR IN.jpg OUT.jpg');
  process.exit(2);
}

/** ELF e_machine of a file: 183 aarch64, 40 arm, 62 x86-64. */
function elfMachine(path) {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(20);
    readSync(fd, b, 0, 20, 0);
    if (b.toString('latin1', 1, 4) !== 'ELF') return null;
    return b[5] === 2 ? b.readUInt16BE(18) : b.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

const t0 = performance.now();
const require = createRequire(join(bundleDir, 'package.json'));
const sharpPath = require.resolve('sharp');
const sharp = require('sharp');
const requireMs = performance.now() - t0;

const t1 = performance.now();
const inMeta = await sharp(input).metadata();
const { data, info } = await sharp(input).resize(320, 180).jpeg({ quality: 80 }).toBuffer({ resolveWithObject: true });
await sharp(data).toFile(output);
const outMeta = await sharp(output).metadata();
const resizeMs = performance.now() - t1;

// The shared objects this process really loaded: the sharp addon and libvips.
const loaded = process.report.getReport().sharedObjects;
const addon = loaded.find((p) => /sharp-[^/]*\.node$/.test(p)) ?? null;
const libvips = loaded.find((p) => /libvips-cpp\.so/.test(p)) ?? null;

let ffmpeg;
try {
  ffmpeg = { ok: true, version: execFileSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' }).split('\n')[0] };
} catch (err) {
  ffmpeg = { ok: false, error: err.message };
}

console.log(
  JSON.stringify({
    arch: process.arch,
    platform: process.platform,
    node: process.version,
    glibc: process.report.getReport().header.glibcVersionRuntime ?? null,
    sharp: { resolved: sharpPath, version: sharp.versions.sharp ?? null, vips: sharp.versions.vips, requireMs: Math.round(requireMs) },
    addon: addon && { path: addon, elfMachine: elfMachine(addon) },
    libvips: libvips && { path: libvips, elfMachine: elfMachine(libvips) },
    input: { width: inMeta.width, height: inMeta.height, format: inMeta.format },
    output: { width: outMeta.width, height: outMeta.height, format: outMeta.format, info: { width: info.width, height: info.height }, resizeMs: Math.round(resizeMs) },
    ffmpeg,
  }),
);
