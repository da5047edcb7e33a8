// Benchmark: factory batch throughput (100 units, PNG + SVG labels, no CA)
// and the time of one `factory provision` (issue 3; goals ≥ 20 units/s, ≤ 300 ms).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factoryCommand } from '../../src/factory/factory-command.js';
import { median, report } from './report.js';

const quiet = { out: () => undefined, err: (line: string) => void process.stderr.write(`${line}\n`) };

export async function benchFactory(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-factory-'));
  try {
    // Warm-up: loads sharp, fontconfig and the SRP code once, as a station does at start.
    await factoryCommand(['provision', '--serial', 'WARM000001', '--model', 'CAM100', '--out', join(dir, 'warm')], quiet);
    const started = performance.now();
    const code = await factoryCommand(['batch', '--from', 'BN00000001', '--count', '100', '--model', 'CAM100', '--out', join(dir, 'batch')], quiet);
    const seconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`factory batch exited ${code}`);
    report('factory batch (100 units, PNG+SVG labels)', 100 / seconds, 'units/s', { goal: '>= 20' });
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      await factoryCommand(['provision', '--serial', `PV${String(i).padStart(6, '0')}`, '--model', 'CAM100', '--out', join(dir, `p${i}`)], quiet);
      times.push(performance.now() - t0);
    }
    report('factory provision (one unit, in-process)', median(times), 'ms', { goal: '<= 300', runs: times.length });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
