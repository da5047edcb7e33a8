/**
 * `npm run soak -- talkback [--minutes N]`: one real-time talkback session
 * held for N minutes (default 10) on the compiled agent and the real ALSA
 * path (PulseAudio null sink consuming like a DAC, test/helpers/alsa-rig.ts),
 * the app sending a looped utterance as µ-law frames with a little network
 * jitter; samples the agent's RSS every minute, and its jitter buffer and
 * output queue (from its own stats at the end), and fails when anything grows.
 */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { parseCodecSpec } from '../../src/talkback/codec.js';
import { encodeTalk, frameTalk, utteranceWav } from '../../test/helpers/talk-audio.js';
import { talkbackRig, waitOnline } from '../../test/helpers/talkback-rig.js';
import { encodeTalkFrame } from '../../src/talkback/talk-frame.js';
import { mulberry32 } from '../../src/core/seeded-random.js';

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function soakTalkback(minutes: number): Promise<boolean> {
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void cleanups.push(fn), comment: () => undefined } as unknown as Test;
  try {
    const r = await talkbackRig(t, { talkback: { maxSessionS: 3600 } });
    const d = r.start();
    await waitOnline(r);
    const spec = parseCodecSpec({ name: 'pcmu' });
    if (!spec.ok) throw new Error(spec.message);
    const talk = await encodeTalk(r.dir, await utteranceWav(r.dir), spec.spec);
    // Whole 20 ms frames only: the utterance's short last frame would count as a loss at every loop.
    const utterance = frameTalk(talk).filter((f) => f.bytes.length === 12 + 160);
    const { peer } = await r.startSession('soak-talkback-0001', { name: 'pcmu' });
    if (!peer) throw new Error('talkback.start failed');
    const pid = d.child.pid ?? 0;
    const random = mulberry32(0x50a4);
    const total = Math.round((minutes * 60_000) / 20);
    const samples: Array<{ minute: number; rssMb: number }> = [];
    const start = performance.now();
    for (let k = 0; k < total; k++) {
      // Up to 15 ms of network jitter on each frame; the utterance loops with running seq/timestamps.
      const due = start + k * 20 + random() * 15;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const source = utterance[k % utterance.length];
      if (!source) continue;
      const payload = source.bytes.subarray(12);
      peer.send(encodeTalkFrame({ type: 'audio', codec: 'pcmu', seq: k, timestamp: k * 160, marker: k === 0, payload }));
      if (k % 3000 === 2999) {
        const minute = (k + 1) / 3000;
        samples.push({ minute, rssMb: rssMb(pid) });
        process.stdout.write(`soak talkback: minute ${minute}: agent RSS ${rssMb(pid).toFixed(1)} MB\n`);
      }
    }
    await r.request('talkback.stop', { sessionId: 'soak-talkback-0001' });
    const ended = await r.waitForEvent((e) => e.sessionId === 'soak-talkback-0001' && e.state === 'ended', 'ended', 30_000);
    const line = d
      .stdout()
      .split('\n')
      .filter((l) => l.includes('talkback session ended'))
      .map((l) => JSON.parse(l) as { downlink: Record<string, number> })
      .pop();
    const stats = line?.downlink ?? {};
    process.stdout.write(
      `soak talkback: ${minutes} min, ${ended.stats.framesIn} frames in; jitter buffer high-water ${stats.maxBufferedMs} ms, output queue high-water ${stats.maxOutputQueuedMs} ms, ` +
        `lost ${ended.stats.lost}, late ${ended.stats.late}, output drops ${ended.stats.outputDrops}, latency p95 ${ended.stats.latencyP95Ms} ms\n`,
    );
    const warm = samples.find((s) => s.minute >= 2)?.rssMb ?? samples[0]?.rssMb ?? 0;
    const last = samples.at(-1)?.rssMb ?? warm;
    const ok = (stats.maxBufferedMs ?? Infinity) <= 320 && (stats.maxOutputQueuedMs ?? Infinity) <= 260 && last - warm <= 5;
    process.stdout.write(`soak talkback: RSS ${warm.toFixed(1)} MB after warm-up → ${last.toFixed(1)} MB at the end; ${ok ? 'PASS' : 'FAIL'}\n`);
    d.child.kill('SIGTERM');
    await d.exited;
    return ok;
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}
