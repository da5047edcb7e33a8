/**
 * Helpers for integration tests that run real ffmpeg: generated fixtures,
 * event waits with timeouts, child-process inspection through /proc, and a
 * logger whose output the test can search for leaked secrets.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import type { Logger } from '../../src/log/logger.js';
import type { FrameSource, FrameSourceEvents } from '../../src/media/frame-source.js';

const run = promisify(execFile);

/**
 * Encodes a short clip from ffmpeg's lavfi test source: no binary fixture in
 * the repo, and the content is known (testsrc2 moves every frame).
 */
export async function makeTestClip(
  dir: string,
  opts: { seconds: number; size?: string; rate?: number; name?: string } = { seconds: 1 },
): Promise<string> {
  const path = join(dir, opts.name ?? 'clip.mp4');
  const source = `testsrc2=size=${opts.size ?? '320x240'}:rate=${opts.rate ?? 10}`;
  await run('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', source, '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', path,
  ]);
  return path;
}

/** Resolves with the next event matching `where`, or rejects after `timeoutMs`. */
export function nextEvent<K extends keyof FrameSourceEvents>(
  source: FrameSource,
  name: K,
  timeoutMs: number,
  where: (payload: FrameSourceEvents[K]) => boolean = () => true,
): Promise<FrameSourceEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${name}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = source.on(name, (payload) => {
      if (!where(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Resolves once `count` events have arrived (collecting them), or rejects after `timeoutMs`. */
export function collectEvents<K extends keyof FrameSourceEvents>(
  source: FrameSource,
  name: K,
  count: number,
  timeoutMs: number,
): Promise<Array<FrameSourceEvents[K]>> {
  return new Promise((resolve, reject) => {
    const seen: Array<FrameSourceEvents[K]> = [];
    const timer = setTimeout(() => {
      off();
      reject(new Error(`only ${seen.length} of ${count} '${name}' events within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = source.on(name, (payload) => {
      seen.push(payload);
      if (seen.length < count) return;
      clearTimeout(timer);
      off();
      resolve(seen);
    });
  });
}

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** Kernel process state letter: R, S, Z (zombie)… */
  state: string;
  comm: string;
}

/** Direct children of `parentPid` (default: this test process), zombies included. */
export function childProcesses(parentPid = process.pid): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we were listing
    }
    // comm is parenthesised and may itself contain spaces or ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const [state = '?', ppid = '0'] = stat.slice(close + 2).split(' ');
    if (Number(ppid) === parentPid) out.push({ pid: Number(name), ppid: Number(ppid), state, comm });
  }
  return out;
}

export function ffmpegChildren(parentPid = process.pid): ProcEntry[] {
  return childProcesses(parentPid).filter((p) => p.comm === 'ffmpeg');
}

/** A localhost TCP port with nobody listening: bound, then released. */
export async function closedTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** A debug-level logger that keeps every line, so tests can assert what was (not) logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}
