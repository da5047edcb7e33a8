/**
 * Motion benchmarks (issue 5):
 * 1. detector time per frame at 320×180 and 160×90 input, median over
 *    ≥ 1000 frames of a realistic moving scene (the decoded scenario clip);
 * 2. motion onset → detector event latency, in analysis frames and ms, from
 *    the scenario ground truth;
 * 3. whole-pipeline CPU on a 720p 25 fps H.264 stream analysed at 5 fps:
 *    ffmpeg's decode alone vs. ffmpeg + the agent's node process (frame
 *    source + detector), as % of one core, from /proc/<pid>/stat.
 *    The stream comes from a local GStreamer RTSP server when python3-gi
 *    and gir1.2-gst-rtsp-server-1.0 are installed, else from the file read
 *    in real time (-re); the output says which.
 *
 * The pipeline measurement runs the agent side in a child node process
 * (this file with --pipeline-child URL) so its CPU is not mixed with ours.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ensureClip, ensureStreamClip, entryFrame, scenarioNamed, variants } from '../make-scenarios.js';
import { systemClock } from '../../src/core/clock.js';
import { buildGrayFrameArgs, toArgv } from '../../src/media/ffmpeg-args.js';
import { createGrayFrameSpawner } from '../../src/media/ffmpeg.js';
import { FrameAssembler } from '../../src/media/frame-assembler.js';
import { FrameSource, frameSourceDefaults } from '../../src/media/frame-source.js';
import { MediaError } from '../../src/media/media-error.js';
import { defaultMotionConfig, readMotionConfig } from '../../src/media/motion/motion-config.js';
import { MotionDetector } from '../../src/media/motion/motion-detector.js';
import { analyzeVideoFile } from '../../src/media/video-analyzer-offline.js';
import { VideoAnalyzer } from '../../src/media/video-analyzer.js';
import { median, percentile, report } from './report.js';

const cacheDir = join(tmpdir(), 'camera-agent-motion-scenarios');
const silent = pino({ level: 'silent' });

export type MotionBenchPart = 'detector' | 'latency' | 'pipeline';

export async function benchMotion(parts: MotionBenchPart[] = ['detector', 'latency', 'pipeline']): Promise<void> {
  if (parts.includes('detector')) await benchDetector();
  if (parts.includes('latency')) await benchLatency();
  if (parts.includes('pipeline')) await benchPipeline();
}

/** Decodes a clip to gray frames in memory through the agent's ffmpeg adapter. */
async function decodeFrames(input: string, width: number, height: number, fps: number): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  const assembler = new FrameAssembler(width * height);
  const proc = createGrayFrameSpawner({ logger: silent })({ input, loop: false, realtime: false, width, height, fps, socketTimeoutMs: 10_000 });
  proc.onData((chunk) => {
    for (const f of assembler.push(chunk)) frames.push(Uint8Array.from(f));
  });
  const exit = await proc.exited;
  if (exit.error) throw exit.error;
  return frames;
}

async function benchDetector(): Promise<void> {
  const [load1] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  process.stdout.write(`load average (1 min) before the detector runs: ${load1}\n`);
  const clip = await ensureClip(cacheDir, scenarioNamed('person'), variants['h264-mp4']!);
  const cases = [
    { label: '320×180 input, default (works at 160×90)', w: 320, h: 180, motion: {} },
    { label: '320×180 input, full resolution (frameHeight 180)', w: 320, h: 180, motion: { frameHeight: 180 } },
    { label: '160×90 input', w: 160, h: 90, motion: {} },
  ];
  for (const c of cases) {
    // 10 fps from the 10 fps clip: 80 distinct frames with a walker, replayed in order.
    const frames = await decodeFrames(clip, c.w, c.h, 10);
    const cfg = readMotionConfig(c.motion);
    if (!cfg.ok) throw new Error('bad bench config');
    const d = new MotionDetector(cfg.config);
    const times: number[] = [];
    const total = 1200;
    let cpu0 = process.cpuUsage();
    for (let k = 0; k < total + 100; k++) {
      const data = frames[k % frames.length]!;
      if (k === 100) cpu0 = process.cpuUsage(); // first 100: JIT warm-up
      const t0 = performance.now();
      d.process({ data, width: c.w, height: c.h, t: k * 100 });
      if (k >= 100) times.push(performance.now() - t0);
    }
    const cpu = process.cpuUsage(cpu0);
    // Wall time per frame is inflated when other processes share the cores; CPU time per frame is not.
    report(`motion detector, ${c.label}`, median(times), 'ms/frame (median wall)', {
      p95: percentile(times, 95),
      'CPU mean': `${((cpu.user + cpu.system) / 1000 / times.length).toFixed(2)} ms`,
      frames: times.length,
      goal: '≤ 1 ms',
    });
  }
}

