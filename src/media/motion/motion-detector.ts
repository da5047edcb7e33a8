/**
 * The motion detector: a pure function of frames. Gray frames go in, motion
 * start/end events come out; no I/O, no timers, no clock (time is the
 * frame's own `t`). The same code runs in the agent, in `motion analyze`
 * and in the tests, so what a technician tunes offline is what the camera does.
 *
 * Per frame (all in preallocated typed arrays, see image-ops.ts):
 * 1. reduce to the working size (whole-factor box average) and blur;
 * 2. match the background's brightness to the frame's: a tone curve from
 *    the quantiles of both (image-ops.ts toneCurve), so auto-exposure
 *    steps, clouds, gamma and slow daylight drift do not read as motion
 *    (the frame is compared with `curve(background)`, not the background);
 * 3. absolute difference and threshold; the threshold scales with the
 *    scene's contrast (improveContrast) and never drops below 4× the
 *    measured noise, which is what keeps it usable on unknown cameras;
 * 4. scene-change guard: most pixels changed, or all quartiles jumped
 *    together → re-learn the background, report nothing for a moment;
 * 5. drop speckle blobs, count changed pixels per zone, outside masks;
 * 6. update the running-average background, carried along with the
 *    brightness match (slower where pixels changed, so a person standing
 *    still is not learnt away at once);
 * 7. the event state machine: minFrames consecutive motion frames start
 *    an event, offDelay seconds of quiet end it, cooldown spaces events.
 */
import { BlobLabeler } from './blobs.js';
import { blurBox, blurGaussian, downsample, histogramQuantile, toneCurve } from './image-ops.js';
import { profileOf, type MotionConfig, type ProfileName } from './motion-config.js';
import { MAX_ZONES, dilate, fillPolygon } from './regions.js';

export interface MotionFrame {
  /** width×height luma bytes, row-major. Not kept after process() returns. */
  data: Uint8Array;
  width: number;
  height: number;
  /** Frame time in ms: stream time, or video time when analysing a file. Must not go backwards. */
  t: number;
}

export type MotionEndReason = 'quiet' | 'disarmed' | 'flush';

export type MotionEvent =
  | {
      type: 'start';
      t: number;
      /** Changed area, percent of the frame, in the frame that started the event. */
      score: number;
      /** Zones with motion in that frame; empty when no zones are configured. */
      zones: string[];
    }
  | {
      type: 'end';
      t: number;
      /** The event's peak changed area, percent of the frame. */
      score: number;
      /** Every zone that saw motion during the event. */
      zones: string[];
      /** From the start frame to the last motion frame. */
      durationMs: number;
      reason: MotionEndReason;
    };

export type Suppression = 'calibrating' | 'scene-change' | 'ptz' | 'disarmed' | 'disabled';

export interface MotionFrameResult {
  t: number;
  /** Changed area, percent of the frame (after masks and speckle removal). */
  score: number;
  /** Whether this frame counts as a motion frame. */
  motion: boolean;
  /** Zones over their minimum area in this frame. */
  zones: string[];
  /** Why motion is not being reported right now, if it is not. */
  suppressed: Suppression | null;
  /** This frame triggered the scene-change guard. */
  sceneChange: boolean;
  profile: ProfileName;
  /** The threshold applied after contrast and noise adjustment (0–255 scale). */
  threshold: number;
  events: MotionEvent[];
}

export interface MotionStats {
  frames: number;
  sceneChanges: number;
  events: number;
  state: 'idle' | 'motion';
  profile: ProfileName;
  /** Working size, or null before the first frame. */
  size: { width: number; height: number } | null;
}

/** Read-only views of the working buffers, for debug images. Valid until the next process(). */
export interface MotionDebugView {
  width: number;
  height: number;
  /** The blurred working frame. */
  frame: Uint8Array;
  /** 1 where a pixel counted as changed. */
  changed: Uint8Array;
  /** 1 where a pixel is masked (dilated by the blur radius). */
  masked: Uint8Array;
  /** Bit z set where the pixel is in zone z (config order). */
  zoneBits: Uint16Array;
}

