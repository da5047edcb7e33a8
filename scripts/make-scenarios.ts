/**
 * The motion scenario suite: short synthetic clips made with ffmpeg lavfi,
 * each with the events it must (not) produce and, for real movers, the
 * ground-truth time the mover enters the picture. No binary fixture: the
 * clips are rebuilt from these definitions, deterministically.
 *
 *   node --import tsx scripts/make-scenarios.ts OUTDIR [--variant NAME]…
 *
 * writes every clip and OUTDIR/scenarios.json (definitions + expectations).
 * Tests and the benchmark import this module and build what they need into
 * a cache folder keyed by a hash of the definitions.
 *
 * Geometry is relative to the frame (W, H), so the same scene can be made at
 * 16:9 and 4:3, and with different encoders and containers (`variants`),
 * to check that the detector does not depend on one codec's artefacts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Frames per second of every clip; a multiple of the 5 fps analysis rate, so analysis frame k is clip frame 2k. */
export const CLIP_FPS = 10;

export interface Size {
  w: number;
  h: number;
}

export interface Scenario {
  name: string;
  description: string;
  seconds: number;
  /** Filter chain after the static background `[bg]`, ending in `[v]`. Receives the frame size. */
  graph: (s: Size) => string;
  /** How many motion events (starts) must be reported. */
  starts: number;
  /** Real movers: time (s) after which the mover's first pixels are in the picture. */
  enterAt?: number;
  /** The `motion` section of an agent config for this scenario (masks, zones); defaults otherwise. */
  motion?: Record<string, unknown>;
}

export interface Variant {
  name: string;
  size: Size;
  ext: string;
  codec: string[];
}

export const variants: Record<string, Variant> = {
  'h264-mp4': { name: 'h264-mp4', size: { w: 640, h: 360 }, ext: 'mp4', codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] },
  'mjpeg-avi': { name: 'mjpeg-avi', size: { w: 640, h: 360 }, ext: 'avi', codec: ['-c:v', 'mjpeg', '-q:v', '6', '-pix_fmt', 'yuvj420p'] },
  'mpeg4-avi': { name: 'mpeg4-avi', size: { w: 640, h: 360 }, ext: 'avi', codec: ['-c:v', 'mpeg4', '-q:v', '8', '-pix_fmt', 'yuv420p'] },
  'h264-4x3': { name: 'h264-4x3', size: { w: 640, h: 480 }, ext: 'mp4', codec: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] },
};

/** A person-sized box (≈5.5 % × 30 % of the frame, ~1.7 % of its area) walking left to right in 4.5 s. */
function walker(from: string, enterAt: number, color = '0x303030'): string {
  return (
    `color=c=${color}:s=\${pw}x\${ph}:r=${CLIP_FPS}[p];` +
    `${from}[p]overlay=x='-\${pw}+(W+\${pw})/4.5*(t-${enterAt})':y=H*0.45:eval=frame:enable='gte(t,${enterAt})'`
  );
}

function sized(s: Size, text: string): string {
  const pw = Math.round(s.w * 0.055);
  const ph = Math.round(s.h * 0.3);
  return text.replaceAll('${pw}', String(pw)).replaceAll('${ph}', String(ph));
}

/** Mild temporal sensor noise present in every clip, as on any real camera. */
const grain = 'noise=alls=6:allf=t';