async function benchLatency(): Promise<void> {
  const fps = 5;
  const lags: number[] = [];
  const videoMs: number[] = [];
  for (const variant of ['h264-mp4', 'mjpeg-avi', 'mpeg4-avi', 'h264-4x3']) {
    for (const name of ['person', 'lights-then-person']) {
      const scenario = scenarioNamed(name);
      const clip = await ensureClip(cacheDir, scenario, variants[variant]!);
      const cfg = readMotionConfig(scenario.motion ?? {});
      if (!cfg.ok) throw new Error('bad scenario config');
      const size = variant === 'h264-4x3' ? { width: 320, height: 240 } : { width: 320, height: 180 };
      const r = await analyzeVideoFile({ input: clip, ...size, fps, config: cfg.config, spawnGrayFrames: createGrayFrameSpawner({ logger: silent }) });
      if (r instanceof MediaError) throw r;
      const start = r.events.find((e) => e.type === 'start');
      const entry = entryFrame(scenario, fps);
      if (!start || entry === null || scenario.enterAt === undefined) continue;
      lags.push(Math.round(start.t / (1000 / fps)) - entry);
      videoMs.push(start.t - scenario.enterAt * 1000);
    }
  }
  report('motion onset → event, analysis frames after the first frame showing the mover', median(lags), 'frames (median)', { max: Math.max(...lags), runs: lags.length, fps });
  report('motion onset → event, video time from the mover entering', median(videoMs), 'ms (median)', { max: Math.max(...videoMs), note: 'add decode/pipe 100–300 ms live' });
}

interface CpuSample {
  ticks: number;
  at: number;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) of stat(5); the slice starts at field 3.
  return Number(fields[11]) + Number(fields[12]);
}

function sample(pid: number): CpuSample {
  return { ticks: cpuTicks(pid), at: performance.now() };
}

/** % of one core between two samples; assumes the usual 100 Hz USER_HZ (Linux ABI). */
function percent(a: CpuSample, b: CpuSample): number {
  return ((b.ticks - a.ticks) / 100 / ((b.at - a.at) / 1000)) * 100;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const RTSP_SERVER = `
import sys, gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
port, path = sys.argv[1], sys.argv[2]
server = GstRtspServer.RTSPServer(); server.set_service(port)
factory = GstRtspServer.RTSPMediaFactory()
# The pre-encoded clip, no encoder at runtime: the server costs ~1 %.
factory.set_launch('( filesrc location=%s ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )' % path)
factory.set_shared(False)
server.get_mount_points().add_factory('/live', factory)
server.attach(None)
print('ready', flush=True)
GLib.MainLoop().run()
`;

/** Starts the GStreamer RTSP server if Debian's bindings are there; null otherwise. */
async function startRtspServer(clip: string, dir: string): Promise<{ url: string; proc: ChildProcess } | null> {
  const script = join(dir, 'rtsp-server.py');
  writeFileSync(script, RTSP_SERVER);
  const port = await freePort();
  // /usr/bin/python3: the pyenv python first on PATH has no gi (test-rigs.md §2).
  const proc = spawn('/usr/bin/python3', [script, String(port), clip], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    proc.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    proc.on('exit', () => resolve(false));
    proc.on('error', () => resolve(false));
  });
  if (!ready) {
    proc.kill('SIGKILL');
    return null;
  }
  return { url: `rtsp://127.0.0.1:${port}/live`, proc };
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

function ffmpegChildOf(pid: number): number | null {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const c of children) {
      if (readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'ffmpeg') return Number(c);
    }
  } catch {
    // gone
  }
  return null;
}

