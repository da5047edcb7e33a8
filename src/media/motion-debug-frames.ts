/**
 * Annotated frames for tuning (`motion analyze --debug-dir`): one PNG per
 * analysed frame at the detector's working size, enlarged 4× with nearest
 * neighbour so single pixels stay visible. Gray: the blurred frame the
 * detector compares; red: pixels counted as changed; blue tint: masked;
 * green: zone outlines. The file name carries the index, video time and
 * what the detector made of the frame.
 *
 * The only module of the motion pipeline that touches sharp and the disk.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { MotionDebugView, MotionFrameResult } from './motion/motion-detector.js';

const SCALE = 4;

export class MotionDebugFrames {
  readonly #dir: string;
  #queue: Promise<void> = Promise.resolve();
  #ready: Promise<void> | null = null;
  #error: Error | null = null;
  written = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Renders now (the view changes with the next frame) and writes in the background, in order. */
  add(index: number, result: MotionFrameResult, view: MotionDebugView): void {
    const rgb = renderDebugFrame(view);
    const state = result.sceneChange ? 'scene-change' : result.suppressed ?? (result.motion ? 'motion' : 'quiet');
    const events = result.events.map((e) => `_${e.type}`).join('');
    const name = `${String(index).padStart(6, '0')}_t${(result.t / 1000).toFixed(2)}s_${state}_score${result.score.toFixed(2)}${events}.png`;
    this.#ready ??= mkdir(this.#dir, { recursive: true }).then(() => undefined);
    const ready = this.#ready;
    this.#queue = this.#queue.then(async () => {
      if (this.#error) return;
      try {
        await ready;
        await sharp(rgb, { raw: { width: view.width, height: view.height, channels: 3 } })
          .resize(view.width * SCALE, view.height * SCALE, { kernel: 'nearest' })
          .png({ compressionLevel: 3 })
          .toFile(join(this.#dir, name));
        this.written++;
      } catch (err) {
        this.#error = err as Error;
      }
    });
  }

  /** Waits for every queued write; rejects with the first write error. */
  async finish(): Promise<void> {
    await this.#queue;
    if (this.#error) throw this.#error;
  }
}

/** RGB bytes of the annotated frame. Pure; exported for tests. */
export function renderDebugFrame(view: MotionDebugView): Uint8Array {
  const { width: w, height: h, frame, changed, masked, zoneBits } = view;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const g = frame[i]!;
      let r = g;
      let gg = g;
      let b = g;
      if (masked[i]) {
        r = g >> 1;
        gg = g >> 1;
        b = 128 + (g >> 1);
      }
      const z = zoneBits[i]!;
      const edge = (x > 0 && zoneBits[i - 1] !== z) || (y > 0 && zoneBits[i - w] !== z);
      if (edge) {
        r = 0;
        gg = 255;
        b = 0;
      }
      if (changed[i]) {
        r = 255;
        gg = g >> 2;
        b = g >> 2;
      }
      out[i * 3] = r;
      out[i * 3 + 1] = gg;
      out[i * 3 + 2] = b;
    }
  }
  return out;
}
