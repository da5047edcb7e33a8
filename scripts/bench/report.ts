/** One line per figure, so `npm run bench` output is easy to read and to paste into a note. */
export function report(what: string, value: number, unit: string, extra: Record<string, string | number> = {}): void {
  const rest = Object.entries(extra)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? round(v) : v}`)
    .join(', ');
  process.stdout.write(`${what}: ${unit === '×' ? value.toFixed(2) : round(value)} ${unit}${rest ? `  (${rest})` : ''}\n`);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}