async function benchPipeline(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-motion-'));
  const clip = await ensureStreamClip(cacheDir, 60);
  const rtsp = await startRtspServer(clip, dir);
  const input = rtsp?.url ?? clip;
  const source = rtsp ? 'local GStreamer RTSP server (pre-encoded 720p25 H.264, 2 Mb/s)' : 'file read in real time (-re), no RTSP server available';
  const warmMs = 4000;
  const windowMs = 15_000;
  try {
    // 1. ffmpeg alone, the agent's exact arguments, output discarded.
    const spec = { input, loop: true, width: 320, height: 180, fps: 5, socketTimeoutMs: 5000 };
    const alone = spawn('ffmpeg', toArgv(buildGrayFrameArgs(spec)), { stdio: ['ignore', 'ignore', 'ignore'] });
    await sleep(warmMs);
    const a0 = sample(alone.pid!);
    await sleep(windowMs);
    const ffmpegAlone = percent(a0, sample(alone.pid!));
    await stopChild(alone);

    // 2. The agent side: a node process with FrameSource + VideoAnalyzer, its own ffmpeg child.
    const self = fileURLToPath(import.meta.url);
    const agent = spawn(process.execPath, ['--import', 'tsx', self, '--pipeline-child', input], { stdio: ['ignore', 'pipe', 'inherit'] });
    let frames = 0;
    agent.stdout?.on('data', (d: Buffer) => {
      const m = /frames (\d+)/.exec(d.toString());
      if (m) frames = Number(m[1]);
    });
    await sleep(warmMs + 2000); // node + tsx start-up is not steady state
    const ff = ffmpegChildOf(agent.pid!);
    if (ff === null) throw new Error('the agent child has no ffmpeg');
    const n0 = sample(agent.pid!);
    const f0 = sample(ff);
    const frames0 = frames;
    await sleep(windowMs);
    const nodeCpu = percent(n0, sample(agent.pid!));
    const ffCpu = percent(f0, sample(ff));
    const delivered = frames - frames0;
    await stopChild(agent);

    process.stdout.write(`pipeline source: ${source}; analysed at 320×180, 5 fps; windows of ${windowMs / 1000} s\n`);
    report('ffmpeg decode alone (720p25 → 320×180 gray @ 5 fps)', ffmpegAlone, '% of one core');
    report('pipeline: ffmpeg', ffCpu, '% of one core');
    report('pipeline: agent node process (frame source + motion detector)', nodeCpu, '% of one core', { frames: delivered, goal: '≤ 2 points added' });
    report('pipeline total', ffCpu + nodeCpu, '% of one core', { 'added over decode alone': ffCpu + nodeCpu - ffmpegAlone });
  } finally {
    if (rtsp) await stopChild(rtsp.proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The agent side of the pipeline benchmark: frames from ffmpeg through the detector, nothing else. */
async function pipelineChild(input: string): Promise<void> {
  const source = new FrameSource({ config: { ...frameSourceDefaults, input, loop: true }, clock: systemClock, logger: silent });
  const analyzer = new VideoAnalyzer({ frames: source, config: defaultMotionConfig(), clock: systemClock, logger: silent });
  let frames = 0;
  source.on('frame', () => frames++);
  await analyzer.start();
  await source.start();
  const tick = setInterval(() => process.stdout.write(`frames ${frames}\n`), 1000);
  await new Promise<void>((resolve) => process.once('SIGTERM', resolve));
  clearInterval(tick);
  await analyzer.stop();
  await source.stop();
}

if (process.argv[2] === '--pipeline-child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await pipelineChild(process.argv[3]!);
}
