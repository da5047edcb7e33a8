import t from 'tap';
import { FrameAssembler } from '../../../src/media/frame-assembler.js';

/** Bytes 0,1,2… (mod 256) so every frame's content proves where it came from. */
function stream(length: number, start = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

/** Feeds `bytes` cut at `cuts` and returns every frame produced, copied. */
function feed(frameBytes: number, bytes: Uint8Array, chunkSizes: number[]): Uint8Array[] {
  const a = new FrameAssembler(frameBytes);
  const frames: Uint8Array[] = [];
  let at = 0;
  for (const size of chunkSizes) {
    frames.push(...a.push(bytes.subarray(at, at + size)).map((f) => f.slice()));
    at += size;
  }
  return frames;
}

t.test('a chunk of exactly one frame yields it as a view, without copying', async (t) => {
  const a = new FrameAssembler(6);
  const chunk = stream(6);
  const [frame, ...rest] = a.push(chunk);
  t.same(rest, []);
  t.equal(frame?.buffer, chunk.buffer, 'same memory as the chunk');
  t.equal(frame?.byteOffset, 0);
  t.equal(frame?.length, 6);
  t.equal(a.pendingBytes, 0);
});

t.test('many frames in one chunk come out in order, each a view at its offset', async (t) => {
  const a = new FrameAssembler(4);
  const chunk = stream(12);
  const frames = a.push(chunk);
  t.equal(frames.length, 3);
  frames.forEach((f, i) => {
    t.equal(f.buffer, chunk.buffer);
    t.equal(f.byteOffset, i * 4);
    t.same([...f], [...stream(4, i * 4)]);
  });
});

t.test('a frame spanning two chunks is assembled into one copy', async (t) => {
  const a = new FrameAssembler(10);
  const bytes = stream(10);
  t.same(a.push(bytes.subarray(0, 3)), []);
  t.equal(a.pendingBytes, 3);
  const [frame] = a.push(bytes.subarray(3));
  t.same([...(frame ?? [])], [...bytes]);
  t.not(frame?.buffer, bytes.buffer, 'copied: it came from two chunks');
  t.equal(a.pendingBytes, 0);
});

t.test('a frame spanning many tiny chunks (1 byte each) is assembled', async (t) => {
  const bytes = stream(21);
  const frames = feed(7, bytes, Array(21).fill(1));
  t.equal(frames.length, 3);
  t.same(frames.map((f) => [...f]), [[...stream(7)], [...stream(7, 7)], [...stream(7, 14)]]);
});

t.test('tail + whole frames + head in one chunk', async (t) => {
  // chunks: 3 | 3+8+8+2 | 6  over frames of 8 → 4 frames, nothing pending
  const bytes = stream(32);
  const frames = feed(8, bytes, [3, 21, 8]);
  t.equal(frames.length, 4);
  frames.forEach((f, i) => t.same([...f], [...stream(8, i * 8)], `frame ${i}`));
});

t.test('the completing chunk ending exactly on a frame boundary leaves nothing pending', async (t) => {
  const a = new FrameAssembler(5);
  a.push(stream(2));
  const frames = a.push(stream(3, 2));
  t.equal(frames.length, 1);
  t.equal(a.pendingBytes, 0);
});

t.test('a chunk that does not complete the pending frame only adds to it', async (t) => {
  const a = new FrameAssembler(10);
  t.same(a.push(stream(4)), []);
  t.same(a.push(stream(4, 4)), []);
  t.equal(a.pendingBytes, 8);
  const [frame] = a.push(stream(2, 8));
  t.same([...(frame ?? [])], [...stream(10)]);
});

t.test('an empty chunk changes nothing', async (t) => {
  const a = new FrameAssembler(4);
  t.same(a.push(new Uint8Array(0)), []);
  a.push(stream(2));
  t.same(a.push(new Uint8Array(0)), []);
  t.equal(a.pendingBytes, 2);
});

t.test('every possible chunking of a stream yields the same frames', async (t) => {
  // Exhaustive over two cut points for a 3-frame stream of 5-byte frames.
  const bytes = stream(15);
  const expected = [[...stream(5)], [...stream(5, 5)], [...stream(5, 10)]];
  for (let i = 0; i <= 15; i++) {
    for (let j = i; j <= 15; j++) {
      const frames = feed(5, bytes, [i, j - i, 15 - j]);
      t.same(frames.map((f) => [...f]), expected, `cuts at ${i},${j}`);
    }
  }
});

t.test('frames handed out earlier are not changed by later chunks', async (t) => {
  const a = new FrameAssembler(4);
  a.push(stream(2));
  const [first] = a.push(stream(4, 2)); // completes frame 0, leaves 2 pending
  const snapshot = [...(first ?? [])];
  a.push(Uint8Array.from([99, 99, 99, 99]));
  t.same([...(first ?? [])], snapshot);
});

t.test('reset drops a partial frame so the next chunk starts a new one', async (t) => {
  const a = new FrameAssembler(4);
  a.push(Uint8Array.from([9, 9, 9]));
  a.reset();
  t.equal(a.pendingBytes, 0);
  const frames = a.push(stream(4));
  t.same(frames.map((f) => [...f]), [[0, 1, 2, 3]]);
});

t.test('a Buffer chunk works like a Uint8Array', async (t) => {
  const a = new FrameAssembler(3);
  const frames = a.push(Buffer.from([1, 2, 3, 4, 5, 6]));
  t.same(frames.map((f) => [...f]), [[1, 2, 3], [4, 5, 6]]);
});

t.test('a real analysis frame size (320×180) across 64 KiB pipe reads', async (t) => {
  const size = 320 * 180;
  const total = size * 7;
  const bytes = stream(total);
  const chunks: number[] = [];
  for (let left = total; left > 0; left -= 65536) chunks.push(Math.min(65536, left));
  const frames = feed(size, bytes, chunks);
  t.equal(frames.length, 7);
  t.ok(frames.every((f) => f.length === size));
  t.same([...(frames[6] ?? new Uint8Array(0)).subarray(0, 3)], [...stream(3, size * 6)]);
});

t.test('frame size must be a positive integer', async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
    t.throws(() => new FrameAssembler(bad), RangeError, String(bad));
  }
});