export const scenarios: Scenario[] = [
  {
    name: 'person',
    description: 'a person-sized object walks across the frame',
    seconds: 8,
    enterAt: 1.95,
    starts: 1,
    graph: (s) => sized(s, `${walker('[bg]', 1.95)},${grain}[v]`),
  },
  {
    name: 'animal',
    description: 'a small animal-sized object (~0.06 % of the frame) crosses: below minArea',
    seconds: 8,
    starts: 0,
    graph: (s) =>
      `color=c=0x202020:s=${Math.round(s.w * 0.022)}x${Math.round(s.h * 0.03)}:r=${CLIP_FPS}[a];` +
      `[bg][a]overlay=x='-w+(W+w)/5*(t-1.5)':y=H*0.8:eval=frame,${grain}[v]`,
  },
  {
    name: 'masked-mover',
    description: 'a person-sized object moves only inside a masked region (left third)',
    seconds: 8,
    starts: 0,
    motion: { masks: [{ name: 'footpath', points: [[0, 0], [0.34, 0], [0.34, 0.62], [0, 0.62]] }] },
    graph: (s) =>
      sized(
        s,
        `color=c=0x303030:s=\${pw}x\${ph}:r=${CLIP_FPS}[p];` +
          `[bg][p]overlay=x='W*0.03+(W*0.26-w)*(0.5+0.5*sin(1.7*t))':y=H*0.1:eval=frame,${grain}[v]`,
      ),
  },
  {
    name: 'noise',
    description: 'strong sensor noise only (night gain)',
    seconds: 8,
    starts: 0,
    graph: () => `[bg]noise=alls=28:allf=t+u[v]`,
  },
  {
    name: 'lights-on',
    description: 'lights switched on at 3 s: brightness +22 %, contrast ×1.25 at once',
    seconds: 8,
    starts: 0,
    graph: () => `[bg]eq=brightness='if(gte(t,3),0.22,0)':contrast='if(gte(t,3),1.25,1)':eval=frame,${grain}[v]`,
  },
  {
    name: 'ir-switch',
    description: 'IR day→night switch at 3 s: colour to gray, brightness +15 %, gamma 1.5',
    seconds: 8,
    starts: 0,
    graph: () => `[bg]hue=s='if(gte(t,3),0,1)',eq=brightness='if(gte(t,3),0.15,0)':gamma='if(gte(t,3),1.5,1)':eval=frame,${grain}[v]`,
  },
  {
    name: 'drift',
    description: 'slow daylight drift: brightness −25 % → +25 % over 8 s',
    seconds: 8,
    starts: 0,
    graph: () => `[bg]eq=brightness='-0.25+0.5*t/8':eval=frame,${grain}[v]`,
  },
  {
    name: 'tree-flicker',
    description: 'tree-like local flicker (cellular automaton) top right, inside a mask',
    seconds: 8,
    starts: 0,
    motion: { masks: [{ name: 'tree', points: [[0.7, 0], [1, 0], [1, 0.45], [0.7, 0.45]] }] },
    graph: (s) =>
      `life=s=${Math.round(s.w * 0.22)}x${Math.round(s.h * 0.32)}:r=${CLIP_FPS}:ratio=0.5:mold=30:seed=7:` +
      `life_color=0x70b070:death_color=0x284028:mold_color=0x507050,format=yuv420p[tree];` +
      `[bg][tree]overlay=x=W*0.75:y=H*0.06,${grain}[v]`,
  },
  {
    name: 'lights-then-person',
    description: 'lights on at 2 s, then a person walks in at 4.45 s',
    seconds: 9,
    enterAt: 4.45,
    starts: 1,
    graph: (s) =>
      sized(s, `[bg]eq=brightness='if(gte(t,2),0.22,0)':contrast='if(gte(t,2),1.25,1)':eval=frame[lit];${walker('[lit]', 4.45)},${grain}[v]`),
  },
];

/**
 * A static, textured, colourful scene (so a colour→gray switch matters):
 * rendered once (trim + loop), not per frame, because geq is slow.
 */
function background(s: Size, seconds: number): string {
  return (
    `nullsrc=s=${s.w}x${s.h}:r=${CLIP_FPS},format=yuv444p,` +
    `geq=lum='118+45*sin(2*PI*X/W*5)*cos(2*PI*Y/H*3)+22*sin(2*PI*(X/W*17+Y/H*11))+10*sin(2*PI*X/W*41)':` +
    `cb='128+40*sin(2*PI*X/W*2)':cr='128+40*cos(2*PI*Y/H*2)',` +
    `drawbox=x=iw*0.42:y=ih*0.2:w=iw*0.18:h=ih*0.35:color=0x8a6a4a:t=fill,` +
    `drawbox=x=iw*0.45:y=ih*0.25:w=iw*0.05:h=ih*0.08:color=0xd0d8e0:t=fill,` +
    `trim=end_frame=1,loop=loop=-1:size=1,setpts=N/(${CLIP_FPS}*TB),trim=duration=${seconds},format=yuv420p[bg]`
  );
}

