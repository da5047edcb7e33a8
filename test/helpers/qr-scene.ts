/**
 * Synthetic camera frames with a QR code held up to the lens: a phone
 * showing a code on its screen (the provisioning case) and/or our own
 * printed label, in a cluttered room, as the camera's frame source would
 * deliver them (8-bit luma, row-major). Deterministic: the same spec and
 * seed give the same bytes, so tests and the benchmark grid never depend
 * on an opaque fixture.
 *
 * The model, in the order the light travels (after arm-and-qr.md §4's
 * qr-scene.js, extended with glare and a real perspective tilt):
 *  1. room: a smooth gray gradient with furniture-like boxes and fine texture;
 *  2. objects: a phone (dark body, bright screen with app-like text bars and
 *     the QR at 80 % of the screen width, quiet zone included) or a paper
 *     label, posed by a pinhole camera (90° horizontal field of view), with
 *     an out-of-plane tilt about a random in-plane axis and a small roll;
 *     rendered with 2×2 supersampling (the sensor's pixel area);
 *  3. glare: a bright, saturating Gaussian blob over part of the code;
 *  4. optics: Gaussian blur;
 *  5. the camera's scaler: every scene is rendered at 1280×720 and scaled
 *     down (cubic) to smaller frame sizes, as ffmpeg's `scale` does;
 *  6. sensor noise (Gaussian) and compression (JPEG, standing in for H.264).
 *
 * Sizes and blur are given in pixels at 640×360, the way the scanning goal
 * is stated; they scale with the frame width.
 */
import { mulberry32 } from '../../src/core/seeded-random.js';
import QRCode from 'qrcode';
import sharp, { type Sharp } from 'sharp';

export interface LumaFrame {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface SceneQr {
  /** 'phone': code on a lit screen in a dark body; 'label': printed paper. */
  kind: 'phone' | 'label';
  text: string;
  /** Width of the code including its 4-module quiet zone, px at 640×360 when seen face-on. */
  qrPx: number;
  /** Where the code's centre is, as fractions of the frame (0.5, 0.5 = centre). */
  at: [number, number];
  /** Out-of-plane rotation in degrees (0 = facing the camera). */
  tiltDeg?: number;
  /** Direction of the tilt axis in the object plane, degrees; default from the seed. */
  tiltAxisDeg?: number;
  /** In-plane rotation in degrees; default a small seeded roll (±8°). */
  rollDeg?: number;
  /**
   * 1 = 205 grey levels between dark modules and white (a bright screen);
   * 0.3 = 62 levels (a dim screen under the camera's auto exposure).
   */
  contrast?: number;
}

export interface SceneSpec {
  width: number;
  height: number;
  codes: SceneQr[];
  /** Gaussian blur σ in px at 640×360 (0 = none). */
  blurSigma?: number;
  /** A bright blob over part of the first code. */
  glare?: boolean;
  /** Sensor noise σ in grey levels, at the output size. Default 3. */
  noiseSigma?: number;
  /** JPEG quality of the compression stand-in; 0 = none. Default 80. */
  jpegQuality?: number;
  /** Everything random (pose details, glare, noise) follows from this. */
  seed: number;
  /** Which room; default `seed`. A few rooms reused across a grid save rendering time. */
  roomSeed?: number;
}

/** Renders one frame. Every scene is drawn at 1280×720 (or the requested size if larger) and scaled down. */
export async function renderScene(spec: SceneSpec): Promise<LumaFrame> {
  const [frame] = await renderSceneAt(spec, [{ width: spec.width, height: spec.height }]);
  return frame!;
}

/**
 * The same scene as the camera would deliver it at several frame sizes (all
 * of the aspect of spec.width×spec.height): one optical image, scaled by
 * the frame source, each size with its own sensor noise and compression.
 */
export async function renderSceneAt(spec: SceneSpec, sizes: { width: number; height: number }[]): Promise<LumaFrame[]> {
  const largest = sizes.reduce((a, b) => (b.width > a.width ? b : a), { width: spec.width, height: spec.height });
  const native = nativeSize(largest.width, largest.height);
  const rng = mulberry32(spec.seed);
  const scene = room(native.width, native.height, spec.roomSeed ?? spec.seed);
  const scale = native.width / 640;
  for (const code of spec.codes) drawCode(scene, code, scale, rng);
  if (spec.glare && spec.codes[0]) addGlare(scene, spec.codes[0], scale, rng);
  let optical: LumaFrame = scene;
  const blur = (spec.blurSigma ?? 0) * scale;
  if (blur >= 0.3) optical = await sharpGray(optical, (s) => s.blur(blur));
  const out: LumaFrame[] = [];
  for (const size of sizes) {
    let frame: LumaFrame;
    if (size.width === optical.width && size.height === optical.height) frame = { ...optical, data: optical.data.slice() };
    else frame = await sharpGray(optical, (s) => s.resize(size.width, size.height, { kernel: 'cubic', fit: 'fill' }));
    addNoise(frame, spec.noiseSigma ?? 3, mulberry32(spec.seed * 31 + size.width));
    const quality = spec.jpegQuality ?? 80;
    out.push(quality > 0 ? await jpegRoundTrip(frame, quality) : frame);
  }
  return out;
}

/** A frame of the same room with no code in it: the common case while scanning. */
export function renderEmptyScene(width: number, height: number, seed: number): Promise<LumaFrame> {
  return renderScene({ width, height, codes: [], seed });
}

/** The PGM (P5) encoding of a frame, for tools like zbarimg. */
export function toPgm(frame: LumaFrame): Buffer {
  const head = Buffer.from(`P5\n${frame.width} ${frame.height}\n255\n`, 'latin1');
  return Buffer.concat([head, frame.data]);
}

/** PNG bytes of a frame, for image-file tests. */
export function toPng(frame: LumaFrame): Promise<Buffer> {
  return sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 1 } }).png().toBuffer();
}

