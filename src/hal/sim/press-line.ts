/**
 * The line format of the simulator's button file: `press <ms>`, one
 * simulated press per line. Pure parser; blank lines and `#` comments are
 * allowed so a developer can keep a scratch file of scenarios.
 */

/** Long enough to exercise the stuck-button path (> 60 s) on purpose. */
export const MAX_SIMULATED_PRESS_MS = 600_000;

export type PressLine =
  | { kind: 'press'; ms: number }
  | { kind: 'blank' }
  | { kind: 'malformed'; reason: string };

export function parsePressLine(line: string): PressLine {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { kind: 'blank' };
  const m = /^press\s+(\d+)$/i.exec(text);
  if (!m?.[1]) return { kind: 'malformed', reason: 'expected "press <ms>"' };
  const ms = Number(m[1]);
  const invalid = pressDurationProblem(ms);
  return invalid ? { kind: 'malformed', reason: invalid } : { kind: 'press', ms };
}

/** Why a press duration cannot be simulated, or null when it can. */
export function pressDurationProblem(ms: number): string | null {
  if (!Number.isInteger(ms) || ms <= 0) return 'duration must be a positive whole number of ms';
  if (ms > MAX_SIMULATED_PRESS_MS) return `duration must be at most ${MAX_SIMULATED_PRESS_MS} ms`;
  return null;
}
