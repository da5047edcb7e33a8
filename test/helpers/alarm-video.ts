/**
 * A scripted mover for alarm tests: an HTTP MJPEG stream
 * (multipart/x-mixed-replace, what many IP cameras serve) whose frames the
 * test controls, so the moment motion starts is known to the millisecond —
 * an RTSP or lavfi clip only says when it started playing. The agent uses it
 * as `video.input` (analysis) and its one-frame grab (full-resolution
 * snapshot) reads the same stream. Frames are made with sharp: a textured
 * grey room, and the same with a bright person-sized block.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export interface MoverVideo {
  url: string;
  width: number;
  height: number;
  /** Show the block (motion starts); returns Date.now() of the first frame with it. */
  enter(): number;
  /** Hide it again. */
  leave(): void;
  /** Toggle every `onMs`/`offMs` until stop; calls `onEnter(t)` at each entry. */
  cycle(onMs: number, offMs: number, onEnter?: (at: number) => void): () => void;
  close(): Promise<void>;
}

export async function startMoverVideo(opts: { width?: number; height?: number; fps?: number } = {}): Promise<MoverVideo> {
  const width = opts.width ?? 1280;
  const height = opts.height ?? 720;
  const fps = opts.fps ?? 10;
  // Texture so the JPEG is realistic in size and the detector's background has structure.
  const noise = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 70 + ((x >> 5) + (y >> 5)) % 2 * 30 + ((x * 7 + y * 13) % 11);
      const i = (y * width + x) * 3;
      noise[i] = v;
      noise[i + 1] = v;
      noise[i + 2] = v + 10;
    }
  }
  const raw = { raw: { width, height, channels: 3 as const } };
  const empty = await sharp(noise, raw).jpeg({ quality: 85 }).toBuffer();
  const bw = Math.round(width * 0.12);
  const bh = Math.round(height * 0.45);
  const block = await sharp({ create: { width: bw, height: bh, channels: 3, background: { r: 235, g: 225, b: 210 } } }).png().toBuffer();
  const withMover = await sharp(noise, raw).composite([{ input: block, left: Math.round(width * 0.6), top: Math.round(height * 0.3) }]).jpeg({ quality: 85 }).toBuffer();
  let showing = false;
  const clients = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame', 'cache-control': 'no-cache', connection: 'close' });
    clients.add(res);
    req.on('close', () => clients.delete(res));
  });
  const tick = setInterval(() => {
    const frame = showing ? withMover : empty;
    for (const res of clients) {
      res.write(`--frame\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`);
      res.write(frame);
      res.write('\r\n');
    }
  }, Math.round(1000 / fps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const video: MoverVideo = {
    url: `http://127.0.0.1:${port}/video.mjpg`,
    width,
    height,
    enter() {
      showing = true;
      return Date.now();
    },
    leave() {
      showing = false;
    },
    cycle(onMs, offMs, onEnter) {
      let timer: NodeJS.Timeout;
      let stopped = false;
      const on = () => {
        if (stopped) return;
        const at = video.enter();
        onEnter?.(at);
        timer = setTimeout(off, onMs);
      };
      const off = () => {
        if (stopped) return;
        video.leave();
        timer = setTimeout(on, offMs);
      };
      on();
      return () => {
        stopped = true;
        clearTimeout(timer);
        video.leave();
      };
    },
    async close() {
      clearInterval(tick);
      for (const res of clients) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return video;
}