function nativeSize(width: number, height: number): { width: number; height: number } {
  if (width >= 1280) return { width, height };
  // Same aspect as the requested frame, at 1280 wide.
  return { width: 1280, height: Math.round((1280 * height) / width) };
}

// --- room -------------------------------------------------------------------

const roomCache = new Map<string, Uint8Array>();

function room(width: number, height: number, seed: number): LumaFrame {
  const key = `${width}x${height}:${seed}`;
  let data = roomCache.get(key);
  if (!data) {
    data = drawRoom(width, height, mulberry32(seed ^ 0x5eed)).data;
    if (roomCache.size >= 16) roomCache.delete(roomCache.keys().next().value!);
    roomCache.set(key, data);
  }
  return { data: data.slice(), width, height };
}

function drawRoom(width: number, height: number, rng: Rng): LumaFrame {
  const data = new Uint8Array(width * height);
  // Smooth lighting: bilinear over a coarse random grid.
  const gw = 9;
  const gh = 6;
  const grid = Array.from({ length: gw * gh }, () => 70 + rng() * 90);
  for (let y = 0; y < height; y++) {
    const gy = (y / (height - 1)) * (gh - 1);
    const y0 = Math.min(gh - 2, Math.floor(gy));
    const fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = (x / (width - 1)) * (gw - 1);
      const x0 = Math.min(gw - 2, Math.floor(gx));
      const fx = gx - x0;
      const a = grid[y0 * gw + x0]!;
      const b = grid[y0 * gw + x0 + 1]!;
      const c = grid[(y0 + 1) * gw + x0]!;
      const d = grid[(y0 + 1) * gw + x0 + 1]!;
      data[y * width + x] = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }
  }
  // Furniture, frames, shelves: boxes at several scales, some with edges only.
  for (let i = 0; i < 60; i++) {
    const w = Math.round(width * (0.01 + rng() ** 2 * 0.3));
    const h = Math.round(height * (0.01 + rng() ** 2 * 0.4));
    const x0 = Math.floor(rng() * (width - w));
    const y0 = Math.floor(rng() * (height - h));
    const v = 20 + rng() * 210;
    const outline = rng() < 0.3;
    const t = Math.max(1, Math.round(width / 400));
    for (let y = y0; y < y0 + h; y++) {
      for (let x = x0; x < x0 + w; x++) {
        if (outline && x - x0 >= t && x0 + w - x > t && y - y0 >= t && y0 + h - y > t) continue;
        data[y * width + x] = v;
      }
    }
  }
  // Fine surface texture.
  for (let i = 0; i < data.length; i++) data[i] = clamp(data[i]! + (rng() - 0.5) * 12);
  return { data, width, height };
}

