import { spawn, spawnSync } from 'node:child_process';
import t from 'tap';
import { codecSpec, type CodecSpec } from '../../../src/talkback/codec.js';
import { MatroskaAudioWriter } from '../../../src/talkback/matroska-writer.js';
import { createPayloadSplitter, type SplitPayload } from '../../../src/talkback/payload-splitter.js';

/** One second of a 440 Hz sine (lavfi's default amplitude 1/8) encoded by the real ffmpeg and cut by our splitter. */
function encodedSine(spec: CodecSpec): SplitPayload[] {
  const format: Record<CodecSpec['name'], string[]> = {
    pcmu: ['-f', 'mulaw'],
    pcma: ['-f', 'alaw'],
    opus: ['-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-page_duration', '20000', '-f', 'ogg'],
    aac: ['-c:a', 'aac', '-b:a', '48k', '-f', 'adts'],
  };
  const run = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${spec.sampleRate}:duration=1`, '-ac', '1', ...format[spec.name], 'pipe:1'],
    { maxBuffer: 16 << 20 },
  );
  if (run.status !== 0) throw new Error(run.stderr.toString());
  const splitter = createPayloadSplitter(spec);
  return [...splitter.push(run.stdout), ...splitter.flush()];
}

/** Header plus one Cluster per payload, timestamps from the running duration. */
function stream(spec: CodecSpec, payloads: SplitPayload[]): Buffer {
  const writer = new MatroskaAudioWriter(spec);
  const parts = [writer.header()];
  let units = 0;
  for (const { payload, duration } of payloads) {
    parts.push(writer.frame(payload, (units * 1000) / spec.clockRate));
    units += duration;
  }
  return Buffer.concat(parts);
}

function decode(input: Buffer): Int16Array {
  const run = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'matroska', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', 'pipe:1'], { input, maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`ffmpeg refused the stream: ${run.stderr.toString()}`);
  const pcm = Buffer.from(run.stdout);
  return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
}

function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / pcm.length);
}

/** RMS of lavfi's sine: amplitude 32767/8, over √2. */
const SINE_RMS = 32767 / 8 / Math.SQRT2;

t.test('ffmpeg decodes every codec from the stream: right length, right level', async (t) => {
  const cases: [CodecSpec, (frames: number) => number, number][] = [
    [codecSpec('pcmu'), () => 8000, 8000],
    [codecSpec('pcma'), () => 8000, 8000],
    // ffmpeg's Opus decoder runs at 48 kHz and drops the pre-skip once.
    [codecSpec('opus', 48000), (frames) => frames * 960 - 312, 48000],
    [codecSpec('opus', 16000), (frames) => frames * 960 - 312, 48000],
    [codecSpec('aac', 16000), (frames) => frames * 1024, 16000],
    [codecSpec('aac', 48000), (frames) => frames * 1024, 48000],
  ];
  for (const [spec, expectedLength, decodedRate] of cases) {
    const label = `${spec.name} ${spec.sampleRate}`;
    const payloads = encodedSine(spec);
    const pcm = decode(stream(spec, payloads));
    t.equal(pcm.length, expectedLength(payloads.length), `${label}: ${payloads.length} payloads, every sample decoded`);
    t.ok(pcm.length >= decodedRate, `${label}: at least the second encoded`);
    // Skip the codec's priming at the start and padding at the end.
    const level = rms(pcm.subarray(Math.floor(pcm.length * 0.25), Math.floor(pcm.length * 0.75)));
    t.ok(Math.abs(level - SINE_RMS) / SINE_RMS < 0.1, `${label}: RMS ${level.toFixed(0)} ≈ ${SINE_RMS.toFixed(0)}`);
  }
});

t.test('the header declares what the decoder needs', async (t) => {
  const find = (haystack: Uint8Array, needle: number[]) => Buffer.from(haystack).indexOf(Buffer.from(needle));
  const mulaw = new MatroskaAudioWriter(codecSpec('pcmu')).header();
  t.same([...mulaw.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], 'EBML magic');
  t.ok(find(mulaw, [0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) > 0, 'Segment of unknown size');
  t.ok(find(mulaw, [...Buffer.from('A_MS/ACM')]) > 0);
  t.ok(find(mulaw, [0x63, 0xa2, 0x92, 0x07, 0x00, 0x01, 0x00, 0x40, 0x1f, 0x00, 0x00]) > 0, 'WAVEFORMATEX: µ-law, mono, 8000 Hz');
  t.ok(find(new MatroskaAudioWriter(codecSpec('pcma')).header(), [0x63, 0xa2, 0x92, 0x06, 0x00]) > 0, 'A-law tag 6');
  const opus = new MatroskaAudioWriter(codecSpec('opus', 16000)).header();
  t.ok(find(opus, [...Buffer.from('A_OPUS')]) > 0);
  t.ok(find(opus, [0x63, 0xa2, 0x93, ...Buffer.from('OpusHead')]) > 0, 'OpusHead as CodecPrivate');
  t.ok(find(opus, [0xb5, 0x88, ...Buffer.from(new Float64Array([48000]).buffer).reverse()]) > 0, 'Opus track declared at 48 kHz');
  t.ok(find(opus, [0x56, 0xaa, 0x83, 0x63, 0x2e, 0xa0]) > 0, 'CodecDelay 6.5 ms = 312 samples');
  const aac = new MatroskaAudioWriter(codecSpec('aac', 16000)).header();
  t.ok(find(aac, [0x86, 0x85, ...Buffer.from('A_AAC'), 0x63, 0xa2, 0x82, 0x14, 0x08]) > 0, 'A_AAC with its AudioSpecificConfig');
});

t.test('each frame is a known-size Cluster holding its timestamp and one SimpleBlock', async (t) => {
  const writer = new MatroskaAudioWriter(codecSpec('pcmu'));
  t.same([...writer.frame(Uint8Array.of(1, 2, 3), 0)], [0x1f, 0x43, 0xb6, 0x75, 0x8c, 0xe7, 0x81, 0x00, 0xa3, 0x87, 0x81, 0x00, 0x00, 0x80, 1, 2, 3]);
  const late = writer.frame(Uint8Array.of(9), 2 ** 40 + 5);
  t.same([...late.subarray(5, 13)], [0xe7, 0x86, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05], 'u64 ms timestamps: 2^40 + 5');
  t.same([...writer.frame(Uint8Array.of(9), -3).subarray(5, 8)], [0xe7, 0x81, 0x00], 'negative clamps to 0');
  t.same([...writer.frame(Uint8Array.of(9), 19.6).subarray(5, 8)], [0xe7, 0x81, 20], 'rounded to the ms');
  const big = writer.frame(new Uint8Array(1500), 0);
  t.same([...big.subarray(4, 6)], [0x45, 0xe6], 'two-byte cluster size: 1510 bytes of content');
  t.equal(big.length, 4 + 2 + 1510);
  t.same([...writer.frame(new Uint8Array(118), 0).subarray(4, 6)], [0x40, 0x7f], '127 would be the reserved all-ones 1-byte size: two bytes instead');
});

t.test('a live pipe is decoded frame by frame, without closing stdin', async (t) => {
  const spec = codecSpec('pcmu');
  const writer = new MatroskaAudioWriter(spec);
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-probesize', '32', '-analyzeduration', '0', '-f', 'matroska', '-i', 'pipe:0', '-f', 's16le', '-flush_packets', '1', 'pipe:1']);
  t.teardown(() => void ffmpeg.kill('SIGKILL'));
  let received = 0;
  const waitFor = (bytes: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received} of ${bytes} bytes after 5 s`)), 5000);
      const check = () => {
        if (received >= bytes) {
          clearTimeout(timer);
          ffmpeg.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        check();
      };
      ffmpeg.stdout.on('data', onData);
      check();
    });
  ffmpeg.stdin.write(writer.header());
  for (let i = 0; i < 5; i++) {
    ffmpeg.stdin.write(writer.frame(new Uint8Array(160).fill(0x80), i * 20));
    await waitFor((i + 1) * 320);
    t.pass(`frame ${i + 1} decoded while stdin stays open`);
  }
});
