/**
 * The full fault-injection and fuzz runs: the same test files `npm test`
 * runs in their short form, with CAMERA_AGENT_FULL_RUN=1 and no per-file
 * timeout (a full run takes as long as its kills and cases take). The glob is
 * expanded here so a group with no files yet is skipped with a message
 * instead of tap failing on a pattern that matches nothing.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../test/helpers/daemon.js';

export const SUITE_GROUPS = { faults: 'test/resilience/faults', fuzz: 'test/resilience/fuzz' } as const;
export type SuiteGroup = keyof typeof SUITE_GROUPS;

function testFiles(dir: string): string[] {
  try {
    return readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.test.ts'))
      .sort()
      .map((f) => `${dir}/${f}`);
  } catch {
    return [];
  }
}

/** Runs the groups' files in one tap run; resolves with its exit code (0 when there was nothing to run). */
export async function runSuites(groups: SuiteGroup[]): Promise<number> {
  const files: string[] = [];
  for (const g of groups) {
    const found = testFiles(SUITE_GROUPS[g]);
    if (found.length === 0) process.stdout.write(`soak: no ${SUITE_GROUPS[g]}/*.test.ts yet, skipping the ${g} group\n`);
    files.push(...found);
  }
  if (files.length === 0) return 0;
  // As scripts/run-tests: after `npm ci` tap's compiled plugin list is its default again (with the
  // ts-node plugin that breaks on TypeScript 7); rebuild it from .taprc first.
  const built = await run(['tap', 'build'], 'ignore');
  if (built !== 0) return built;
  process.stdout.write(`soak: CAMERA_AGENT_FULL_RUN=1 npx tap --timeout 0 ${files.join(' ')}\n`);
  return run(['tap', '--timeout', '0', ...files], 'inherit');
}

function run(args: string[], stdout: 'inherit' | 'ignore'): Promise<number> {
  const child = spawn('npx', args, { cwd: ROOT, stdio: ['ignore', stdout, 'inherit'], env: { ...process.env, CAMERA_AGENT_FULL_RUN: '1' } });
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
