// Benchmark: time from process start to READY=1, and idle RSS after 30 s,
// for the compiled daemon with the simulated hardware (issue: foundation).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNotifySocket } from '../../test/helpers/notify-socket.js';
import { BIN } from '../../test/helpers/daemon.js';
import { median, report } from './report.js';

async function rssKb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function run(dir: string, i: number, extra: Record<string, unknown>, holdMs: number) {
  const config = join(dir, `config-${i}.json`);
  await writeFile(config, JSON.stringify({ data: { dir: join(dir, `data-${i}`) }, identity: { dir: join(dir, 'factory') }, hal: { mode: 'sim' }, ...extra }));
  const sock = await openNotifySocket(dir, `n${i}.sock`);
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'run', '--config', config], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: process.env.PATH, NOTIFY_SOCKET: sock.path, CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') },
  });
  const ready = await sock.waitFor('READY', 20_000);
  const readyMs = ready.at - started;
  let rss = NaN;
  let ffmpegRss = NaN;
  if (holdMs > 0) {
    await new Promise((r) => setTimeout(r, holdMs));
    rss = await rssKb(child.pid!);
    const kids = (await readFile(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
    if (kids.length) ffmpegRss = (await Promise.all(kids.map((k) => rssKb(Number(k)).catch(() => 0)))).reduce((a, b) => a + b, 0);
  }
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
  sock.close();
  return { readyMs, rss, ffmpegRss };
}

export async function benchStartup(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-startup-'));
  try {
    await run(dir, 99, {}, 0); // warm the page cache once, as a camera's second boot would be
    const times: number[] = [];
    for (let i = 0; i < 10; i++) times.push((await run(dir, i, {}, 0)).readyMs);
    report('startup: process start → READY=1 (sim HAL, median of 10)', median(times), 'ms', { goal: '≤ 400 ms', min: Math.min(...times), max: Math.max(...times) });

    const idle = await run(dir, 20, {}, 30_000);
    report('idle RSS after 30 s (sim HAL)', idle.rss / 1024, 'MB', { goal: '≤ 60 MB' });
    const withVideo = await run(dir, 21, { video: { input: 'lavfi:testsrc2=size=1280x720:rate=25' } }, 30_000);
    report('idle RSS after 30 s (sim HAL + 5 fps analysis feed)', withVideo.rss / 1024, 'MB', { ffmpeg: `${(withVideo.ffmpegRss / 1024).toFixed(1)} MB (separate process)` });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