/** Everything that depends on the frame size; rebuilt when it or the regions change. */
interface Layout {
  inW: number;
  inH: number;
  factor: number;
  w: number;
  h: number;
  small: Uint8Array | null;
  cur: Uint8Array;
  tmp: Uint16Array;
  bg: Float32Array;
  changed: Uint8Array;
  masked: Uint8Array;
  zoneBits: Uint16Array;
  zonePixels: Int32Array;
  zoneCounts: Int32Array;
  /** Unmasked pixels on a sparse grid, for the brightness statistics. */
  samples: Uint32Array;
  watched: number;
  blobs: BlobLabeler;
}

/** Samples kept for the quartiles: enough for ±0.5 % quantile error, cheap at any size. */
const TARGET_SAMPLES = 4000;
/** The threshold is never below this many noise sigmas (≈ 1 false pixel in 15,000 for gaussian noise). */
const NOISE_SIGMAS = 4;
/** Contrast scaling may lower the threshold at most this much: beyond it, dim scenes amplify noise (Frigate's stretch is unbounded and is known for night false alarms). */
const MAX_CONTRAST_GAIN = 4;
/** Background time constant while (re)learning: ~1 s, like Frigate's alpha 0.2 at 5 fps. */
const LEARN_SECONDS = 1;

export class MotionDetector {
  #config: MotionConfig;
  #layout: Layout | null = null;
  #bgReady = false;
  #lastT: number | null = null;
  #settleUntil = -Infinity;
  #settleReason: Suppression = 'calibrating';
  #ptzMoving = false;
  #ptzStopped = false;
  #armed = true;
  #externalProfile: ProfileName = 'day';
  #autoProfile: ProfileName = 'day';
  #prevQuartiles: [number, number, number] | null = null;
  #contrastRange = -1;
  #noiseSigma = -1;
  #consecutive = 0;
  #state: 'idle' | 'motion' = 'idle';
  #eventStart = 0;
  #lastMotionT = 0;
  #lastEndT = -Infinity;
  #peak = 0;
  #zonesSeen = new Set<string>();
  #frames = 0;
  #sceneChanges = 0;
  #events = 0;
  readonly #histA = new Uint32Array(256);
  readonly #histB = new Uint32Array(256);
  /** Background level → frame level, 257 entries so level 255.x interpolates. */
  readonly #tone = new Float32Array(257);
  readonly #toneRefit = new Float32Array(257);
  /** Samples counted by the last #quartiles() call. */
  #sampleCount = 0;

  constructor(config: MotionConfig) {
    this.#config = config;
  }

  /**
   * Replaces the configuration. A change of working size, blur or regions
   * re-learns the background on the next frame; other knobs apply at once.
   */
  configure(config: MotionConfig): void {
    const old = this.#config;
    this.#config = config;
    if (
      old.frameHeight !== config.frameHeight || old.blur !== config.blur || old.blurRadius !== config.blurRadius ||
      JSON.stringify([old.zones, old.masks]) !== JSON.stringify([config.zones, config.masks])
    ) {
      this.#layout = null;
    }
    if (!config.enabled) this.#consecutive = 0;
  }

