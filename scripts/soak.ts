/**
 * Long runs that do not belong in `npm test` (the script builds dist/ first;
 * everything runs the compiled agent):
 *
 * - `npm run soak` — the full fault-injection and fuzz suites:
 *   `CAMERA_AGENT_FULL_RUN=1 npx tap --timeout 0 test/resilience/faults/*.test.ts
 *   test/resilience/fuzz/*.test.ts`; `npm run soak -- faults` or `-- fuzz` runs
 *   one group (soak/suites.ts). tap's exit code is ours.
 * - `npm run soak -- --hours N` (or `--minutes N`, fractional allowed; `--out
 *   DIR` for samples.csv, summary.json and the agent's log; `--warmup-minutes
 *   M` to override the warm-up: 10 min, or a third of runs under 30 min) —
 *   the agent under mixed load:
 *   motion and alarms with snapshots, talkback sessions, local API traffic and
 *   cloud requests; samples RSS and fds (/proc) and heap and handles (its
 *   health telemetry) and fails on growth after the warm-up, a lost alarm, a
 *   failed request or session, or a restart (soak/mixed-soak.ts).
 * - `npm run soak -- talkback [--minutes N]` — one talkback session held for
 *   N minutes (default 10) on the real ALSA path (soak/talkback-soak.ts).
 *
 * Prints a final `soak: PASS` or `soak: FAIL <reasons>` (mixed soak) and exits
 * non-zero on failure.
 */
import { mixedSoak } from './soak/mixed-soak.js';
import { runSuites, type SuiteGroup } from './soak/suites.js';
import { soakTalkback } from './soak/talkback-soak.js';

const USAGE = 'usage: npm run soak -- [faults | fuzz]  |  --hours N | --minutes N [--out DIR] [--warmup-minutes M]  |  talkback [--minutes N]\n';
const args = process.argv.slice(2);
const VALUED = new Set(['--hours', '--minutes', '--out', '--warmup-minutes']);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !VALUED.has(args[i - 1] ?? ''));
const unknown = args.filter((a) => a.startsWith('--') && !VALUED.has(a));
const hours = option('--hours');
const minutes = option('--minutes');
const seconds = hours !== undefined ? Number(hours) * 3600 : minutes !== undefined ? Number(minutes) * 60 : undefined;
const usage = (): never => {
  process.stderr.write(USAGE);
  process.exit(2);
};
if (unknown.length || (seconds !== undefined && !(seconds > 0))) usage();

let code: number;
if (positional.includes('talkback')) {
  code = (await soakTalkback(seconds !== undefined ? seconds / 60 : 10)) ? 0 : 1;
} else if (seconds !== undefined) {
  if (positional.length) usage();
  const warmUp = option('--warmup-minutes');
  if (warmUp !== undefined && !(Number(warmUp) >= 0 && Number(warmUp) * 60 < seconds)) usage();
  code = (await mixedSoak({ seconds, ...(option('--out') ? { out: option('--out')! } : {}), ...(warmUp !== undefined ? { warmUpS: Number(warmUp) * 60 } : {}) })) ? 0 : 1;
} else {
  const groups = positional.length ? positional : ['faults', 'fuzz'];
  if (groups.some((g) => g !== 'faults' && g !== 'fuzz')) usage();
  code = await runSuites(groups as SuiteGroup[]);
}
process.exit(code);
