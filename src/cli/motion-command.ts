/**
 * `camera-agent motion analyze VIDEO …`: runs the agent's motion pipeline
 * over a video file as fast as it can and prints one JSON line per event
 * and a summary line. For tuning zones and thresholds on a recorded clip,
 * and for support ("why did it alarm at 14:02?").
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createGrayFrameSpawner } from '../media/ffmpeg.js';
import { MediaError } from '../media/media-error.js';
import { motionSettingsFromAgentConfig, analysisDefaults, type AnalysisSize } from '../media/motion/agent-config.js';
import { defaultMotionConfig, type MotionConfig } from '../media/motion/motion-config.js';
import type { MotionEvent } from '../media/motion/motion-detector.js';
import { analyzeVideoFile } from '../media/video-analyzer-offline.js';

export interface MotionIo {
  out(line: string): void;
  err(line: string): void;
}

export const MOTION_USAGE = `Usage: camera-agent motion analyze VIDEO [--config FILE] [--debug-dir DIR]
                                      [--fps N] [--width W --height H]

Runs the motion detector over VIDEO (any file or URL ffmpeg reads), decoding
as fast as the CPU allows, and prints one JSON line per event:
  {"event":"start","t":12.4,"zones":["door"],"score":1.73}
  {"event":"end","t":44.6,"zones":["door"],"score":3.1,"duration":2.2,"reason":"quiet"}
t is in seconds of video time; score is the changed area in percent of the
frame (the event's peak for "end"). An event still open at the end of the
video ends with reason "flush". The last line is a summary:
  {"summary":{"frames":…,"seconds":…,"events":…,"starts":…,"sceneChanges":…,
              "elapsedMs":…,"fps":…,"size":"160x90"}}
(fps: frames analysed per second of wall time.)

Options:
  --config FILE     an agent configuration JSON: motion.*, video.analysis.* and
                    device.timezone are read from it (docs/motion.md)
  --debug-dir DIR   write an annotated PNG per analysed frame (red: changed,
                    blue: masked, green: zone outlines)
  --fps N           analysis frames per second (default: config, else 5)
  --width W --height H   analysis size (default: config, else 320×180)

The arm/disarm schedule is not applied: a file has no wall-clock time.
Exit codes: 0 ok, 1 the video could not be read, 2 invalid usage or configuration.`;

export async function motionCommand(argv: string[], io: MotionIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(MOTION_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'analyze') return usage(io, `unknown motion command: ${sub}`);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string' },
        'debug-dir': { type: 'string' },
        fps: { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage(io, (err as Error).message);
  }
  if (values.help) {
    io.out(MOTION_USAGE);
    return 0;
  }
  if (positionals.length !== 1) return usage(io, 'motion analyze takes exactly one VIDEO');
  const input = positionals[0]!;

  let motion: MotionConfig = defaultMotionConfig();
  let analysis: AnalysisSize = { ...analysisDefaults };
  if (typeof values.config === 'string') {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(values.config, 'utf8'));
    } catch (err) {
      io.err(`camera-agent: cannot read configuration ${values.config}: ${(err as Error).message}`);
      return 2;
    }
    const settings = motionSettingsFromAgentConfig(doc);
    if (!settings.ok) {
      for (const i of settings.issues) io.err(`camera-agent: ${values.config}: ${i.key}: ${i.message}`);
      return 2;
    }
    motion = settings.motion;
    analysis = settings.analysis;
  }
  const flags = { fps: [1, 30], width: [16, 1920], height: [16, 1080] } as const;
  for (const key of ['fps', 'width', 'height'] as const) {
    const raw = values[key];
    if (typeof raw !== 'string') continue;
    const v = Number(raw);
    const [min, max] = flags[key];
    if (!Number.isInteger(v) || v < min || v > max) return usage(io, `--${key} must be an integer in ${min}–${max}`);
    analysis[key] = v;
  }
  if ((values.width === undefined) !== (values.height === undefined)) return usage(io, '--width and --height go together');

  const debugDir = values['debug-dir'];
  const debug = typeof debugDir === 'string' ? new (await import('../media/motion-debug-frames.js')).MotionDebugFrames(debugDir) : null;
  const result = await analyzeVideoFile({
    input,
    ...analysis,
    config: motion,
    spawnGrayFrames: createGrayFrameSpawner({ logger: pino({ level: 'silent' }) }),
    onEvent: (e) => io.out(JSON.stringify(eventLine(e))),
    onFrame: debug
      ? (index, frameResult, detector) => {
          const view = detector.debugView();
          if (view) debug.add(index, frameResult, view);
        }
      : undefined,
  });
  if (result instanceof MediaError) {
    io.err(`camera-agent: motion analyze: ${result.message} (${result.code})`);
    return 1;
  }
  if (debug) {
    try {
      await debug.finish();
    } catch (err) {
      io.err(`camera-agent: cannot write debug frames to ${String(debugDir)}: ${(err as Error).message}`);
      return 1;
    }
  }
  io.out(JSON.stringify({ summary: result.summary }));
  return 0;
}

/** The printed form of an event: seconds, not milliseconds. */
export function eventLine(e: MotionEvent): Record<string, unknown> {
  const t = round(e.t / 1000, 3);
  if (e.type === 'start') return { event: 'start', t, zones: e.zones, score: e.score };
  return { event: 'end', t, zones: e.zones, score: e.score, duration: round(e.durationMs / 1000, 3), reason: e.reason };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function usage(io: MotionIo, message: string): number {
  io.err(`camera-agent: ${message}\nRun 'camera-agent motion --help' for usage.`);
  return 2;
}
