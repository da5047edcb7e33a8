// Benchmark: camera-side QR decoding for provisioning.
//  1. zxing-wasm start-up and memory;
//  2. decode time per frame at 640×360 and 1280×720, with a phone showing a
//     code and with no code at all (nearly every frame while scanning), plus
//     the gray→RGBA ImageData path the module does not use, for comparison;
//  3. success rate over a deterministic grid of generated phone-screen frames
//     (test/helpers/qr-scene.ts), zxing as the agent runs it against zbarimg;
//  4. time from a code appearing in an RTSP stream to the scanner's `read`
//     event, through a real FrameSource (ffmpeg) at the scan size.
//
// Grid: 2 payloads (a typical PRV1, QR version 6, and a long one, version
// 10) × QR width 80–240 px at 640×360 × blur σ 0–2 px at 640×360 × a Latin
// square of tilt (0/15/30°) × screen contrast (1/0.5/0.3) × disturbance
// (none / glare blob / sensor noise σ 8). Every scene is rendered once and
// delivered at both frame sizes, as the camera's scaler would.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ReaderOptions } from 'zxing-wasm/reader';
import { systemClock } from '../../src/core/clock.js';
import { FrameSource } from '../../src/media/frame-source.js';
import { decodeQrLuma, prepareQrDecoder, type LumaImage } from '../../src/media/qr/zxing-reader.js';
import { classifyQrText } from '../../src/provisioning/payload/qr-payload.js';
import { encodePrv1 } from '../../src/provisioning/payload/prv1.js';
import { QrScanner, type QrRead } from '../../src/provisioning/qr-scanner.js';
import { renderEmptyScene, renderSceneAt, toPgm, type LumaFrame } from '../../test/helpers/qr-scene.js';
import { startRtspStillServer } from '../../test/helpers/rtsp-still-server.js';
import { median, percentile, report } from './report.js';

const SIZES = [
  { width: 640, height: 360 },
  { width: 1280, height: 720 },
] as const;
const SIZE_NAMES = SIZES.map((s) => `${s.width}×${s.height}`);
const TIMING_RUNS = 60;
const APPEARANCES = 12;
/** The scan size and rate the agent uses (src/provisioning/qr-scanner.ts). */
const SCAN = { width: 1280, height: 720, fps: 4 };

