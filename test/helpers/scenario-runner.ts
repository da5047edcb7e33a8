/**
 * Runs scenario clips (scripts/make-scenarios.ts) through `motion analyze`
 * in-process: real ffmpeg, the real CLI code path, parsed output lines.
 * Clips are built once into a cache folder in the temp dir; their names
 * carry a hash of the recipe, so a changed scenario is rebuilt, never stale.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motionCommand } from '../../src/cli/motion-command.js';
import { ensureClip, entryFrame, variants, type Scenario } from '../../scripts/make-scenarios.js';

export const scenarioCacheDir = join(tmpdir(), 'camera-agent-motion-scenarios');

export interface AnalyzeOutput {
  code: number;
  events: Array<{ event: 'start' | 'end'; t: number; zones: string[]; score: number; reason?: string }>;
  summary: { frames: number; seconds: number; events: number; starts: number; sceneChanges: number; elapsedMs: number; fps: number; size: string } | null;
  err: string[];
}

/** `camera-agent motion analyze` over `input` with extra args; returns the parsed output. */
export async function analyze(input: string, args: string[] = []): Promise<AnalyzeOutput> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await motionCommand(['analyze', input, ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  const parsed = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    code,
    events: parsed.filter((p) => 'event' in p) as AnalyzeOutput['events'],
    summary: (parsed.find((p) => 'summary' in p)?.summary ?? null) as AnalyzeOutput['summary'],
    err,
  };
}

export interface ScenarioRun extends AnalyzeOutput {
  /** Analysis frame of each start event. */
  startFrames: number[];
  /** First analysis frame showing the mover, or null. */
  entry: number | null;
}

/** Builds (or reuses) the clip and analyses it with the scenario's motion config at `fps`. */
export async function runScenario(scenario: Scenario, variantName = 'h264-mp4', extraArgs: string[] = [], fps = 5): Promise<ScenarioRun> {
  const variant = variants[variantName];
  if (!variant) throw new Error(`no variant ${variantName}`);
  const clip = await ensureClip(scenarioCacheDir, scenario, variant);
  const configPath = join(scenarioCacheDir, `${scenario.name}.${variantName}.${process.pid}.config.json`);
  await writeFile(configPath, JSON.stringify({ motion: scenario.motion ?? {} }));
  const result = await analyze(clip, ['--config', configPath, '--fps', String(fps), ...extraArgs]);
  return {
    ...result,
    startFrames: result.events.filter((e) => e.event === 'start').map((e) => Math.round(e.t * fps)),
    entry: entryFrame(scenario, fps),
  };
}
