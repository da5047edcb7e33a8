/**
 * GrabFrame with fluent-ffmpeg: `-frames:v 1` of the main stream as one JPEG
 * on stdout. Kept behind the GrabFrame interface so the integrator can move
 * it into media/ffmpeg.ts (the one module meant to spawn ffmpeg) without
 * touching the capture.
 *
 * Argument choices:
 * - RTSP over TCP with a socket timeout, so a vanished camera ends ffmpeg
 *   by itself; we also SIGKILL it at the deadline.
 * - `-an -sn -dn`: only video is decoded.
 * - `-q:v 2` MJPEG: near-lossless; sharp re-encodes at the configured quality.
 * - no `-ss`: the first decodable frame after the next keyframe is what we
 *   want; its latency is the stream's GOP (1–2 s on most streamers), which is
 *   why the ONVIF snapshot URI is tried first.
 */
import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import type FfmpegCommandFactory from 'fluent-ffmpeg';
import { classifyInput, LAVFI_PREFIX } from '../media/ffmpeg-args.js';
import { credentialSecrets, maskUrlCredentials } from '../log/url-mask.js';
import { fail, ok, type Result } from './snapshot-error.js';
import { inspectImage } from './image-inspect.js';
import type { GrabFrame } from './frame-grab.js';

export interface FfmpegGrabOptions {
  ffmpegPath?: string;
  /** Cap on the JPEG size read from ffmpeg. */
  maxBytes?: number;
}

let fluent: typeof FfmpegCommandFactory | null = null;
function loadFluent(): typeof FfmpegCommandFactory {
  fluent ??= createRequire(import.meta.url)('fluent-ffmpeg') as typeof FfmpegCommandFactory;
  return fluent;
}

/** The argv pieces for one JPEG frame of `url`; pure, so it is unit-tested. */
export function grabArgs(url: string, timeoutMs: number): { inputOptions: string[]; input: string; outputOptions: string[] } {
  const kind = classifyInput(url);
  const timeoutUs = String(Math.max(1, Math.round(timeoutMs * 1000)));
  const global = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];
  let inputOptions: string[];
  let input = url;
  switch (kind) {
    case 'lavfi':
      inputOptions = ['-f', 'lavfi'];
      input = url.slice(LAVFI_PREFIX.length);
      break;
    case 'rtsp':
      inputOptions = ['-rtsp_transport', 'tcp', '-timeout', timeoutUs];
      break;
    case 'network':
      inputOptions = ['-rw_timeout', timeoutUs];
      break;
    case 'file':
      inputOptions = [];
      break;
  }
  const outputOptions = ['-an', '-sn', '-dn', '-frames:v', '1', '-c:v', 'mjpeg', '-q:v', '2', '-pix_fmt', 'yuvj420p', '-f', 'image2pipe'];
  return { inputOptions: [...global, ...inputOptions], input, outputOptions };
}

export function createFfmpegGrab(opts: FfmpegGrabOptions = {}): GrabFrame {
  return (url, timeoutMs) => grabOnce(url, timeoutMs, opts);
}

function grabOnce(url: string, timeoutMs: number, opts: FfmpegGrabOptions): Promise<Result<Buffer>> {
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  const secrets = credentialSecrets(url);
  const mask = (s: string): string => maskUrlCredentials(s, secrets);
  return new Promise((resolve) => {
    const args = grabArgs(url, timeoutMs);
    const command = loadFluent()();
    if (opts.ffmpegPath !== undefined) command.setFfmpegPath(opts.ffmpegPath);
    command.input(args.input).inputOptions(...args.inputOptions).outputOptions(...args.outputOptions);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let lastStderr = '';
    let child: ChildProcess | undefined;
    const kill = (): void => {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const settle = (r: Result<Buffer>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      kill();
      resolve(r);
    };
    const timer = setTimeout(() => settle(fail('snapshot_timeout', `ffmpeg gave no frame within ${timeoutMs} ms`)), timeoutMs);
    command.on('start', () => {
      child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      if (settled) kill();
    });
    command.on('stderr', (line: string) => {
      if (line.trim() !== '') lastStderr = mask(line.trim());
    });
    out.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        settle(fail('grab_failed', `ffmpeg frame larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    command.on('error', (err: Error) => {
      // fluent-ffmpeg's message embeds the unmasked command line; use ours.
      const why = lastStderr || (/ENOENT|Cannot find ffmpeg/i.test(err.message) ? 'ffmpeg not found' : 'ffmpeg failed');
      settle(fail('grab_failed', `frame grab failed: ${mask(why)}`));
    });
    command.on('end', () => {
      const bytes = Buffer.concat(chunks);
      if (bytes.length === 0 || inspectImage(bytes) === null) {
        settle(fail('grab_failed', `ffmpeg produced no complete frame${lastStderr ? `: ${lastStderr}` : ''}`));
        return;
      }
      settle(ok(bytes));
    });
    command.pipe(out, { end: true });
  });
}