  /** PTZ motors moving: nothing is reported, and the background is re-learnt once they stop. */
  setPtzMoving(moving: boolean): void {
    if (this.#ptzMoving && !moving) this.#ptzStopped = true;
    this.#ptzMoving = moving;
  }

  /** Armed by the schedule or the user. Disarming ends an open event at the next frame. */
  setArmed(armed: boolean): void {
    this.#armed = armed;
  }

  /** The day/night state from the IR-cut filter or ISP; used when profile.mode is 'external'. */
  setDayNight(profile: ProfileName): void {
    this.#externalProfile = profile;
  }

  stats(): MotionStats {
    const l = this.#layout;
    return {
      frames: this.#frames,
      sceneChanges: this.#sceneChanges,
      events: this.#events,
      state: this.#state,
      profile: this.#profile(),
      size: l ? { width: l.w, height: l.h } : null,
    };
  }

  debugView(): MotionDebugView | null {
    const l = this.#layout;
    return l ? { width: l.w, height: l.h, frame: l.cur, changed: l.changed, masked: l.masked, zoneBits: l.zoneBits } : null;
  }

  /** Ends an open event (end of a file, shutdown); returns it, or null when none was open. */
  flush(t: number): MotionEvent | null {
    return this.#state === 'motion' ? this.#end(t, 'flush') : null;
  }

  process(frame: MotionFrame): MotionFrameResult {
    const cfg = this.#config;
    const t = frame.t;
    const dt = this.#lastT === null ? 200 : Math.min(2000, Math.max(1, t - this.#lastT));
    this.#lastT = t;
    this.#frames++;
    const l = this.#ensureLayout(frame.width, frame.height);
    this.#prepare(frame, l);

    const events: MotionEvent[] = [];
    const profileName = this.#updateProfile(l);
    const profile = profileOf(cfg, profileName);
    const result = (motion: boolean, score: number, zones: string[], suppressed: Suppression | null, sceneChange: boolean, threshold: number): MotionFrameResult => {
      this.#advance(t, motion, score, zones, suppressed, profile.minFrames, events);
      return { t, score, motion, zones, suppressed, sceneChange, profile: profileName, threshold, events };
    };

    if (!this.#bgReady) {
      this.#relearn(l);
      return result(false, 0, [], 'calibrating', false, cfg.threshold);
    }
    if (this.#ptzMoving) {
      // The picture pans: nothing to compare with. Follow it, so the re-learn at the stop starts close.
      this.#relearn(l);
      l.changed.fill(0);
      return result(false, 0, [], 'ptz', false, cfg.threshold);
    }
    if (this.#ptzStopped) {
      this.#ptzStopped = false;
      this.#relearn(l);
      this.#settle(t, cfg.ptz.settleSeconds, 'ptz');
    }

    // 2. Brightness match: a tone curve from the quantiles of frame and background.
    const [c25, c50, c75] = this.#quartiles(l, l.cur, null);
    this.#quartiles(l, null, l.bg);
    const prev = this.#prevQuartiles;
    this.#prevQuartiles = [c25, c50, c75];
    const tone = this.#tone;
    toneCurve(this.#histB, this.#histA, this.#sampleCount, tone);

    // 3. Threshold: contrast-scaled, floored by the noise.
    const lo = histogramQuantile(this.#histA, this.#sampleCount, 0.04);
    const hi = histogramQuantile(this.#histA, this.#sampleCount, 0.96);
    // ~50-frame average of the range, as Frigate's contrast_frame_history.
    const range = Math.max(1, hi - lo);
    this.#contrastRange = this.#contrastRange < 0 ? range : this.#contrastRange + (range - this.#contrastRange) * 0.02;
    const contrastScale = cfg.improveContrast ? Math.min(1, Math.max(1 / MAX_CONTRAST_GAIN, this.#contrastRange / 255)) : 1;
    const sigma = this.#measureNoise(l, tone);
    const threshold = Math.max(profile.threshold * contrastScale, NOISE_SIGMAS * sigma, 2);

    // Threshold pass. A mover that appeared in this frame was still in the
    // histograms; refit the curve without the pixels just found changed and,
    // if that moves the curve, threshold again. Otherwise the mover bends the
    // curve and, through the background update, leaves a lasting imprint.
    const { cur, bg, changed } = l;
    const n = l.w * l.h;
    const firstPass = this.#thresholdPass(l, tone, threshold);
    let compensated = firstPass;
    if (firstPass > 0 && firstPass <= cfg.sceneChange.fraction * l.watched) {
      const refit = this.#toneRefit;
      this.#quartiles(l, l.cur, null);
      this.#quartiles(l, null, l.bg);
      toneCurve(this.#histB, this.#histA, this.#sampleCount, refit);
      let moved = 0;
      for (let v = 0; v < 257; v++) moved = Math.max(moved, Math.abs(refit[v]! - tone[v]!));
      tone.set(refit);
      // A shift under a quarter of the threshold changes few decisions; not worth a second pass.
      if (moved > threshold / 4) compensated = this.#thresholdPass(l, tone, threshold);
    }

    // 4. Scene-change guard.
    const jump = cfg.sceneChange.brightnessJump;
    const quartileJump =
      prev !== null &&
      ((c25 - prev[0] >= jump && c50 - prev[1] >= jump && c75 - prev[2] >= jump) ||
        (prev[0] - c25 >= jump && prev[1] - c50 >= jump && prev[2] - c75 >= jump));
    // Counted after the brightness match: a slow drift the match explains is not a scene change.
    const fraction = Math.max(firstPass, compensated) / Math.max(1, l.watched);
    if (quartileJump || fraction > cfg.sceneChange.fraction) {
      this.#sceneChanges++;
      this.#relearn(l);
      this.#settle(t, cfg.sceneChange.settleSeconds, 'scene-change');
      changed.fill(0);
      return result(false, 0, [], 'scene-change', true, threshold);
    }

    // 5. Speckle removal, then area per zone.
    const frameArea = n;
    const counted = compensated === 0 ? 0 : l.blobs.removeSmall(changed, Math.max(1, Math.round((cfg.minBlobArea / 100) * frameArea)));
    const zones = this.#zonesOver(l, counted, profile.minArea, frameArea);
    const score = Math.round((counted / frameArea) * 10000) / 100;

    // 6. Background update.
    const settling = t < this.#settleUntil;
    const aStill = settling ? alpha(dt, LEARN_SECONDS) : alpha(dt, cfg.backgroundSeconds);
    const aChanged = settling ? aStill : alpha(dt, cfg.staticObjectSeconds);
    // The background is first carried into the frame's brightness (the tone curve), then averaged:
    // a slow drift or exposure ramp then never builds up a lag the linear match can no longer explain
    // (clipping at 0 and 255 makes large changes non-linear).
    if (isIdentity(tone)) {
      for (let i = 0; i < n; i++) bg[i]! += (changed[i] !== 0 ? aChanged : aStill) * (cur[i]! - bg[i]!);
    } else for (let i = 0; i < n; i++) {
      const a = changed[i] !== 0 ? aChanged : aStill;
      const b = bg[i]!;
      const bi = b | 0;
      const lo = tone[bi]!;
      const p = lo + (tone[bi + 1]! - lo) * (b - bi);
      bg[i] = p + a * (cur[i]! - p);
    }

    // 7. Events.
    const suppressed: Suppression | null = !cfg.enabled ? 'disabled' : !this.#armed ? 'disarmed' : settling ? this.#settleReason : null;
    const motion = suppressed === null && zones !== null;
    return result(motion, score, zones ?? [], suppressed, false, threshold);
  }

  /** Marks pixels farther than `threshold` from curve(background); returns how many. */
  #thresholdPass(l: Layout, tone: Float32Array, threshold: number): number {
    const { cur, bg, changed, masked } = l;
    const n = l.w * l.h;
    let count = 0;
    if (isIdentity(tone)) {
      // The usual case, a still exposure: skip the curve (a third of the frame's cost).
      for (let i = 0; i < n; i++) {
        const d = cur[i]! - bg[i]!;
        const hit = masked[i] === 0 && (d > threshold || d < -threshold) ? 1 : 0;
        changed[i] = hit;
        count += hit;
      }
      return count;
    }
    for (let i = 0; i < n; i++) {
      if (masked[i] !== 0) {
        changed[i] = 0;
        continue;
      }
      const b = bg[i]!;
      const bi = b | 0;
      const lo = tone[bi]!;
      const d = cur[i]! - (lo + (tone[bi + 1]! - lo) * (b - bi));
      const hit = d > threshold || d < -threshold ? 1 : 0;
      changed[i] = hit;
      count += hit;
    }
    return count;
  }

  #ensureLayout(width: number, height: number): Layout {
    const cfg = this.#config;
    const old = this.#layout;
    if (old !== null && old.inW === width && old.inH === height) return old;
    const factor = Math.max(1, Math.floor(height / cfg.frameHeight));
    const w = Math.floor(width / factor);
    const h = Math.floor(height / factor);
    const n = w * h;
    const masked = new Uint8Array(n);
    for (const m of cfg.masks) fillPolygon(masked, w, h, m.points, 1);
    // Blur carries a masked mover's change a few pixels out of its mask.
    dilate(masked, w, h, cfg.blur === 'none' ? 1 : cfg.blurRadius + 1);
    const zoneBits = new Uint16Array(n);
    cfg.zones.slice(0, MAX_ZONES).forEach((z, k) => fillPolygon(zoneBits, w, h, z.points, 1 << k, 'or'));
    const zonePixels = new Int32Array(cfg.zones.length);
    for (let i = 0; i < n; i++) {
      const bits = zoneBits[i]!;
      if (bits === 0 || masked[i] !== 0) continue;
      for (let k = 0; k < zonePixels.length; k++) if (bits & (1 << k)) zonePixels[k]! += 1;
    }
    let watched = 0;
    for (let i = 0; i < n; i++) if (masked[i] === 0) watched++;
    const step = Math.max(1, Math.round(Math.sqrt(n / TARGET_SAMPLES)));
    const sampleList: number[] = [];
    for (let y = step >> 1; y < h; y += step) {
      for (let x = step >> 1; x < w; x += step) if (masked[y * w + x] === 0) sampleList.push(y * w + x);
    }
    const layout: Layout = {
      inW: width, inH: height, factor, w, h,
      small: factor > 1 ? new Uint8Array(n) : null,
      cur: new Uint8Array(n),
      tmp: new Uint16Array(n),
      bg: new Float32Array(n),
      changed: new Uint8Array(n),
      masked,
      zoneBits,
      zonePixels,
      zoneCounts: new Int32Array(cfg.zones.length),
      samples: Uint32Array.from(sampleList.length ? sampleList : [0]),
      watched,
      blobs: new BlobLabeler(w, h),
    };
    this.#layout = layout;
    this.#bgReady = false;
    this.#prevQuartiles = null;
    return layout;
  }

  #prepare(frame: MotionFrame, l: Layout): void {
    if (frame.data.length < frame.width * frame.height) throw new RangeError('frame data shorter than width×height');
    let src = frame.data;
    if (l.small !== null) {
      downsample(frame.data, frame.width, frame.height, l.factor, l.small);
      src = l.small;
    } else if (frame.width !== l.w) {
      throw new RangeError('frame width does not match layout');
    }
    const cfg = this.#config;
    if (cfg.blur === 'gaussian') blurGaussian(src, l.cur, l.w, l.h, l.tmp, cfg.blurRadius);
    else if (cfg.blur === 'box') blurBox(src, l.cur, l.w, l.h, l.tmp, cfg.blurRadius);
    else l.cur.set(src.subarray(0, l.w * l.h));
  }

  /** Quartiles of the sampled pixels of `img` (or of `bg`); leaves the histogram of `img` in #histA. */
  #quartiles(l: Layout, img: Uint8Array | null, bg: Float32Array | null): [number, number, number] {
    const hist = img !== null ? this.#histA : this.#histB;
    hist.fill(0);
    const s = l.samples;
    // Pixels that changed in the previous frame are left out: a mover must not steer the brightness match.
    const skip = l.changed;
    let count = 0;
    for (let k = 0; k < s.length; k++) {
      const i = s[k]!;
      if (skip[i] !== 0) continue;
      hist[img !== null ? img[i]! : bg![i]! | 0]! += 1;
      count++;
    }
    if (count < s.length / 4) {
      // Most of the frame is moving: use every sample rather than too few.
      hist.fill(0);
      for (let k = 0; k < s.length; k++) hist[img !== null ? img[s[k]!]! : bg![s[k]!]! | 0]! += 1;
      count = s.length;
    }
    this.#sampleCount = count;
    return [histogramQuantile(hist, count, 0.25), histogramQuantile(hist, count, 0.5), histogramQuantile(hist, count, 0.75)];
  }

  /**
   * Residual noise after the brightness match, as a robust sigma (1.4826 ×
   * median absolute residual over the samples: movers below half the frame
   * do not move a median), smoothed over ~10 frames.
   */
  #measureNoise(l: Layout, tone: Float32Array): number {
    const hist = this.#histB;
    hist.fill(0);
    const s = l.samples;
    const { cur, bg } = l;
    const identity = isIdentity(tone);
    for (let k = 0; k < s.length; k++) {
      const i = s[k]!;
      const b = bg[i]!;
      let d: number;
      if (identity) d = cur[i]! - b;
      else {
        const bi = b | 0;
        d = cur[i]! - (tone[bi]! + (tone[bi + 1]! - tone[bi]!) * (b - bi));
      }
      if (d < 0) d = -d;
      hist[d > 255 ? 255 : d | 0]! += 1;
    }
    const sigma = 1.4826 * (histogramQuantile(hist, s.length, 0.5) + 0.5);
    // Noise rises slowly (≤ 5 % per frame): a large real change that moves the median
    // (a bumped camera) must not make the detector blind for the next minutes.
    const prev = this.#noiseSigma;
    this.#noiseSigma = prev < 0 ? sigma : Math.min(prev * 1.05, prev + (sigma - prev) * 0.1);
    return this.#noiseSigma;
  }

  /** Names of zones over their minimum area; null when nothing is over it. Empty array: whole frame (no zones). */
  #zonesOver(l: Layout, counted: number, minAreaPct: number, frameArea: number): string[] | null {
    const minPixels = Math.max(1, (minAreaPct / 100) * frameArea);
    const zones = this.#config.zones;
    if (zones.length === 0) return counted >= minPixels ? [] : null;
    if (counted === 0) return null;
    const counts = l.zoneCounts;
    counts.fill(0);
    const { changed, zoneBits } = l;
    const n = changed.length;
    for (let i = 0; i < n; i++) {
      if (changed[i] === 0) continue;
      const bits = zoneBits[i]!;
      if (bits === 0) continue;
      for (let k = 0; k < counts.length; k++) if (bits & (1 << k)) counts[k]! += 1;
    }
    const over: string[] = [];
    zones.forEach((z, k) => {
      const need = z.minArea !== undefined ? Math.max(1, (z.minArea / 100) * l.zonePixels[k]!) : minPixels;
      if (l.zonePixels[k]! > 0 && counts[k]! >= need) over.push(z.name);
    });
    return over.length ? over : null;
  }

  #updateProfile(l: Layout): ProfileName {
    const { profile } = this.#config;
    if (profile.mode === 'auto') {
      // Median of the raw working frame; hysteresis stops flapping at dusk.
      const hist = this.#histB;
      hist.fill(0);
      const s = l.samples;
      for (let k = 0; k < s.length; k++) hist[l.cur[s[k]!]!]! += 1;
      const median = histogramQuantile(hist, s.length, 0.5);
      if (this.#autoProfile === 'day' && median < profile.nightBelow) this.#autoProfile = 'night';
      else if (this.#autoProfile === 'night' && median > profile.dayAbove) this.#autoProfile = 'day';
    }
    return this.#profile();
  }

  #profile(): ProfileName {
    const mode = this.#config.profile.mode;
    return mode === 'auto' ? this.#autoProfile : mode === 'external' ? this.#externalProfile : mode;
  }

  #relearn(l: Layout): void {
    const { cur, bg } = l;
    for (let i = 0; i < cur.length; i++) bg[i] = cur[i]!;
    this.#bgReady = true;
    this.#noiseSigma = -1;
    this.#consecutive = 0;
  }