// --- codes --------------------------------------------------------------------

type Shade = (u: number, v: number) => number;

function drawCode(frame: LumaFrame, code: SceneQr, scale: number, rng: Rng): void {
  const s = code.qrPx * scale;
  const contrast = code.contrast ?? 1;
  const shade = code.kind === 'phone' ? phoneShade(code.text, s, contrast, rng) : labelShade(code.text, s, contrast);
  const tilt = ((code.tiltDeg ?? 0) * Math.PI) / 180;
  const axis = (((code.tiltAxisDeg ?? rng() * 360) as number) * Math.PI) / 180;
  const roll = (((code.rollDeg ?? (rng() - 0.5) * 16) as number) * Math.PI) / 180;
  const h = poseHomography(frame.width, frame.height, code.at, tilt, axis, roll);
  const inv = invert3(h);
  // Bounding box: project the object's extent (generous) and clip.
  const ext = shade.extent;
  const corners = [
    [ext[0], ext[1]],
    [ext[2], ext[1]],
    [ext[0], ext[3]],
    [ext[2], ext[3]],
  ].map(([u, v]) => project(h, u!, v!));
  const xs = corners.map((c) => c[0]);
  const ys = corners.map((c) => c[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - 1);
  const x1 = Math.min(frame.width - 1, Math.ceil(Math.max(...xs)) + 1);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)) - 1);
  const y1 = Math.min(frame.height - 1, Math.ceil(Math.max(...ys)) + 1);
  const [a, b, c, d, e, f, g, k, m] = inv;
  const data = frame.data;
  const w = frame.width;
  const half = s / 2 + 2;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const bg = data[y * w + x]!;
      const qc = g * (x + 0.5) + k * (y + 0.5) + m;
      const uc = (a * (x + 0.5) + b * (y + 0.5) + c) / qc;
      const vc = (d * (x + 0.5) + e * (y + 0.5) + f) / qc;
      if (Math.abs(uc) > half || Math.abs(vc) > half) {
        // Away from the code one sample is enough: only the code's edges matter to a decoder.
        const value = shade.at(uc, vc);
        data[y * w + x] = value < 0 ? bg : value;
        continue;
      }
      let sum = 0;
      // 2×2 samples: the pixel's area, as a sensor integrates it.
      for (let sy = 0; sy < 2; sy++) {
        const py = y + 0.25 + sy * 0.5;
        for (let sx = 0; sx < 2; sx++) {
          const px = x + 0.25 + sx * 0.5;
          const q = g * px + k * py + m;
          const value = shade.at((a * px + b * py + c) / q, (d * px + e * py + f) / q);
          sum += value < 0 ? bg : value;
        }
      }
      data[y * w + x] = sum / 4;
    }
  }
}

interface ObjectShade {
  /** Grey level at object coordinates (origin at the QR centre, px at face-on scale), or -1 outside the object. */
  at: Shade;
  /** [uMin, vMin, uMax, vMax] of the object. */
  extent: [number, number, number, number];
}

const moduleCache = new Map<string, { n: number; dark: (i: number, j: number) => boolean }>();

/** The module grid (quiet zone included) as a lookup: true = dark. ECC M, as provisioning.md §6.2 recommends. */
function qrModules(text: string): { n: number; dark: (i: number, j: number) => boolean } {
  const cached = moduleCache.get(text);
  if (cached) return cached;
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = qr.modules.size;
  const quiet = 4;
  const n = size + 2 * quiet;
  const grid = new Uint8Array(n * n);
  for (let r = 0; r < size; r++) for (let c = 0; c < size; c++) grid[(r + quiet) * n + c + quiet] = qr.modules.get(r, c) ? 1 : 0;
  const entry = { n, dark: (i: number, j: number) => grid[i * n + j] === 1 };
  if (moduleCache.size > 64) moduleCache.clear();
  moduleCache.set(text, entry);
  return entry;
}

