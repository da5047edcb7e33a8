/**
 * Synthetic gray frames for the detector's unit tests: a textured still
 * scene, seeded noise, rectangles for movers and a brightness transform for
 * lights and exposure. Deterministic, no ffmpeg.
 */
import { mulberry32 } from '../../src/core/seeded-random.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Luma of the mover. */
  luma?: number;
}

export interface SceneOptions {
  width?: number;
  height?: number;
  /** Peak-to-peak noise amplitude in levels. */
  noise?: number;
  seed?: number;
}

export class SyntheticScene {
  readonly width: number;
  readonly height: number;
  readonly #base: Uint8Array;
  readonly #noise: number;
  readonly #random: () => number;

  constructor(opts: SceneOptions = {}) {
    this.width = opts.width ?? 320;
    this.height = opts.height ?? 180;
    this.#noise = opts.noise ?? 8;
    this.#random = mulberry32(opts.seed ?? 1);
    const { width: w, height: h } = this;
    this.#base = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = 120 + 45 * Math.sin((2 * Math.PI * x * 5) / w) * Math.cos((2 * Math.PI * y * 3) / h) + 20 * Math.sin(2 * Math.PI * ((x * 17) / w + (y * 11) / h));
        this.#base[y * w + x] = Math.round(v);
      }
    }
  }

  /** One frame: the scene, brightness-mapped, with movers drawn and noise added. */
  frame(movers: Rect[] = [], map: (v: number) => number = (v) => v): Uint8Array {
    const { width: w, height: h } = this;
    const out = new Uint8Array(w * h);
    for (let i = 0; i < out.length; i++) out[i] = clamp(map(this.#base[i]!));
    for (const m of movers) {
      for (let y = Math.max(0, Math.round(m.y)); y < Math.min(h, Math.round(m.y + m.h)); y++) {
        for (let x = Math.max(0, Math.round(m.x)); x < Math.min(w, Math.round(m.x + m.w)); x++) out[y * w + x] = clamp(map(m.luma ?? 40));
      }
    }
    if (this.#noise > 0) {
      for (let i = 0; i < out.length; i++) out[i] = clamp(out[i]! + (this.#random() - 0.5) * this.#noise);
    }
    return out;
  }
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
