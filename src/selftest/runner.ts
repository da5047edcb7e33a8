import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { fail, type CheckContext, type CheckOutcome, type SelfTestCheck, type SelfTestCode } from './check.js';
import { verdictOf, type CheckResult, type SelfTestReport } from './report.js';

/** Each cleanup step gets this long; a stuck one is logged and skipped so the run still ends. */
const CLEANUP_STEP_TIMEOUT_MS = 5_000;

export interface RunnerDeps {
  clock: Clock;
  logger: Logger;
  /** Operator instructions; default: dropped. */
  prompt?: (line: string) => void;
}

/**
 * Runs checks one after another (they share the board: one tone, one LED)
 * and always returns a report. A check that throws fails with its error's
 * code (or check_crashed); one that outlives its timeout fails with
 * check_timeout and is abandoned. Either way its cleanup steps run before
 * the next check starts.
 */
export async function runSelfTest(checks: readonly SelfTestCheck[], deps: RunnerDeps): Promise<SelfTestReport> {
  const { clock } = deps;
  const startedAt = new Date(clock.now()).toISOString();
  const start = clock.monotonic();
  const results: CheckResult[] = [];
  for (const check of checks) results.push(await runOne(check, deps));
  return { formatVersion: 1, verdict: verdictOf(results), startedAt, durationMs: Math.round(clock.monotonic() - start), checks: results };
}

async function runOne(check: SelfTestCheck, deps: RunnerDeps): Promise<CheckResult> {
  const { clock, logger } = deps;
  const controller = new AbortController();
  const cleanups: (() => unknown)[] = [];
  const ctx: CheckContext = {
    clock,
    signal: controller.signal,
    onCleanup: (step) => void cleanups.push(step),
    prompt: (line) => deps.prompt?.(line),
  };
  const start = clock.monotonic();
  let outcome: CheckOutcome;
  let timer: { cancel(): void } | null = null;
  try {
    const timedOut = new Promise<CheckOutcome>((resolve) => {
      timer = clock.setTimeout(() => {
        controller.abort();
        resolve(fail('check_timeout', null, `no answer within ${check.timeoutMs} ms`));
      }, check.timeoutMs);
    });
    const running = Promise.resolve().then(() => check.run(ctx));
    // The abandoned run may still settle later; nobody is listening then.
    running.catch(() => undefined);
    outcome = await Promise.race([running, timedOut]);
  } catch (err) {
    outcome = fail(codeOf(err), null, messageOf(err));
  } finally {
    (timer as { cancel(): void } | null)?.cancel();
  }
  controller.abort();
  for (const step of cleanups.reverse()) await runCleanup(step, check.id, deps);
  const durationMs = Math.round(clock.monotonic() - start);
  const result: CheckResult = {
    id: check.id,
    proves: check.proves,
    pass: outcome.pass,
    measured: outcome.measured,
    limit: check.limit,
    durationMs,
    code: outcome.pass ? null : outcome.code,
    detail: outcome.detail ?? null,
  };
  logger.info({ check: check.id, pass: result.pass, code: result.code, durationMs }, 'self-test check done');
  return result;
}

async function runCleanup(step: () => unknown, id: string, deps: RunnerDeps): Promise<void> {
  let timer: { cancel(): void } | null = null;
  try {
    await Promise.race([
      Promise.resolve().then(step),
      new Promise((_, reject) => {
        timer = deps.clock.setTimeout(() => reject(new Error(`cleanup took over ${CLEANUP_STEP_TIMEOUT_MS} ms`)), CLEANUP_STEP_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    deps.logger.warn({ err, check: id }, 'self-test cleanup failed');
  } finally {
    (timer as { cancel(): void } | null)?.cancel();
  }
}

const KNOWN_PASSTHROUGH = new Set<string>(['radio_off', 'no_wifi_device', 'nmcli_missing', 'nm_not_running', 'scan_failed']);

function codeOf(err: unknown): SelfTestCode {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && KNOWN_PASSTHROUGH.has(code) ? (code as SelfTestCode) : 'check_crashed';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
