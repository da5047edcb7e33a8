import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import type { Test } from 'tap';

/**
 * The fuzz harness shared by test/resilience/fuzz/*.test.ts (issue 13 §2):
 * one fast-check run per target, with the properties every target shares
 * checked here rather than in each test:
 *
 * - the call never throws (an input-handling function answers bad input
 *   with its typed error result, a server with an error code);
 * - every rejection carries a code from the module's documented set
 *   (membership, not just presence);
 * - no unhandled promise rejection while the target runs;
 * - Object.prototype and Array.prototype are untouched afterwards
 *   (`__proto__` / `constructor.prototype` keys in the input);
 * - no single case takes longer than a generous ceiling: a guard against
 *   catastrophic regex backtracking, not a speed assertion (the machine
 *   runs seven test jobs at once).
 *
 * Scale: the short form (npm test) runs a few hundred cases per target with
 * a fixed seed, so a failure reproduces; the full form
 * (CAMERA_AGENT_FULL_RUN=1, `npm run soak -- fuzz`) runs ≥ 10,000 cases per
 * target with a random seed that is printed. CAMERA_AGENT_FUZZ_SEED pins
 * the seed of either form (to replay a full-run failure).
 */
export const FULL = process.env.CAMERA_AGENT_FULL_RUN === '1';
export const FULL_RUNS = 10_000;
/** Fixed seed of the short form. */
export const SHORT_SEED = 1_302_013;

function pickSeed(): number {
  const pinned = process.env.CAMERA_AGENT_FUZZ_SEED;
  if (pinned !== undefined && /^-?\d+$/.test(pinned)) return Number(pinned) | 0;
  return FULL ? (Math.random() * 2 ** 31) | 0 : SHORT_SEED;
}

/** What one case did, as the target reports it. */
export type Outcome = { accepted: true } | { rejected: string };

export const ACCEPTED: Outcome = { accepted: true };
export const rejected = (code: string): Outcome => ({ rejected: code });

export interface TargetOptions {
  /** Cases in the short form; the full form runs max(this, FULL_RUNS). */
  shortRuns: number;
  /** The documented error codes of the module: a rejection outside it fails the case. */
  codes: ReadonlySet<string>;
  /** Per-case ceiling in ms (default 1000; servers pass more). */
  ceilingMs?: number;
  /** fast-check's shrinking is worth little on a server call and costs minutes: cap the shrink path. */
  maxSkipsPerRun?: number;
}

export interface TargetFigures {
  name: string;
  cases: number;
  failures: number;
  accepted: number;
  byCode: Record<string, number>;
  seed: number;
}

function prototypeSnapshot(): Map<string, PropertyDescriptor | undefined> {
  const snap = new Map<string, PropertyDescriptor | undefined>();
  for (const [label, proto] of [
    ['Object', Object.prototype],
    ['Array', Array.prototype],
    ['Function', Function.prototype],
  ] as const) {
    for (const key of Reflect.ownKeys(proto)) snap.set(`${label}.${String(key)}`, Reflect.getOwnPropertyDescriptor(proto, key));
  }
  return snap;
}

function prototypeChanges(before: Map<string, PropertyDescriptor | undefined>): string[] {
  const after = prototypeSnapshot();
  const changed: string[] = [];
  for (const [key, d] of after) {
    const b = before.get(key);
    if (!b || b.value !== d?.value || b.get !== d?.get || b.set !== d?.set) changed.push(key);
  }
  for (const key of before.keys()) if (!after.has(key)) changed.push(`${key} (deleted)`);
  return changed;
}

/** Cheap per-case canary: an own key added to Object.prototype shows up on every `{}`. */
function polluted(): string | null {
  const probe: Record<string, unknown> = {};
  for (const key of ['admin', 'isAdmin', 'polluted', 'role', 'x', 'a', 'constructor_polluted']) {
    if (probe[key] !== undefined) return key;
  }
  return Object.keys(Object.prototype).length > 0 ? Object.keys(Object.prototype).join(',') : null;
}

/**
 * Runs `check` on `numRuns` inputs from `arb`. `check` returns the outcome
 * (accepted or the rejection code) and throws only when a target-specific
 * property (round trip, acceptance of a valid input) is broken; any other
 * throw from the target is a failure too, since the target itself must not throw.
 */
export async function fuzzTarget<T>(
  t: Test,
  name: string,
  arb: fc.Arbitrary<T>,
  check: (input: T) => Outcome | Promise<Outcome>,
  opts: TargetOptions,
): Promise<TargetFigures> {
  const seed = pickSeed();
  const numRuns = FULL ? Math.max(opts.shortRuns, FULL_RUNS) : opts.shortRuns;
  const ceiling = opts.ceilingMs ?? 1000;
  const byCode = new Map<string, number>();
  let accepted = 0;
  let cases = 0;
  // Counts cover the run itself; the shrinking that follows a failure replays variants of one input.
  let failing = false;
  const unhandled: unknown[] = [];
  const trap = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', trap);
  const before = prototypeSnapshot();
  let details: fc.RunDetails<[T]>;
  try {
    details = await fc.check(
      fc.asyncProperty(arb, async (input) => {
        if (!failing) cases++;
        const started = performance.now();
        let outcome: Outcome;
        try {
          outcome = await check(input);
        } catch (err) {
          failing = true;
          throw err;
        }
        const took = performance.now() - started;
        const problem =
          took > ceiling
            ? `one case took ${Math.round(took)} ms (ceiling ${ceiling} ms): catastrophic backtracking or a hang?`
            : polluted() !== null
              ? `Object.prototype polluted (${polluted()})`
              : 'rejected' in outcome && !opts.codes.has(outcome.rejected)
                ? `rejection code ${JSON.stringify(outcome.rejected)} is not in the documented set`
                : null;
        if (problem) {
          failing = true;
          throw new Error(problem);
        }
        if (failing) return;
        if ('accepted' in outcome) accepted++;
        else byCode.set(outcome.rejected, (byCode.get(outcome.rejected) ?? 0) + 1);
      }),
      { seed, numRuns, ...(opts.maxSkipsPerRun !== undefined ? { maxSkipsPerRun: opts.maxSkipsPerRun } : {}) },
    );
    // A rejection nobody awaited surfaces after the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', trap);
  }
  const failures = details.failed ? 1 : 0;
  if (details.failed) t.fail(`fuzz ${name}: ${describeThrow(details.errorInstance)}\n${fc.defaultReportMessage(details)}`);
  else t.pass(`fuzz ${name}: ${cases} cases without a failure`);
  t.same(unhandled.map(String), [], `fuzz ${name}: no unhandled promise rejection`);
  t.same(prototypeChanges(before), [], `fuzz ${name}: Object/Array/Function prototypes untouched`);
  const figures: TargetFigures = { name, cases, failures, accepted, byCode: Object.fromEntries([...byCode].sort((a, b) => b[1] - a[1])), seed };
  const comment = `fuzz ${name}: ${cases} cases, ${failures} failures, accepted ${accepted}, rejections by code ${JSON.stringify(figures.byCode)}, seed ${seed}`;
  t.comment(comment);
  return figures;
}

/** Turns a thrown value into a failure message for a check that expected a result. */
export function describeThrow(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Fails the case with `message` unless `condition`. */
export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