function phoneShade(text: string, s: number, contrast: number, rng: Rng): ObjectShade {
  const { n, dark } = qrModules(text);
  const white = 135 + 102.5 * contrast;
  const black = 135 - 102.5 * contrast;
  const sw = s / 0.8;
  const sh = sw * 2.05;
  const top = -0.42 * sh;
  const bottom = top + sh;
  const bezel = 0.05 * sw;
  // App UI: a title bar above the code and a few text lines below it.
  const bars: [number, number, number, number][] = [[-0.35 * sw, top + 0.06 * sh, 0.2 * sw, top + 0.1 * sh]];
  for (let k = 0; k < 4; k++) {
    const v = s / 2 + 0.05 * sh + k * 0.05 * sh;
    bars.push([-0.4 * sw, v, -0.4 * sw + (0.3 + rng() * 0.5) * sw, v + 0.022 * sh]);
  }
  const barGrey = black + (white - black) * 0.35;
  return {
    extent: [-sw / 2 - bezel, top - 2 * bezel, sw / 2 + bezel, bottom + 2 * bezel],
    at(u, v) {
      if (u < -sw / 2 - bezel || u > sw / 2 + bezel || v < top - 2 * bezel || v > bottom + 2 * bezel) return -1;
      if (u < -sw / 2 || u > sw / 2 || v < top || v > bottom) return 22; // body
      if (Math.abs(u) < s / 2 && Math.abs(v) < s / 2) {
        const j = Math.floor(((u + s / 2) / s) * n);
        const i = Math.floor(((v + s / 2) / s) * n);
        return dark(i, j) ? black : white;
      }
      for (const b of bars) if (u >= b[0] && u <= b[2] && v >= b[1] && v <= b[3]) return barGrey;
      return white;
    },
  };
}

function labelShade(text: string, s: number, contrast: number): ObjectShade {
  const { n, dark } = qrModules(text);
  // Paper is not a light source: whiter than the room, greyer than a screen.
  const white = 125 + 85 * contrast;
  const black = 125 - 85 * contrast;
  const lw = s / 0.45;
  const lh = lw / 1.6;
  const left = -s / 2 - 0.06 * lw;
  const bars: [number, number, number, number][] = [];
  for (let k = 0; k < 4; k++) {
    const v = -s / 2 + k * 0.22 * s;
    bars.push([s / 2 + 0.05 * lw, v, s / 2 + 0.4 * lw, v + 0.08 * s]);
  }
  return {
    extent: [left, -lh / 2, left + lw, lh / 2],
    at(u, v) {
      if (u < left || u > left + lw || v < -lh / 2 || v > lh / 2) return -1;
      if (Math.abs(u) < s / 2 && Math.abs(v) < s / 2) {
        const j = Math.floor(((u + s / 2) / s) * n);
        const i = Math.floor(((v + s / 2) / s) * n);
        return dark(i, j) ? black : white;
      }
      for (const b of bars) if (u >= b[0] && u <= b[2] && v >= b[1] && v <= b[3]) return black;
      return white;
    },
  };
}

// --- geometry -------------------------------------------------------------------

type Mat3 = [number, number, number, number, number, number, number, number, number];

/**
 * Object plane (u, v) → image (x, y) for a pinhole camera with a 90° horizontal
 * field of view. The object sits at the depth where one object unit is one
 * image pixel when face-on, so `s` keeps its meaning; tilt rotates the plane
 * about an in-plane axis at angle `axis`, roll spins it in its own plane.
 */
