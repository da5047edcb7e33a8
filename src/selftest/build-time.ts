/** Set by the bundler (scripts/build.mjs) as an ISO 8601 time; absent when running from source. */
declare const AGENT_BUILD_TIME: string | undefined;

/**
 * Running from source has no build stamp; this floor is when the clock check
 * was written. It still catches what the check is for: a reset RTC reads
 * 1970 or 2000.
 */
const SOURCE_FLOOR_MS = Date.UTC(2026, 0, 1);

/** The earliest wall-clock time at which this firmware can be running. */
export function agentBuildTimeMs(): number {
  if (typeof AGENT_BUILD_TIME === 'string') {
    const ms = Date.parse(AGENT_BUILD_TIME);
    if (Number.isFinite(ms)) return ms;
  }
  return SOURCE_FLOOR_MS;
}
