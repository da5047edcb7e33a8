/**
 * The live adapter between the frame source and the motion detector: feeds
 * every analysis frame to MotionDetector, applies the arm/disarm schedule
 * (wall clock, device time zone) and a manual override, and publishes the
 * detector's start/end events with the wall-clock time they happened.
 *
 * It owns no process and no timer: frames drive it, so when the stream is
 * down nothing is detected and nothing is pretended. A stream that goes down
 * during an event ends it (reason 'flush') rather than leaving it open.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../core/clock.js';
import type { Service } from '../core/service.js';
import type { Logger } from '../log/logger.js';
import type { FrameSourceEvents } from './frame-source.js';
import type { MotionConfig, ProfileName } from './motion/motion-config.js';
import { MotionDetector, type MotionEvent, type MotionStats } from './motion/motion-detector.js';
import { isArmedAt } from './motion/schedule.js';

/** The part of FrameSource the analyzer uses. */
export interface FrameFeed {
  on<K extends keyof FrameSourceEvents>(name: K, listener: (payload: FrameSourceEvents[K]) => void): () => void;
}

/** A detector event plus the wall-clock time (ms since the epoch) of its frame. */
export type MotionNotice = MotionEvent & { at: number };

export interface VideoAnalyzerEvents {
  motion: MotionNotice;
}

export interface VideoAnalyzerDeps {
  frames: FrameFeed;
  config: MotionConfig;
  clock: Clock;
  logger: Logger;
}

export interface VideoAnalyzerStats extends MotionStats {
  armed: boolean;
  /** Median and worst detector time per frame over the last 100 frames, ms. */
  frameMs: { median: number; max: number };
}

export class VideoAnalyzer implements Service {
  readonly name = 'video-analyzer';
  readonly #deps: VideoAnalyzerDeps;
  readonly #events = new EventEmitter();
  #config: MotionConfig;
  #detector: MotionDetector | null = null;
  #unsubscribe: Array<() => void> = [];
  #manualArm: boolean | null = null;
  #armed = true;
  #armedMinute = -1;
  #times: number[] = [];
  #ptzMoving = false;
  /** The detector has left its initial calibration since the last start(). */
  #learnt = false;
  #dayNight: ProfileName = 'day';

  constructor(deps: VideoAnalyzerDeps) {
    this.#deps = deps;
    this.#config = deps.config;
  }

  on<K extends keyof VideoAnalyzerEvents>(name: K, listener: (payload: VideoAnalyzerEvents[K]) => void): () => void {
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }

  async start(): Promise<void> {
    if (this.#detector !== null) return;
    this.#learnt = false;
    const detector = new MotionDetector(this.#config);
    detector.setPtzMoving(this.#ptzMoving);
    detector.setDayNight(this.#dayNight);
    this.#detector = detector;
    const { frames } = this.#deps;
    this.#unsubscribe = [
      frames.on('frame', (f) => this.#onFrame(f)),
      frames.on('health', (h) => {
        if (h.state === 'down') this.#flush();
      }),
    ];
  }

  async stop(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#flush();
    this.#detector = null;
  }

  /** Live reconfiguration (config.changed): motion knobs need no restart. */
  configure(config: MotionConfig): void {
    this.#config = config;
    this.#armedMinute = -1;
    this.#detector?.configure(config);
  }

  /** From the PTZ adapter: true while motors move. */
  setPtzMoving(moving: boolean): void {
    this.#ptzMoving = moving;
    this.#detector?.setPtzMoving(moving);
  }

  /** From the IR-cut / ISP day-night state; used when motion.profile.mode is 'external'. */
  setDayNight(profile: ProfileName): void {
    this.#dayNight = profile;
    this.#detector?.setDayNight(profile);
  }

  /** User arm/disarm (app, cloud); null returns to the schedule. */
  setManualArm(armed: boolean | null): void {
    this.#manualArm = armed;
    this.#armedMinute = -1;
  }

  stats(): VideoAnalyzerStats | null {
    const d = this.#detector;
    if (d === null) return null;
    const sorted = [...this.#times].sort((a, b) => a - b);
    return {
      ...d.stats(),
      armed: this.#armed,
      frameMs: { median: sorted[sorted.length >> 1] ?? 0, max: sorted[sorted.length - 1] ?? 0 },
    };
  }

  #onFrame(frame: FrameSourceEvents['frame']): void {
    const d = this.#detector;
    if (d === null) return;
    d.setArmed(this.#isArmed());
    const t0 = performance.now();
    const result = d.process({ data: frame.data, width: frame.width, height: frame.height, t: frame.ptsMs });
    this.#times.push(performance.now() - t0);
    if (this.#times.length > 100) this.#times.shift();
    if (result.sceneChange) this.#deps.logger.debug({ t: result.t }, 'motion: scene change, background re-learnt');
    if (!this.#learnt && result.suppressed !== 'calibrating') {
      // Once per start: technicians and tests wait for this instead of guessing how long learning takes.
      this.#learnt = true;
      this.#deps.logger.info({ suppressed: result.suppressed }, 'motion: background learnt');
    }
    for (const e of result.events) this.#publish(e);
  }

  /** The schedule is evaluated once per wall-clock minute; it has minute resolution. */
  #isArmed(): boolean {
    const now = this.#deps.clock.now();
    const minute = Math.floor(now / 60_000);
    if (minute !== this.#armedMinute) {
      this.#armedMinute = minute;
      const armed = this.#manualArm ?? isArmedAt(this.#config.schedule, now);
      if (armed !== this.#armed) this.#deps.logger.info({ armed }, armed ? 'motion detection armed' : 'motion detection disarmed');
      this.#armed = armed;
    }
    return this.#armed;
  }

  #flush(): void {
    const d = this.#detector;
    if (d === null) return;
    const e = d.flush(this.#deps.clock.monotonic());
    if (e !== null) this.#publish(e);
  }

  #publish(e: MotionEvent): void {
    // Frame time is monotonic; convert to wall time at publication (frames are processed as they arrive).
    const at = this.#deps.clock.now() - (this.#deps.clock.monotonic() - e.t);
    this.#deps.logger.info({ type: e.type, score: e.score, zones: e.zones }, `motion ${e.type}`);
    this.#events.emit('motion', { ...e, at });
  }
}
