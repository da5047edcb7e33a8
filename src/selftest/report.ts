import type { Measured, SelfTestCode } from './check.js';

/** One line of the self-test report. */
export interface CheckResult {
  id: string;
  proves: string;
  pass: boolean;
  measured: Measured;
  limit: string;
  durationMs: number;
  /** Set exactly when pass is false. */
  code: SelfTestCode | null;
  detail: string | null;
}

export interface SelfTestReport {
  /** Bumped when a field changes meaning; stations parse this JSON. */
  formatVersion: 1;
  verdict: 'pass' | 'fail';
  /** ISO 8601 wall-clock time the run started (as the board's clock says). */
  startedAt: string;
  durationMs: number;
  checks: CheckResult[];
}

export function verdictOf(checks: readonly CheckResult[]): 'pass' | 'fail' {
  return checks.length > 0 && checks.every((c) => c.pass) ? 'pass' : 'fail';
}

/** Machine-readable report: one JSON document. */
export function formatJsonReport(report: SelfTestReport): string {
  return JSON.stringify(report, null, 2);
}

/** A table for the operator's terminal, one row per check, and the verdict last. */
export function formatHumanReport(report: SelfTestReport): string[] {
  const header = ['CHECK', 'RESULT', 'MEASURED', 'LIMIT', 'TIME'];
  const rows = report.checks.map((c) => [c.id, c.pass ? 'PASS' : 'FAIL', showMeasured(c.measured), c.limit, `${(c.durationMs / 1000).toFixed(1)} s`]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]): string => cells.map((v, i) => v + ' '.repeat(widths[i]! - [...v].length)).join('  ').trimEnd();
  const lines = [line(header)];
  report.checks.forEach((c, i) => {
    lines.push(line(rows[i]!));
    if (!c.pass) lines.push(`  -> ${c.code}${c.detail ? `: ${c.detail}` : ''}`);
  });
  const failed = report.checks.filter((c) => !c.pass);
  lines.push('');
  lines.push(
    report.verdict === 'pass'
      ? `VERDICT: PASS (${report.checks.length} of ${report.checks.length} checks passed in ${(report.durationMs / 1000).toFixed(1)} s)`
      : `VERDICT: FAIL (${failed.length} of ${report.checks.length} checks failed: ${failed.map((c) => c.id).join(', ') || 'no checks ran'})`,
  );
  return lines;
}

function showMeasured(m: Measured): string {
  if (m === null) return '-';
  if (typeof m === 'number') return Number.isInteger(m) ? String(m) : m.toFixed(1);
  return m;
}