function poseHomography(width: number, height: number, at: [number, number], tilt: number, axis: number, roll: number): Mat3 {
  const f = width / 2; // tan(45°) = 1
  const z = f;
  // Rotation: roll about the normal, then tilt about the axis (ax, ay, 0).
  const cr = Math.cos(roll);
  const sr = Math.sin(roll);
  const ax = Math.cos(axis);
  const ay = Math.sin(axis);
  const ct = Math.cos(tilt);
  const st = Math.sin(tilt);
  // Rodrigues for the tilt.
  const t: number[] = [
    ct + ax * ax * (1 - ct), ax * ay * (1 - ct), ay * st,
    ay * ax * (1 - ct), ct + ay * ay * (1 - ct), -ax * st,
    -ay * st, ax * st, ct,
  ];
  const rRoll = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  const r = mul3(t, rRoll);
  // Where the centre goes: the ray through the requested image point, at depth z.
  const cx = (at[0] - 0.5) * width;
  const cy = (at[1] - 0.5) * height;
  const tx = (cx * z) / f;
  const ty = (cy * z) / f;
  // x_img = f * (r00 u + r01 v + tx) / (r20 u + r21 v + z) + W/2, same for y.
  return [
    f * r[0]! + (width / 2) * r[6]!, f * r[1]! + (width / 2) * r[7]!, f * tx + (width / 2) * z,
    f * r[3]! + (height / 2) * r[6]!, f * r[4]! + (height / 2) * r[7]!, f * ty + (height / 2) * z,
    r[6]!, r[7]!, z,
  ];
}

function mul3(a: number[], b: number[]): number[] {
  const out: number[] = new Array(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return out;
}

function project(h: Mat3, u: number, v: number): [number, number] {
  const w = h[6] * u + h[7] * v + h[8];
  return [(h[0] * u + h[1] * v + h[2]) / w, (h[3] * u + h[4] * v + h[5]) / w];
}

function invert3(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    A / det, -(b * i - c * h) / det, (b * f - c * e) / det,
    B / det, (a * i - c * g) / det, -(a * f - c * d) / det,
    C / det, -(a * h - b * g) / det, (a * e - b * d) / det,
  ];
}

// --- light, optics, sensor ----------------------------------------------------------

function addGlare(frame: LumaFrame, code: SceneQr, scale: number, rng: Rng): void {
  const s = code.qrPx * scale;
  // Over one side of the code, never dead centre: a reflection of a lamp or window.
  const angle = rng() * 2 * Math.PI;
  const cx = code.at[0] * frame.width + Math.cos(angle) * 0.22 * s;
  const cy = code.at[1] * frame.height + Math.sin(angle) * 0.22 * s;
  const sigma = 0.16 * s;
  const amp = 150 + rng() * 60;
  const r = Math.ceil(3 * sigma);
  for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(frame.height, cy + r); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(frame.width, cx + r); x++) {
      const d2 = (x - cx) ** 2 + (y - cy) ** 2;
      const i = y * frame.width + x;
      frame.data[i] = clamp(frame.data[i]! + amp * Math.exp(-d2 / (2 * sigma * sigma)));
    }
  }
}

let gaussTable: Float32Array | null = null;

/** Standard normal samples, drawn once: a table lookup per pixel instead of a logarithm. */
function gaussians(): Float32Array {
  if (gaussTable) return gaussTable;
  const rng = mulberry32(0x9a55);
  const t = new Float32Array(1 << 16);
  for (let i = 0; i < t.length; i++) t[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  gaussTable = t;
  return t;
}

function addNoise(frame: LumaFrame, sigma: number, rng: Rng): void {
  if (sigma <= 0) return;
  const g = gaussians();
  const data = frame.data;
  for (let i = 0; i < data.length; i++) data[i] = clamp(data[i]! + 0.5 + sigma * g[(rng() * 65536) | 0]!);
}

async function sharpGray(frame: LumaFrame, op: (s: Sharp) => Sharp): Promise<LumaFrame> {
  const { data, info } = await op(sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 1 } }))
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

async function jpegRoundTrip(frame: LumaFrame, quality: number): Promise<LumaFrame> {
  const jpeg = await sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 1 } }).jpeg({ quality }).toBuffer();
  const { data, info } = await sharp(jpeg).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

// --- randomness -------------------------------------------------------------------------

type Rng = () => number;

export { mulberry32 };
