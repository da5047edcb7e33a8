/**
 * A real RTSP server for the frame-source tests: rtsp-server.py (GStreamer
 * gst-rtsp-server, a moving ball in H.264) on a loopback port, started and
 * killed like the camera's streamer would be.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { closedTcpPort } from './ffmpeg-rig.js';

const SCRIPT = fileURLToPath(new URL('./rtsp-server.py', import.meta.url));
/** Debian's python: the pyenv python3 first on PATH has no `gi` (test-rigs.md §2). */
const PYTHON = '/usr/bin/python3';

export interface RtspServerOptions {
  /** Default: a free loopback port. Pass the old one to restart "the same camera". */
  port?: number;
  path?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** RTSP Digest credentials; none means open access. */
  user?: string;
  password?: string;
}

export interface RtspServer {
  port: number;
  /** rtsp://127.0.0.1:PORT/PATH, without credentials. */
  url: string;
  pid: number;
  /** Kills the server with `signal` (SIGTERM by default) and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startRtspServer(options: RtspServerOptions = {}, timeoutMs = 10_000): Promise<RtspServer> {
  const port = options.port ?? (await closedTcpPort());
  const path = options.path ?? '/live';
  const args = [SCRIPT, String(port), path, `${options.width ?? 640}x${options.height ?? 360}`, String(options.fps ?? 10)];
  if (options.user !== undefined) args.push(`${options.user}:${options.password ?? ''}`);
  // stdin stays a pipe: the server exits when it closes (our process died).
  const child: ChildProcess = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rtsp server not ready within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`rtsp server exited before ready: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('READY')) return;
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    port,
    url: `rtsp://127.0.0.1:${port}${path}`,
    pid: child.pid!,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
