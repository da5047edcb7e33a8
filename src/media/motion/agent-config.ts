/**
 * The one place that maps the agent's configuration file onto the motion
 * pipeline: `motion.*` (see motion-config.ts), `video.analysis.*` and
 * `device.timezone`. Used by `motion analyze --config`, so a technician can
 * run a camera's own config.json over a recorded clip, and meant for the
 * agent's composition root once the schema carries the `motion.*` keys.
 */
import { readMotionConfig, type MotionConfig, type MotionConfigIssue } from './motion-config.js';

export interface AnalysisSize {
  width: number;
  height: number;
  fps: number;
}

/** The frame-source defaults (frame-source-config.ts) and the schema's video.analysis ranges. */
export const analysisDefaults: AnalysisSize = { width: 320, height: 180, fps: 5 };
const ranges = { width: [64, 1280], height: [48, 720], fps: [1, 30] } as const;

export type AgentMotionSettings =
  | { ok: true; motion: MotionConfig; analysis: AnalysisSize }
  | { ok: false; issues: MotionConfigIssue[] };

/** Reads the motion and analysis settings from a parsed agent configuration object. */
export function motionSettingsFromAgentConfig(doc: unknown): AgentMotionSettings {
  const root = isObject(doc) ? doc : {};
  if (!isObject(doc)) return { ok: false, issues: [issue('', 'the configuration must be a JSON object')] };
  const device = isObject(root.device) ? root.device : {};
  const timezone = typeof device.timezone === 'string' ? device.timezone : 'UTC';
  const motion = readMotionConfig(root.motion, timezone);
  const issues = motion.ok ? [] : [...motion.issues];
  const video = isObject(root.video) ? root.video : {};
  const given = isObject(video.analysis) ? video.analysis : {};
  const analysis = { ...analysisDefaults };
  for (const key of ['width', 'height', 'fps'] as const) {
    const v = given[key];
    if (v === undefined) continue;
    const [min, max] = ranges[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      issues.push(issue(`video.analysis.${key}`, `must be an integer in ${min}–${max}`));
    } else {
      analysis[key] = v;
    }
  }
  if (issues.length || !motion.ok) {
    return { ok: false, issues: issues.map((i) => (i.key.startsWith('video.') ? i : { ...i, key: i.key ? `motion.${i.key}` : 'motion' })) };
  }
  return { ok: true, motion: motion.config, analysis };
}

function issue(key: string, message: string): MotionConfigIssue {
  return { code: 'invalid_motion_config', key, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
