// Benchmark: the alarm-snapshot sharp pipeline (resize, two privacy masks,
// time overlay strip, JPEG) against a bare sharp resize+encode of the same
// 1080p frame; the whole processor call (plus the thumbnail and the
// metadata check); RSS during a burst of 20 snapshots.
//
// The snapshot's own time comes from the processor's timing hook, so the
// goal is measured on exactly what the agent runs, not on a re-creation.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { configureSharpForLowMemory, SnapshotProcessor, SNAPSHOT_PROCESSOR_DEFAULTS } from '../../src/alarm/snapshot-processor.js';
import { testJpeg } from '../../test/helpers/snapshot-fixtures.js';
import { median, percentile, report } from './report.js';

const RUNS = 30;

export async function benchSnapshot(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-snapshot-'));
  try {
    const frame = await readFile(await testJpeg(dir, 1920, 1080));
    await configureSharpForLowMemory();
    const rssBefore = process.memoryUsage().rss;
    const processor = new SnapshotProcessor({
      logger: pino({ level: 'silent' }),
      config: () => ({
        ...SNAPSHOT_PROCESSOR_DEFAULTS,
        masks: [
          { name: 'window', points: [[0.1, 0.1], [0.3, 0.1], [0.3, 0.4], [0.1, 0.4]] },
          { name: 'garden', points: [[0.6, 0.5], [0.9, 0.6], [0.7, 0.9]] },
        ],
        overlay: { enabled: true, position: 'bottom-left', deviceName: 'Front door', timeZone: 'Europe/Berlin' },
      }),
    });
    await processor.start();
    const input = { kind: 'encoded' as const, bytes: frame, source: 'onvif' as const, lowRes: false };

    // Warm-up: first calls load libvips modules and JIT the JS parts.
    for (let i = 0; i < 3; i++) {
      await sharp(frame).resize(1280).jpeg({ quality: 80 }).toBuffer();
      await processor.process(input, Date.now());
    }
    // Interleaved, so machine noise hits both the same way.
    const bare: number[] = [];
    const snapshot: number[] = [];
    const thumb: number[] = [];
    const call: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      await sharp(frame).resize(1280).jpeg({ quality: 80 }).toBuffer();
      bare.push(performance.now() - t0);
      t0 = performance.now();
      const r = await processor.process(input, Date.now());
      call.push(performance.now() - t0);
      if (!r.ok) throw new Error(r.error.message);
      snapshot.push(r.value.timing.snapshotMs);
      thumb.push(r.value.timing.thumbnailMs);
    }
    const kb = frame.length / 1024;
    report(`snapshot: bare sharp 1080p → 1280×720 JPEG q80 (median of ${RUNS})`, median(bare), 'ms', { p95: percentile(bare, 95), input: `${kb.toFixed(0)} KB` });
    report(`snapshot: pipeline 1080p → 1280×720 + 2 masks + time/name strip (median of ${RUNS})`, median(snapshot), 'ms', { p95: percentile(snapshot, 95) });
    report('snapshot: pipeline / bare', median(snapshot) / median(bare), '×', { goal: '≤ 1.3×' });
    report(`snapshot: + 320 px thumbnail from the snapshot (median of ${RUNS})`, median(thumb), 'ms', { p95: percentile(thumb, 95) });
    report(`snapshot: whole processor call, snapshot + thumbnail + checks (median of ${RUNS})`, median(call), 'ms', { p95: percentile(call, 95), 'vs bare': `${(median(call) / median(bare)).toFixed(2)}×` });

    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = performance.now();
    // 20 alarms at once: the processor queues them, one image in memory at a time.
    const results = await Promise.all(Array.from({ length: 20 }, () => processor.process(input, Date.now())));
    const burstMs = performance.now() - t0;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (results.some((r) => !r.ok)) throw new Error('burst snapshot failed');
    report('snapshot: burst of 20, total', burstMs, 'ms', { each: burstMs / 20 });
    report('snapshot: RSS peak during the burst', peak / 1048576, 'MB', { 'before sharp': `${(rssBefore / 1048576).toFixed(1)} MB`, after: `${(process.memoryUsage().rss / 1048576).toFixed(1)} MB` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSnapshot();
