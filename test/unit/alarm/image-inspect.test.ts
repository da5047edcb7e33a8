import t from 'tap';
import { inspectImage, markerName, metadataSegments } from '../../../src/alarm/image-inspect.js';

/** A minimal structurally valid JPEG: SOI, APPn…, SOF0 (w×h), SOS, one data byte, EOI. */
function jpeg(w: number, h: number, extra: number[][] = []): Uint8Array {
  const seg = (m: number, payload: number[]) => [0xff, m, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
  return new Uint8Array([
    0xff, 0xd8,
    ...seg(0xe0, [0x4a, 0x46, 0x49, 0x46, 0]),
    ...extra.flat(),
    ...seg(0xc0, [8, h >> 8, h & 0xff, w >> 8, w & 0xff, 1, 1, 0x11, 0]),
    ...seg(0xda, [1, 1, 0, 0, 0x3f, 0]),
    0x12, 0xff, 0x00, 0x34,
    0xff, 0xd9,
  ]);
}
const app1 = [0xff, 0xe1, 0, 8, 0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

t.test('size and segments of a JPEG are read without decoding', async (t) => {
  const info = inspectImage(jpeg(1920, 1080))!;
  t.same([info.format, info.width, info.height], ['jpeg', 1920, 1080]);
  t.same(info.segments.map((s) => markerName(s.marker)), ['SOI', 'APP0', 'SOF0', 'SOS']);
  t.same(metadataSegments(info), [], 'JFIF alone is not metadata');
});

t.test('EXIF, ICC and comments are reported as metadata', async (t) => {
  const icc = [0xff, 0xe2, 0, 4, 1, 2];
  const com = [0xff, 0xfe, 0, 4, 0x68, 0x69];
  const info = inspectImage(jpeg(8, 8, [app1, icc, com]))!;
  t.same(metadataSegments(info).map((s) => markerName(s.marker)), ['APP1', 'APP2', 'COM']);
});

t.test('truncated, garbage and HTML bodies are not images', async (t) => {
  const full = jpeg(64, 48);
  t.equal(inspectImage(full.subarray(0, full.length - 2)), null, 'no EOI: cut off in transit');
  t.equal(inspectImage(full.subarray(0, 10)), null, 'cut inside the headers');
  t.equal(inspectImage(new TextEncoder().encode('<html>401</html>')), null);
  t.equal(inspectImage(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), null, 'SOI+EOI only');
});

t.test('PNG size is read from IHDR', async (t) => {
  const png = new Uint8Array(33);
  png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 5, 0, 0, 0, 2, 0xd0]);
  const info = inspectImage(png)!;
  t.same([info.format, info.width, info.height], ['png', 1280, 720]);
});