function prv1(ssid: string, password: string, timeZone: string | null = null): string {
  const r = encodePrv1({ ssid, auth: 'wpa', password, token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: timeZone ? 'US' : 'EU', timeZone });
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** provisioning.md §6.2's example: 101 characters, QR version 6 at ECC M. */
const TYPICAL = prv1('MyHomeNetwork', 'correct horse battery');
/** Near the worst case: 8 emoji SSID (32 bytes), 63-character password, time zone: version 10. */
const LONG = prv1('📷'.repeat(8), 'Xk9-mQ7_tR4.vW2~'.repeat(4).slice(0, 63), 'Europe/Berlin');

export async function benchQr(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-qr-'));
  try {
    await benchStartup();
    await benchDecodeTime();
    await benchGrid(dir);
    await benchRtspLatency(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchStartup(): Promise<void> {
  const frame = await renderEmptyScene(1280, 720, 1);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  await prepareQrDecoder();
  const initMs = performance.now() - t0;
  const rss1 = process.memoryUsage().rss;
  await decodeQrLuma(frame);
  const rss2 = process.memoryUsage().rss;
  report('qr: zxing-wasm start-up (wasm from node_modules, offline)', initMs, 'ms', {
    'RSS +': `${((rss1 - rss0) / 1048576).toFixed(1)} MB`,
    'after a first 1280×720 decode +': `${((rss2 - rss0) / 1048576).toFixed(1)} MB`,
  });
}

async function benchDecodeTime(): Promise<void> {
  const withCode = await renderSceneAt(
    { width: 640, height: 360, codes: [{ kind: 'phone', text: TYPICAL, qrPx: 160, at: [0.5, 0.5], tiltDeg: 10, contrast: 0.7 }], blurSigma: 0.5, seed: 7 },
    [...SIZES],
  );
  const without = await renderSceneAt({ width: 640, height: 360, codes: [], seed: 8 }, [...SIZES]);
  for (const [i, name] of SIZE_NAMES.entries()) {
    for (const [what, frame] of [['phone-screen QR', withCode[i]!], ['no QR', without[i]!]] as const) {
      const { ms, found } = await timeDecodes(frame, (f) => decodeQrLuma(f));
      const expected = what === 'no QR' ? 0 : 1;
      if (found !== expected) throw new Error(`${name} ${what}: found ${found} codes, expected ${expected}`);
      report(`qr: decode ${name}, ${what} (median of ${TIMING_RUNS})`, median(ms), 'ms', { p95: percentile(ms, 95), goal: name === '640×360' ? '≤ 8 ms' : '—' });
    }
  }
  // The path not taken: gray expanded to RGBA for zxing's ImageData input.
  const { readBarcodes } = await import('zxing-wasm/reader');
  const frame = withCode[0]!;
  const { ms } = await timeDecodes(frame, async (f) => {
    const rgba = new Uint8ClampedArray(f.width * f.height * 4);
    for (let p = 0, q = 0; p < f.width * f.height; p++, q += 4) {
      const v = f.data[p]!;
      rgba[q] = v;
      rgba[q + 1] = v;
      rgba[q + 2] = v;
      rgba[q + 3] = 255;
    }
    const image = { data: rgba, width: f.width, height: f.height, colorSpace: 'srgb' } as unknown as Parameters<typeof readBarcodes>[0];
    const r = await readBarcodes(image, { formats: ['QRCode'], tryHarder: true, tryRotate: false, tryInvert: false, tryDownscale: true, maxNumberOfSymbols: 4 });
    return r.filter((x) => x.isValid).map((x) => x.text);
  });
  report(`qr: decode 640×360 phone-screen QR via gray→RGBA ImageData instead (median of ${TIMING_RUNS})`, median(ms), 'ms', { p95: percentile(ms, 95) });
}

async function timeDecodes(frame: LumaImage, decode: (f: LumaImage) => Promise<string[]>): Promise<{ ms: number[]; found: number }> {
  for (let i = 0; i < 5; i++) await decode(frame); // warm-up
  const ms: number[] = [];
  let found = 0;
  for (let i = 0; i < TIMING_RUNS; i++) {
    const t0 = performance.now();
    found = (await decode(frame)).length;
    ms.push(performance.now() - t0);
  }
  return { ms, found };
}

// --- grid -----------------------------------------------------------------------

interface Cell {
  payload: 'typical' | 'long';
  size: number;
  blur: number;
  tilt: number;
  contrast: number;
  disturbance: 'none' | 'glare' | 'noise';
  /** zxing and zbar success per frame size. */
  zxing: boolean[];
  /** zxing's single pass alone, without decodeQrLuma's second look at a located but unread symbol. */
  zxingSingle: boolean[];
  zbar: boolean[];
}

const GRID = {
  size: [80, 100, 120, 160, 240],
  blur: [0, 0.5, 1, 1.5, 2],
  tilt: [0, 15, 30],
  contrast: [1, 0.5, 0.3],
  disturbance: ['none', 'glare', 'noise'] as const,
};

/**
 * zxing's single pass as decodeQrLuma's 'scan' effort runs it (READER_OPTIONS
 * in src/media/qr/zxing-reader.ts, without returnErrors), to show what the
 * second look adds. Keep in step with that file.
 */
const SINGLE_PASS: ReaderOptions = { formats: ['QRCode'], tryHarder: true, tryRotate: false, tryInvert: false, tryDownscale: true, downscaleFactor: 2, maxNumberOfSymbols: 4 };

async function benchGrid(dir: string): Promise<void> {
  const t0 = performance.now();
  const cells: Cell[] = [];
  const zbarFiles: string[][] = SIZES.map(() => []);
  const zbarRuns: Promise<Map<string, string[]>>[] = [];
  const zxingMs: number[][] = SIZES.map(() => []);
  /** Frames where zxing read nothing: empty-handed decodes, second look included when a symbol was located. */
  const zxingMissMs: number[][] = SIZES.map(() => []);
  const { readBarcodes } = await import('zxing-wasm/reader');
  let seed = 1000;
  for (const payload of ['typical', 'long'] as const) {
    const text = payload === 'typical' ? TYPICAL : LONG;
    for (const size of GRID.size) {
      for (const blur of GRID.blur) {
        for (const [ti, tilt] of GRID.tilt.entries()) {
          for (const [ci, contrast] of GRID.contrast.entries()) {
            // Latin square: every tilt, contrast and disturbance pair appears equally often.
            const disturbance = GRID.disturbance[(ti + ci) % 3]!;
            seed += 1;
            const frames = await renderSceneAt(
              {
                width: 640,
                height: 360,
                codes: [{ kind: 'phone', text, qrPx: size, at: [0.5, 0.5], tiltDeg: tilt, contrast }],
                blurSigma: blur,
                glare: disturbance === 'glare',
                noiseSigma: disturbance === 'noise' ? 8 : 3,
                seed,
                roomSeed: seed % 8,
              },
              [...SIZES],
            );
            const cell: Cell = { payload, size, blur, tilt, contrast, disturbance, zxing: [], zxingSingle: [], zbar: [] };
            for (const [i, frame] of frames.entries()) {
              const t = performance.now();
              const texts = await decodeQrLuma(frame);
              const ms = performance.now() - t;
              zxingMs[i]!.push(ms);
              if (texts.length === 0) zxingMissMs[i]!.push(ms);
              cell.zxing.push(texts.includes(text));
              const single = await readBarcodes(toPgm(frame), SINGLE_PASS);
              cell.zxingSingle.push(single.some((r) => r.isValid && r.text === text));
              const file = join(dir, `grid-${i}-${cells.length}.pgm`);
              await writeFile(file, toPgm(frame));
              zbarFiles[i]!.push(file);
              // zbarimg in batches of 40, on the other core while rendering goes on.
              if (zbarFiles[i]!.length === 40) zbarRuns.push(zbarimg(zbarFiles[i]!.splice(0)));
            }
            cells.push(cell);
          }
        }
      }
    }
  }
  for (const files of zbarFiles) if (files.length) zbarRuns.push(zbarimg(files.splice(0)));
  const zbarResults = new Map<string, string[]>();
  for (const run of zbarRuns) for (const [k, v] of await run) zbarResults.set(k, v);
  for (const [n, cell] of cells.entries()) {
    const text = cell.payload === 'typical' ? TYPICAL : LONG;
    cell.zbar = SIZES.map((_, i) => (zbarResults.get(join(dir, `grid-${i}-${n}.pgm`)) ?? []).includes(text));
  }
  const seconds = (performance.now() - t0) / 1000;

  const rate = (sel: Cell[], pick: (c: Cell) => boolean): number => (sel.length ? (100 * sel.filter(pick).length) / sel.length : NaN);
  const line = (label: string, filter: (c: Cell) => boolean): void => {
    const sel = cells.filter(filter);
    const parts = SIZE_NAMES.map((name, i) => `${name} zxing ${pct(rate(sel, (c) => c.zxing[i]!))} / zbar ${pct(rate(sel, (c) => c.zbar[i]!))}`);
    process.stdout.write(`  ${label.padEnd(30)} ${parts.join('   ')}   (n ${sel.length})\n`);
  };
  const typical = (c: Cell) => c.size >= 120 && c.blur <= 1;
  for (const [i, name] of SIZE_NAMES.entries()) {
    const sel = cells.filter(typical);
    report(`qr grid: ${name}, QR ≥ 120 px at 640×360 and blur σ ≤ 1, zxing`, rate(sel, (c) => c.zxing[i]!), '%', {
      zbar: `${pct(rate(sel, (c) => c.zbar[i]!))}`,
      'zxing single pass (no second look)': pct(rate(sel, (c) => c.zxingSingle[i]!)),
      'typical PRV1 only': pct(rate(sel.filter((c) => c.payload === 'typical'), (c) => c.zxing[i]!)),
      'without glare': pct(rate(sel.filter((c) => c.disturbance !== 'glare'), (c) => c.zxing[i]!)),
      goal: '≥ 99 %',
    });
  }
  const large = (c: Cell) => c.size >= 160 && c.blur <= 1;
  for (const [i, name] of SIZE_NAMES.entries()) {
    const sel = cells.filter(large);
    report(`qr grid: ${name}, QR ≥ 160 px and blur σ ≤ 1, zxing`, rate(sel, (c) => c.zxing[i]!), '%', {
      zbar: pct(rate(sel, (c) => c.zbar[i]!)),
      'typical PRV1 only': pct(rate(sel.filter((c) => c.payload === 'typical'), (c) => c.zxing[i]!)),
      'without glare': pct(rate(sel.filter((c) => c.disturbance !== 'glare'), (c) => c.zxing[i]!)),
    });
  }
  for (const [i, name] of SIZE_NAMES.entries()) {
    report(`qr grid: ${name}, zxing decode time over the grid`, median(zxingMs[i]!), 'ms median', { p95: percentile(zxingMs[i]!, 95), max: Math.max(...zxingMs[i]!) });
    report(`qr grid: ${name}, zxing decode time of frames where it read nothing (second look included)`, median(zxingMissMs[i]!), 'ms median', {
      p95: percentile(zxingMissMs[i]!, 95),
      max: Math.max(...zxingMissMs[i]!),
      frames: String(zxingMissMs[i]!.length),
    });
  }
  process.stdout.write(`qr grid: success rate by factor (${cells.length} scenes × 2 frame sizes, ${seconds.toFixed(0)} s)\n`);
  line('all', () => true);
  for (const p of ['typical', 'long'] as const) line(`payload ${p} (v${p === 'typical' ? 6 : 10})`, (c) => c.payload === p);
  for (const s of GRID.size) line(`QR ${s} px at 640×360`, (c) => c.size === s);
  for (const b of GRID.blur) line(`blur σ ${b}`, (c) => c.blur === b);
  for (const t of GRID.tilt) line(`tilt ${t}°`, (c) => c.tilt === t);
  for (const k of GRID.contrast) line(`contrast ${k}`, (c) => c.contrast === k);
  for (const d of GRID.disturbance) line(`disturbance ${d}`, (c) => c.disturbance === d);
  process.stdout.write('qr grid: typical PRV1 (v6), QR size × blur, zxing\n');
  for (const s of GRID.size) {
    const parts = GRID.blur.map((b) => {
      const sel = cells.filter((c) => c.payload === 'typical' && c.size === s && c.blur === b);
      return `σ${b}: ${SIZES.map((_, i) => pct(rate(sel, (c) => c.zxing[i]!))).join('/')}`;
    });
    process.stdout.write(`  ${String(s).padStart(3)} px  ${parts.join('  ')}   (${SIZE_NAMES.join('/')})\n`);
  }
}

function pct(v: number): string {
  return Number.isNaN(v) ? '—' : `${v.toFixed(0)} %`;
}

/** Texts zbarimg finds per file (its XML output ties symbols to files). */
function zbarimg(files: string[]): Promise<Map<string, string[]>> {
  return new Promise((resolve) => {
    execFile('zbarimg', ['--xml', '-q', '--nodbus', '-Sdisable', '-Sqrcode.enable', ...files], { maxBuffer: 64 << 20 }, (_err, stdout) => {
      // Exit status 4 means "no symbol in some file": not an error here.
      const out = new Map<string, string[]>(files.map((f) => [f, []]));
      for (const m of String(stdout).matchAll(/<source href='([^']*)'>([\s\S]*?)<\/source>/g)) {
        const texts = [...m[2]!.matchAll(/<data><!\[CDATA\[([\s\S]*?)\]\]><\/data>/g)].map((d) => d[1]!);
        out.set(m[1]!, texts);
      }
      resolve(out);
    });
  });
}

// --- RTSP: code appears → read event -------------------------------------------------

async function benchRtspLatency(dir: string): Promise<void> {
  const { width, height, fps } = SCAN;
  const empty = join(dir, 'empty.gray');
  await writeFile(empty, (await renderEmptyScene(width, height, 5)).data);
  const texts: string[] = [];
  const files: string[] = [];
  for (let i = 0; i < APPEARANCES; i++) {
    const text = prv1(`BenchNet${String(i).padStart(2, '0')}`, `bench password ${i}`);
    const [frame] = await renderSceneAt(
      { width, height, codes: [{ kind: 'phone', text, qrPx: 150, at: [0.45 + (i % 3) * 0.05, 0.5], tiltDeg: 10, contrast: 0.7 }], blurSigma: 0.5, jpegQuality: 0, seed: 500 + i },
      [{ width, height }],
    );
    texts.push(text);
    files.push(join(dir, `code-${i}.gray`));
    await writeFile(files[i]!, frame!.data);
  }

  const server = await startRtspStillServer(width, height, 10);
  const logger = pino({ level: 'silent' });
  const source = new FrameSource({ config: { input: server.url, loop: false, width, height, fps, stallTimeoutMs: 10_000 }, clock: systemClock, logger });
  const scanner = new QrScanner({ frames: source, classify: classifyQrText, clock: systemClock, logger, ratePerSecond: fps });
  const reads: QrRead[] = [];
  let onRead: (() => void) | null = null;
  scanner.on('read', (r) => {
    reads.push(r);
    onRead?.();
  });
  try {
    await scanner.start();
    const firstFrame = new Promise<void>((resolve) => {
      const off = source.on('frame', () => {
        off();
        resolve();
      });
    });
    const t0 = performance.now();
    await source.start();
    await withTimeout(firstFrame, 15_000, 'first RTSP frame');
    const firstFrameMs = performance.now() - t0;

    const total: number[] = [];
    const toFrame: number[] = [];
    let misses = 0;
    for (let i = 0; i < APPEARANCES; i++) {
      await server.show(empty);
      // A varying pause puts each appearance at a different phase of the 4 fps sampling.
      await sleep(600 + ((i * 137) % 400));
      const want = `BenchNet${String(i).padStart(2, '0')}`;
      const read = new Promise<QrRead>((resolve) => {
        onRead = () => {
          const r = reads.find((x) => x.payload.wifi.ssid === want);
          if (r) resolve(r);
        };
      });
      const shownAt = await server.show(files[i]!);
      try {
        const r = await withTimeout(read, 5_000, want);
        const readAt = performance.now();
        total.push(readAt - shownAt);
        toFrame.push(r.frameAtMs - shownAt);
      } catch {
        misses += 1;
      }
      onRead = null;
    }
    if (total.length) {
      report(`qr: RTSP code appears → scanner read event, ${width}×${height} at ${fps} fps (median of ${total.length})`, median(total), 'ms', {
        p95: percentile(total, 95),
        max: Math.max(...total),
        'of which stream → frame': `${median(toFrame).toFixed(0)} ms`,
        misses: String(misses),
        goal: '≤ 1000 ms to the join call',
      });
    }
    const stats = scanner.stats();
    report('qr: scanner during the RTSP run, decode time', stats.decodeMsMedian ?? NaN, 'ms median', {
      'frames seen': String(stats.framesSeen),
      decoded: String(stats.framesDecoded),
      'dropped (rate)': String(stats.framesDroppedRate),
      'dropped (busy)': String(stats.framesDroppedBusy),
      'first frame after start': `${firstFrameMs.toFixed(0)} ms`,
    });
  } finally {
    await scanner.stop();
    await source.stop();
    await server.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await benchQr();
