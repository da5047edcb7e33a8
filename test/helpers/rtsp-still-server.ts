/**
 * An RTSP camera whose picture the test chooses: rtsp-still-server.py
 * (gst-rtsp-server with appsrc → x264 → RTP) on a loopback port. show()
 * swaps the picture and resolves when its first frame entered the encoder,
 * which is "the moment the code appeared" for latency measurements.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { closedTcpPort } from './ffmpeg-rig.js';

const SCRIPT = fileURLToPath(new URL('./rtsp-still-server.py', import.meta.url));
/** Debian's python: the pyenv python3 first on PATH has no `gi` (test-rigs.md §2). */
const PYTHON = '/usr/bin/python3';

export interface RtspStillServer {
  url: string;
  pid: number;
  /**
   * Shows the raw GRAY8 picture in `file` (width×height bytes). Resolves with
   * performance.now() when its first frame was pushed into the encoder; that
   * needs a client playing the stream.
   */
  show(file: string, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function startRtspStillServer(width: number, height: number, fps: number, timeoutMs = 10_000): Promise<RtspStillServer> {
  const port = await closedTcpPort();
  const path = '/live';
  const child = spawn(PYTHON, [SCRIPT, String(port), path, `${width}x${height}`, String(fps)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting = new Map<string, (at: number) => void>();
  let ready!: () => void;
  const readyP = new Promise<void>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const at = performance.now();
    if (line.startsWith('READY')) ready();
    else if (line.startsWith('SHOWN ')) {
      const name = line.slice(6);
      waiting.get(name)?.(at);
      waiting.delete(name);
    } else if (line.startsWith('ERROR')) stderr += `${line}\n`;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rtsp still server not ready within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`rtsp still server exited before ready: ${stderr}`));
    });
    void readyP.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    url: `rtsp://127.0.0.1:${port}${path}`,
    pid: child.pid!,
    show(file, showTimeoutMs = 5_000) {
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(file);
          reject(new Error(`picture ${file} not shown within ${showTimeoutMs} ms: ${stderr}`));
        }, showTimeoutMs);
        waiting.set(file, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
        child.stdin.write(`SHOW ${file}\n`);
      });
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