/** The full filter graph of one clip. */
export function clipGraph(scenario: Scenario, variant: Variant): string {
  return `${background(variant.size, scenario.seconds)};${scenario.graph(variant.size)}`;
}

/** File name of a clip; the hash changes whenever its recipe does, so a cache never serves a stale clip. */
export function clipName(scenario: Scenario, variant: Variant): string {
  const hash = createHash('sha256').update(clipGraph(scenario, variant)).update(JSON.stringify(variant)).digest('hex').slice(0, 10);
  return `${scenario.name}.${variant.name}.${hash}.${variant.ext}`;
}

/** Builds the clip in `dir` unless it is there already; returns its path. Safe to call concurrently. */
export async function ensureClip(dir: string, scenario: Scenario, variant: Variant): Promise<string> {
  const path = join(dir, clipName(scenario, variant));
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const partial = `${path}.${process.pid}.${Date.now()}.part.${variant.ext}`;
  await run('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-filter_complex', clipGraph(scenario, variant), '-map', '[v]',
    '-t', String(scenario.seconds), '-threads', '1', ...variant.codec, partial,
  ]);
  // Rename is atomic: a concurrent reader sees no clip or a whole one.
  await rename(partial, path);
  return path;
}

/**
 * The benchmark's stand-in for a camera main stream: 720p at 25 fps, H.264
 * at 2 Mb/s without B-frames and a 2 s GOP, as IP cameras send, with moving
 * content and grain so the decoder does realistic work (test-rigs.md §2).
 */
export async function ensureStreamClip(dir: string, seconds = 30): Promise<string> {
  const path = join(dir, `stream-720p25-${seconds}s.mp4`);
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const partial = `${path}.${process.pid}.part.mp4`;
  await run('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=25,noise=alls=6:allf=t`,
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-bf', '0', '-g', '50',
    '-b:v', '2M', '-maxrate', '2M', '-bufsize', '2M', '-pix_fmt', 'yuv420p', partial,
  ]);
  await rename(partial, path);
  return path;
}

export function scenarioNamed(name: string): Scenario {
  const s = scenarios.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}

/** First analysis frame (at `fps`) that shows any of the mover, or null when there is none. */
export function entryFrame(scenario: Scenario, fps: number): number | null {
  if (scenario.enterAt === undefined) return null;
  return Math.floor(scenario.enterAt * fps) + 1;
}

async function main(argv: string[]): Promise<void> {
  const [out, ...rest] = argv;
  if (out === undefined || out.startsWith('-')) {
    process.stderr.write('usage: node --import tsx scripts/make-scenarios.ts OUTDIR [--variant NAME]…\n');
    process.exit(2);
  }
  const wanted = rest.filter((a, i) => rest[i - 1] === '--variant');
  const chosen = wanted.length ? wanted.map((n) => variants[n] ?? fail(`no variant ${n}`)) : [variants['h264-mp4']!];
  const index = [];
  for (const variant of chosen) {
    for (const s of scenarios) {
      const path = await ensureClip(out, s, variant);
      index.push({ scenario: s.name, variant: variant.name, file: path, description: s.description, seconds: s.seconds, starts: s.starts, enterAt: s.enterAt ?? null, entryFrameAt5fps: entryFrame(s, 5), motion: s.motion ?? {} });
      process.stdout.write(`${path}\n`);
    }
  }
  await writeFile(join(out, 'scenarios.json'), `${JSON.stringify(index, null, 2)}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await main(process.argv.slice(2));
}
