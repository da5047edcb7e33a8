/**
 * Talkback with the compiled daemon on the real ALSA path (ALSA file PCM in
 * front of a PulseAudio null sink that consumes in real time, like a DAC):
 *   - added downlink latency, frame arrival → its samples handed to ALSA,
 *     p50/p95 as the agent measures it per frame (goal p95 ≤ 80 ms, with
 *     the default 60 ms jitter buffer inside that figure);
 *   - CPU of a whole session (agent + ffmpeg decoder/encoder + aplay +
 *     arecord), G.711 µ-law and Opus 48 kHz, full duplex (speaker and
 *     microphone both running), as % of one core.
 * `npm run build` first (npm run bench does it).
 */
import { readFileSync } from 'node:fs';
import type { Test } from 'tap';
import { parseCodecSpec } from '../../src/talkback/codec.js';
import { encodeTalkFrame } from '../../src/talkback/talk-frame.js';
import { childPids } from '../../test/helpers/daemon.js';
import { encodeTalk, frameTalk, sendPaced, utteranceWav } from '../../test/helpers/talk-audio.js';
import { talkbackRig, waitOnline } from '../../test/helpers/talkback-rig.js';
import { toneSamples } from '../../src/hal/linux/aplay-tone.js';
import { report } from './report.js';

const ROUNDS = Number(process.env.BENCH_TALK_ROUNDS ?? 2);
const TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process, in clock ticks; 0 once it is gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU of the daemon and of every child it has while the session runs:
 * sampled every 100 ms, per pid, so children that exit at the session's end
 * still count with their last sample.
 */
function cpuMeter(root: number): { stop(): number } {
  const last = new Map<number, number>();
  const first = new Map<number, number>();
  const sample = (): void => {
    for (const pid of [root, ...childPids(root)]) {
      const ticks = cpuTicks(pid);
      if (!first.has(pid)) first.set(pid, pid === root ? ticks : 0);
      if (ticks > 0) last.set(pid, ticks);
    }
  };
  sample();
  const start = performance.now();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      sample();
      clearInterval(timer);
      let used = 0;
      for (const [pid, ticks] of last) used += ticks - (first.get(pid) ?? 0);
      const wallS = (performance.now() - start) / 1000;
      return (100 * used) / TICKS / wallS;
    },
  };
}

export async function benchTalkback(): Promise<void> {
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void cleanups.push(fn), comment: () => undefined } as unknown as Test;
  try {
    const tone = toneSamples(440, 10_000, 48000);
    const r = await talkbackRig(t, { micInput: Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength), micRate: 48000, talkback: { duplex: 'full' } });
    const wav = await utteranceWav(r.dir);
    const d = r.start();
    await waitOnline(r);
    for (const codec of [{ name: 'pcmu' }, { name: 'opus', sampleRate: 48000 }] as const) {
      const parsed = parseCodecSpec(codec);
      if (!parsed.ok) throw new Error(parsed.message);
      const talk = await encodeTalk(r.dir, wav, parsed.spec);
      const frames = frameTalk(talk);
      const latencies: number[] = [];
      const p95s: number[] = [];
      const cpu: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const sessionId = `bench-${codec.name}-${round}-0000`;
        const { peer } = await r.startSession(sessionId, codec);
        if (!peer) throw new Error('talkback.start failed');
        const meter = cpuMeter(d.child.pid ?? 0);
        await sendPaced((b) => peer.send(b), frames, parsed.spec.clockRate);
        peer.send(encodeTalkFrame({ type: 'end', seq: 0, timestamp: 0 }));
        const usage = meter.stop();
        await r.request('talkback.stop', { sessionId });
        await r.waitForEvent((e) => e.sessionId === sessionId && e.state === 'ended', 'ended');
        // The agent's own per-frame figures, from its end-of-session log line.
        const log = d
          .stdout()
          .split('\n')
          .filter((l) => l.includes('talkback session ended') && l.includes(sessionId))
          .map((l) => JSON.parse(l) as { downlink: { latencyMs: { p50: number; p95: number; count: number } } })
          .pop();
        if (log) {
          latencies.push(log.downlink.latencyMs.p50);
          p95s.push(log.downlink.latencyMs.p95);
        }
        cpu.push(usage);
      }
      const label = codec.name === 'pcmu' ? 'G.711 µ-law 8 kHz' : 'Opus 48 kHz';
      report(`talkback ${label}: frame arrival → samples at ALSA, p50`, Math.max(...latencies), 'ms', { p95: Math.max(...p95s), sessions: ROUNDS, goal: 'p95 ≤ 80', jitterBuffer: '60 ms' });
      report(`talkback ${label}: CPU of a full-duplex session (agent + ffmpeg ×2 + aplay + arecord)`, cpu.reduce((a, b) => a + b, 0) / cpu.length, '% of a core', { max: Math.max(...cpu) });
    }
    d.child.kill('SIGTERM');
    await d.exited;
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}
