/**
 * QR provisioning end to end with the compiled daemon: a phone's code
 * appears in the RTSP camera stream (GStreamer still-picture server) →
 * the agent calls the Wi-Fi join (goal: median ≤ 1 s). The agent scans
 * at its defaults (1280×720, 4 decodes/s). Each appearance shows a new code
 * for a network out of range, so the join fails (ap_not_found) and the
 * agent scans again for the next one. `npm run build` first.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';
import { encodePrv1 } from '../../src/provisioning/payload/index.js';
import { provisioningRig } from '../../test/helpers/provisioning-rig.js';
import { renderEmptyScene, renderSceneAt } from '../../test/helpers/qr-scene.js';
import { startRtspStillServer } from '../../test/helpers/rtsp-still-server.js';
import { median, percentile, report } from './report.js';

const APPEARANCES = Number(process.env.BENCH_QR_APPEARANCES ?? 12);
const SIZE = { width: 1280, height: 720 };

export async function benchProvisioning(): Promise<void> {
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void cleanups.push(fn), comment: () => undefined } as unknown as Test;
  try {
    const r = await provisioningRig(t);
    const empty = join(r.dir, 'empty.gray');
    await writeFile(empty, (await renderEmptyScene(SIZE.width, SIZE.height, 7)).data);
    const codes: string[] = [];
    for (let i = 0; i < APPEARANCES; i++) {
      const text = encodePrv1({ ssid: `FarAway${i}`, auth: 'wpa', password: `bench password ${i}`, token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU' });
      if (!text.ok) throw new Error(text.error.message);
      const [frame] = await renderSceneAt(
        { width: SIZE.width, height: SIZE.height, codes: [{ kind: 'phone', text: text.value, qrPx: 150, at: [0.45 + (i % 3) * 0.05, 0.5], tiltDeg: 10, contrast: 0.7 }], blurSigma: 0.5, jpegQuality: 0, seed: 900 + i },
        [SIZE],
      );
      codes.push(join(r.dir, `code-${i}.gray`));
      await writeFile(codes[i]!, frame!.data);
    }
    const server = await startRtspStillServer(SIZE.width, SIZE.height, 10);
    cleanups.push(() => server.stop());
    const d = await r.start('unused', { config: { video: { input: server.url } } });
    const latencies: number[] = [];
    for (let i = 0; i < APPEARANCES; i++) {
      await d.waitForLogCount('qr scanner started', i + 1, 20_000);
      // The scanner's own stream is up (the analysis stream is the other one).
      await d.waitForLogCount('frame source up', i + 2, 20_000);
      await server.show(empty);
      await sleep(500 + ((i * 137) % 400));
      const shownPerf = await server.show(codes[i]!);
      const shownWall = Date.now() - (performance.now() - shownPerf);
      await d.waitForLogCount('joining Wi-Fi', i + 1, 10_000);
      const line = d
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"msg":"joining Wi-Fi"'))[i]!;
      latencies.push(Date.parse((JSON.parse(line) as { time: string }).time) - shownWall);
      await server.show(empty);
    }
    report(`provisioning: QR appears in the RTSP stream → Wi-Fi join called, median of ${APPEARANCES}`, median(latencies), 'ms', {
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
      scan: '1280×720 at 4/s',
      goal: 'median ≤ 1000',
    });
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchProvisioning();
