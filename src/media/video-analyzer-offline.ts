/**
 * Offline analysis: a video file through the same ffmpeg → gray frames →
 * MotionDetector pipeline as the live agent, decoded as fast as the CPU
 * allows. Frame times are video time, derived from the frame index: the
 * fps filter makes ffmpeg's output constant-rate, frame k is at k/fps s.
 */
import { FrameAssembler } from './frame-assembler.js';
import type { SpawnGrayFrames } from './ffmpeg.js';
import { MediaError } from './media-error.js';
import type { MotionConfig } from './motion/motion-config.js';
import { MotionDetector, type MotionEvent, type MotionFrameResult } from './motion/motion-detector.js';

export interface OfflineAnalysisOptions {
  input: string;
  width: number;
  height: number;
  fps: number;
  config: MotionConfig;
  spawnGrayFrames: SpawnGrayFrames;
  /** Each event as it happens (in video order). */
  onEvent?: (event: MotionEvent) => void;
  /** After each frame; the detector's debugView() is valid until this returns. */
  onFrame?: (index: number, result: MotionFrameResult, detector: MotionDetector) => void;
}

export interface OfflineSummary {
  frames: number;
  /** Video seconds analysed (frames / analysis fps). */
  seconds: number;
  /** Start and end events. */
  events: number;
  starts: number;
  sceneChanges: number;
  /** Wall time from spawning ffmpeg to its exit. */
  elapsedMs: number;
  /** Frames analysed per wall-clock second (decode included). */
  fps: number;
  /** The detector's working size, e.g. "160x90". */
  size: string;
}

export interface OfflineResult {
  events: MotionEvent[];
  summary: OfflineSummary;
}

/** Resolves with the events and summary, or with a MediaError (never rejects for ffmpeg failures). */
export async function analyzeVideoFile(opts: OfflineAnalysisOptions): Promise<OfflineResult | MediaError> {
  const started = performance.now();
  const detector = new MotionDetector(opts.config);
  const events: MotionEvent[] = [];
  const assembler = new FrameAssembler(opts.width * opts.height);
  const emit = (e: MotionEvent): void => {
    events.push(e);
    opts.onEvent?.(e);
  };
  let index = 0;
  let failure: Error | null = null;
  const proc = opts.spawnGrayFrames({
    input: opts.input,
    loop: false,
    realtime: false,
    width: opts.width,
    height: opts.height,
    fps: opts.fps,
    socketTimeoutMs: 10_000,
  });
  proc.onData((chunk) => {
    if (failure !== null) return;
    try {
      for (const data of assembler.push(chunk)) {
        const result = detector.process({ data, width: opts.width, height: opts.height, t: (index * 1000) / opts.fps });
        for (const e of result.events) emit(e);
        opts.onFrame?.(index, result, detector);
        index++;
      }
    } catch (err) {
      // A throwing callback must not leave ffmpeg running.
      failure = err as Error;
      proc.kill('SIGTERM');
    }
  });
  const exit = await proc.exited;
  if (failure !== null) throw failure;
  if (exit.error !== null) return exit.error;
  if (index === 0) return new MediaError('ffmpeg_exited', 'ffmpeg produced no frames: not a video, or an empty one');
  const last = ((index - 1) * 1000) / opts.fps;
  const open = detector.flush(last);
  if (open !== null) emit(open);
  const elapsedMs = performance.now() - started;
  const stats = detector.stats();
  return {
    events,
    summary: {
      frames: index,
      seconds: index / opts.fps,
      events: events.length,
      starts: events.filter((e) => e.type === 'start').length,
      sceneChanges: stats.sceneChanges,
      elapsedMs: Math.round(elapsedMs),
      fps: Math.round((index / elapsedMs) * 1000 * 10) / 10,
      size: stats.size ? `${stats.size.width}x${stats.size.height}` : '',
    },
  };
}
