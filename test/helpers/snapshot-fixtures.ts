import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import sharp from 'sharp';

const run = promisify(execFile);

/**
 * Generated inputs for snapshot tests and the benchmark, so nobody has to
 * trust an opaque binary: ffmpeg's testsrc2 (moving colour bars, text) with
 * noise, which compresses like a real scene (~0.9 MB at 1080p q3).
 */
export async function testJpeg(dir: string, width = 1920, height = 1080, name = 'frame.jpg'): Promise<string> {
  const out = join(dir, name);
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=1,noise=alls=20:allf=t`,
    '-frames:v', '1', '-q:v', '3', out,
  ]);
  return out;
}

/** A short video file (H.264 in MP4) to grab frames from. */
export async function testVideo(dir: string, width = 1280, height = 720, seconds = 2): Promise<string> {
  const out = join(dir, 'main.mp4');
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=10`,
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', out,
  ]);
  return out;
}

/** A uniformly white JPEG (masks must then show as black, the overlay as dark). */
export function whiteJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).jpeg({ quality: 90 }).toBuffer();
}

/** A JPEG carrying EXIF with GPS-like tags and an ICC profile, as a camera might send. */
export function jpegWithExif(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .withExif({ IFD0: { Make: 'SnoopCam', Model: 'X1', Copyright: 'owner' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 31/1 0/1' } })
    .withIccProfile('srgb')
    .jpeg()
    .toBuffer();
}

/** Decoded RGB pixels of a JPEG, for sampling. */
export async function pixels(jpeg: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}