  #settle(t: number, seconds: number, reason: Suppression): void {
    this.#settleUntil = t + seconds * 1000;
    this.#settleReason = reason;
  }

  #advance(t: number, motion: boolean, score: number, zones: string[], suppressed: Suppression | null, minFrames: number, events: MotionEvent[]): void {
    const cfg = this.#config;
    if (this.#state === 'motion' && (suppressed === 'disarmed' || suppressed === 'disabled')) {
      events.push(this.#end(t, 'disarmed'));
      return;
    }
    this.#consecutive = motion ? this.#consecutive + 1 : 0;
    if (this.#state === 'idle') {
      if (this.#consecutive >= minFrames && t - this.#lastEndT >= cfg.cooldownSeconds * 1000) {
        this.#state = 'motion';
        this.#events++;
        this.#eventStart = t;
        this.#lastMotionT = t;
        this.#peak = score;
        this.#zonesSeen = new Set(zones);
        events.push({ type: 'start', t, score, zones });
      }
      return;
    }
    if (motion) {
      this.#lastMotionT = t;
      this.#peak = Math.max(this.#peak, score);
      for (const z of zones) this.#zonesSeen.add(z);
    } else if (t - this.#lastMotionT >= cfg.offDelaySeconds * 1000) {
      events.push(this.#end(t, 'quiet'));
    }
  }

  #end(t: number, reason: MotionEndReason): MotionEvent {
    this.#state = 'idle';
    this.#lastEndT = t;
    this.#consecutive = 0;
    return {
      type: 'end',
      t,
      score: this.#peak,
      zones: [...this.#zonesSeen],
      durationMs: this.#lastMotionT - this.#eventStart,
      reason,
    };
  }
}

/**
 * Whether the tone curve is within 1.5 levels of identity everywhere, i.e.
 * the exposure did not change: then the curve is skipped. Quantiles are
 * whole levels and jitter by one with noise alone; 1.5 levels is far below
 * any threshold (≥ 4σ of the noise), and the background's own averaging
 * absorbs a difference that small.
 */
function isIdentity(tone: Float32Array): boolean {
  for (let v = 0; v < 256; v++) {
    const d = tone[v]! - v;
    if (d > 1.5 || d < -1.5) return false;
  }
  return true;
}

/** Per-frame learning rate for a time constant: 1 − e^(−dt/τ). */
function alpha(dtMs: number, seconds: number): number {
  return 1 - Math.exp(-dtMs / (seconds * 1000));
}
