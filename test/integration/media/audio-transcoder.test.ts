/**
 * spawnAudioTranscoder against the real ffmpeg with the talkback specs:
 * Matroska (made by ffmpeg itself, one Cluster per frame, like
 * talkback/matroska-writer.ts) decoded to S16LE frame by frame, microphone
 * PCM encoded to each codec, and the ways a run ends (garbage, kill, exit
 * under pending writes).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { spawnAudioTranscoder, type AudioTranscoder } from '../../../src/media/ffmpeg.js';
import {
  decodedRate,
  talkbackDecoderSpec,
  talkbackEncoderSpec,
  type TalkbackCodec,
} from '../../../src/media/audio-transcode-args.js';
import { capturingLogger, ffmpegChildren } from '../../helpers/ffmpeg-rig.js';

const run = promisify(execFile);

/** One second of a 1 kHz sine in Matroska, one frame per known-size Cluster (ffmpeg's live mode on a pipe). */
async function matroskaSine(encode: string[], rate: number): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-f', 'lavfi', '-i', `sine=frequency=1000:sample_rate=${rate}:duration=1`,
      ...encode,
      // Close a Cluster after every block, as the talkback writer does.
      '-cluster_size_limit', '1', '-cluster_time_limit', '1', '-write_crc32', '0',
      '-f', 'matroska', 'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

/** EBML variable-length integer at `pos`: its length and value (marker bit kept for ids). */
function vint(buf: Buffer, pos: number, keepMarker: boolean): { length: number; value: number; unknown: boolean } {
  const first = buf[pos] ?? 0;
  let length = 1;
  let mask = 0x80;
  while (length <= 8 && (first & mask) === 0) {
    length++;
    mask >>= 1;
  }
  let value = keepMarker ? first : first & (mask - 1);
  let unknown = (first & (mask - 1)) === mask - 1;
  for (let i = 1; i < length; i++) {
    const byte = buf[pos + i] ?? 0;
    value = value * 256 + byte;
    if (byte !== 0xff) unknown = false;
  }
  return { length, value, unknown };
}

/** Splits a live Matroska stream into its head (EBML, Segment start, Info, Tracks…) and its Clusters. */
function splitClusters(buf: Buffer): { head: Buffer; clusters: Buffer[] } {
  const SEGMENT = 0x18538067;
  const CLUSTER = 0x1f43b675;
  const clusters: Buffer[] = [];
  let headEnd = -1;
  let pos = 0;
  while (pos < buf.length) {
    const id = vint(buf, pos, true);
    const size = vint(buf, pos + id.length, false);
    const dataStart = pos + id.length + size.length;
    if (id.value === SEGMENT) {
      pos = dataStart; // descend: its children are the top-level elements
      continue;
    }
    const end = size.unknown ? buf.length : dataStart + size.value;
    if (id.value === CLUSTER) {
      if (headEnd < 0) headEnd = pos;
      clusters.push(buf.subarray(pos, end));
    }
    pos = end;
  }
  return { head: buf.subarray(0, Math.max(headEnd, 0)), clusters };
}

/** Collects everything a transcoder writes to stdout. */
function collect(transcoder: AudioTranscoder): { bytes: () => Buffer; total: () => number; grown: (beyond: number, timeoutMs: number) => Promise<void> } {
  const chunks: Buffer[] = [];
  let total = 0;
  let waiter: (() => void) | null = null;
  transcoder.onData((chunk) => {
    chunks.push(chunk);
    total += chunk.length;
    waiter?.();
  });
  return {
    bytes: () => Buffer.concat(chunks),
    total: () => total,
    /** Resolves once more than `beyond` bytes have come out; rejects after `timeoutMs`. */
    grown: (beyond, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (total > beyond) return resolve();
        const timer = setTimeout(() => {
          waiter = null;
          reject(new Error(`no output beyond ${beyond} bytes within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = () => {
          if (total <= beyond) return;
          clearTimeout(timer);
          waiter = null;
          resolve();
        };
      }),
  };
}

/** `seconds` of a 1 kHz sine, mono S16LE at `rate`. */
function sinePcm(rate: number, seconds: number): Buffer {
  const samples = Math.round(rate * seconds);
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / rate)), i * 2);
  return pcm;
}

const decoderCases: Array<{ label: string; codec: TalkbackCodec; encode: string[]; rate: number; tolerance: number }> = [
  // asetnsamples: 20 ms blocks, as the talkback frames are.
  { label: 'G.711 µ-law', codec: { name: 'pcmu', sampleRate: 8000 }, encode: ['-af', 'asetnsamples=n=160', '-c:a', 'pcm_mulaw'], rate: 8000, tolerance: 0 },
  { label: 'G.711 A-law', codec: { name: 'pcma', sampleRate: 8000 }, encode: ['-af', 'asetnsamples=n=160', '-c:a', 'pcm_alaw'], rate: 8000, tolerance: 0 },
  // Encoded at 16 kHz: the decoder must still give 48 kHz.
  { label: 'Opus (16 kHz stream)', codec: { name: 'opus', sampleRate: 16000 }, encode: ['-c:a', 'libopus', '-b:a', '24k', '-frame_duration', '20'], rate: 16000, tolerance: 0.03 },
  // AAC adds one priming frame (1024 samples, 64 ms at 16 kHz).
  { label: 'AAC (16 kHz)', codec: { name: 'aac', sampleRate: 16000 }, encode: ['-c:a', 'aac', '-b:a', '32k'], rate: 16000, tolerance: 0.1 },
];

for (const c of decoderCases) {
  t.test(`decoder: ${c.label} in Matroska gives each frame's PCM before the next frame is written, 1 s in total`, async (t) => {
    const { head, clusters } = splitClusters(await matroskaSine(c.encode, c.rate));
    t.ok(clusters.length >= 15, `${clusters.length} clusters`);
    const { logger } = capturingLogger();
    const decoder = spawnAudioTranscoder(talkbackDecoderSpec(), { logger });
    t.teardown(() => decoder.kill());
    const out = collect(decoder);
    decoder.write(head);
    // Lock-step: a frame whose PCM is held back (or dropped) until the next
    // frame arrives times out here.
    for (const [i, cluster] of clusters.entries()) {
      const before = out.total();
      decoder.write(cluster);
      await out.grown(before, 5_000).catch((err: Error) => {
        throw new Error(`frame ${i}: ${err.message}`);
      });
    }
    decoder.end();
    const exit = await decoder.exited;
    t.same({ code: exit.code, signal: exit.signal, error: exit.error }, { code: 0, signal: null, error: null });
    const expected = decodedRate(c.codec) * 2; // 1 s, mono, 2 bytes a sample
    const got = out.total();
    t.ok(Math.abs(got - expected) <= expected * c.tolerance, `${got} bytes of S16LE, expected ≈ ${expected}`);
    t.equal(got % 2, 0);
  });
}

t.test('decoder: garbage on stdin ends ffmpeg with an error code and a reason, nothing thrown', async (t) => {
  const { logger, lines } = capturingLogger();
  const decoder = spawnAudioTranscoder(talkbackDecoderSpec(), { logger });
  t.teardown(() => decoder.kill());
  decoder.write(Buffer.from('this is not a Matroska stream, just some text written to the pipe\n'.repeat(64)));
  decoder.end();
  const exit = await decoder.exited;
  t.not(exit.code, 0);
  t.not(exit.code, null);
  t.equal(exit.signal, null);
  t.equal(exit.error?.code, 'ffmpeg_exited');
  t.match(exit.error?.message ?? '', /^ffmpeg exited with code \d+: .+/);
  t.ok(exit.stderrTail.length > 0, 'stderr tail kept');
  t.ok(lines.some((l) => l.includes('"ffmpeg stderr"') && l.includes('"role":"talkback-decoder"')), 'stderr logged with the role');
  t.ok(lines.some((l) => l.includes('"ffmpeg ended"')));
  t.equal(decoder.write(Buffer.alloc(100)), false, 'a write after exit is dropped');
});

t.test('decoder: kill() mid-stream resolves exited with SIGKILL and leaves no ffmpeg', async (t) => {
  const { head, clusters } = splitClusters(await matroskaSine(['-af', 'asetnsamples=n=160', '-c:a', 'pcm_mulaw'], 8000));
  const { logger } = capturingLogger();
  const decoder = spawnAudioTranscoder(talkbackDecoderSpec(), { logger });
  const out = collect(decoder);
  decoder.write(head);
  for (const cluster of clusters.slice(0, 5)) {
    const before = out.total();
    decoder.write(cluster);
    await out.grown(before, 5_000);
  }
  t.type(decoder.pid, 'number');
  decoder.kill();
  // Writes racing the kill go to a dying process (EPIPE): dropped, not thrown.
  for (const cluster of clusters.slice(5)) decoder.write(cluster);
  const exit = await decoder.exited;
  t.equal(exit.signal, 'SIGKILL');
  t.equal(exit.code, null);
  t.equal(exit.error?.code, 'ffmpeg_killed');
  t.equal(decoder.write(clusters[0] ?? Buffer.alloc(1)), false);
  await decoder.drained(); // resolves: nothing will ever drain again
  decoder.end(); // no-op
  decoder.kill(); // no-op
  t.same(ffmpegChildren(), []);
});

t.test('kill() before ffmpeg has even started is delivered once it does', async (t) => {
  const { logger } = capturingLogger();
  const decoder = spawnAudioTranscoder(talkbackDecoderSpec(), { logger });
  t.equal(decoder.pid, undefined, 'spawning is asynchronous');
  decoder.kill();
  const exit = await decoder.exited;
  t.equal(exit.signal, 'SIGKILL');
  t.same(ffmpegChildren(), []);
});

t.test('ffmpeg dying with input still queued (EPIPE on stdin) does not crash the process', async (t) => {
  const { logger } = capturingLogger();
  // -t 0.1: ffmpeg stops reading after 100 ms of audio while we keep writing.
  const spec = talkbackEncoderSpec({ name: 'pcmu', sampleRate: 8000 }, 16000);
  const encoder = spawnAudioTranscoder({ ...spec, outputOptions: ['-t', '0.1', ...spec.outputOptions] }, { logger });
  const pcm = sinePcm(16000, 0.5);
  let accepted = 0;
  let refused = 0;
  const writing = (async () => {
    for (let i = 0; i < 200; i++) {
      if (encoder.write(pcm)) accepted++;
      else {
        refused++;
        await encoder.drained();
      }
    }
  })();
  const exit = await encoder.exited;
  await writing;
  t.equal(exit.code, 0, 'ffmpeg ended by itself');
  t.ok(refused > 0, `writes refused once ffmpeg stopped reading or exited (${accepted} accepted, ${refused} refused)`);
  t.equal(encoder.write(pcm), false);
});

t.test('back-pressure: write() returns false while ffmpeg is stopped; drained() resolves when it reads again', async (t) => {
  const { logger } = capturingLogger();
  const encoder = spawnAudioTranscoder(talkbackEncoderSpec({ name: 'pcmu', sampleRate: 8000 }, 16000), { logger });
  const out = collect(encoder);
  const frame = sinePcm(16000, 0.02); // 640 bytes
  encoder.write(frame);
  encoder.write(frame);
  await out.grown(0, 5_000); // running and reading
  const pid = encoder.pid;
  if (pid === undefined) throw new Error('no pid');
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
    encoder.kill();
  });
  let queued = 0;
  while (encoder.write(frame)) {
    queued += frame.length;
    if (queued > 4 * 1024 * 1024) throw new Error('no back-pressure after 4 MiB');
    // Let the pipe to ffmpeg fill: writes only move on when the loop yields.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  t.comment(`write() returned false after ${queued} bytes (${(queued / 32000).toFixed(1)} s of 16 kHz PCM) queued in front of a stopped ffmpeg`);
  t.ok(queued > 0);
  let drained = false;
  const draining = encoder.drained().then(() => {
    drained = true;
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.notOk(drained, 'still backed up while ffmpeg is stopped');
  process.kill(pid, 'SIGCONT');
  await draining;
  t.ok(drained);
  encoder.end();
  const exit = await encoder.exited;
  t.equal(exit.code, 0);
  t.equal(out.total(), Math.round((queued + 3 * frame.length) / 4), 'every queued sample encoded: 16 kHz S16LE → 8 kHz µ-law');
});

t.test('encoder: 1 s of a 1 kHz sine becomes exactly 8000 bytes of G.711 (µ-law and A-law)', async (t) => {
  for (const name of ['pcmu', 'pcma'] as const) {
    const { logger } = capturingLogger();
    const encoder = spawnAudioTranscoder(talkbackEncoderSpec({ name, sampleRate: 8000 }, 16000), { logger });
    const out = collect(encoder);
    encoder.write(sinePcm(16000, 1));
    encoder.end();
    const exit = await encoder.exited;
    t.equal(exit.code, 0, name);
    t.equal(out.total(), 8000, name);
    t.ok(new Set(out.bytes()).size > 4, `${name}: a tone, not silence`);
  }
});

t.test('encoder: Opus comes out as Ogg with one 20 ms packet per page', async (t) => {
  const { logger } = capturingLogger();
  const encoder = spawnAudioTranscoder(talkbackEncoderSpec({ name: 'opus', sampleRate: 48000 }, 16000), { logger });
  const out = collect(encoder);
  encoder.write(sinePcm(16000, 1));
  encoder.end();
  const exit = await encoder.exited;
  t.equal(exit.code, 0);
  const ogg = out.bytes();
  t.equal(ogg.subarray(0, 4).toString('latin1'), 'OggS');
  t.ok(ogg.includes(Buffer.from('OpusHead')));
  // Walk the pages: header (27 bytes + segment table), count segments = packets.
  let pos = 0;
  const pagesWithAudio: number[] = [];
  while (pos + 27 <= ogg.length) {
    t.equal(ogg.subarray(pos, pos + 4).toString('latin1'), 'OggS', `page at ${pos}`);
    const segments = ogg[pos + 26] ?? 0;
    const table = ogg.subarray(pos + 27, pos + 27 + segments);
    const packets = [...table].filter((lacing) => lacing < 255).length;
    const body = table.reduce((sum, lacing) => sum + lacing, 0);
    if (!ogg.subarray(pos + 27 + segments, pos + 27 + segments + 8).toString('latin1').startsWith('Opus')) pagesWithAudio.push(packets);
    pos += 27 + segments + body;
  }
  t.equal(pos, ogg.length, 'whole pages');
  t.ok(pagesWithAudio.length >= 50, `${pagesWithAudio.length} audio pages for 1 s`);
  t.ok(pagesWithAudio.every((n) => n === 1), 'one packet per page');
});

t.test('encoder: AAC comes out as ADTS frames at the codec rate', async (t) => {
  const { logger } = capturingLogger();
  const encoder = spawnAudioTranscoder(talkbackEncoderSpec({ name: 'aac', sampleRate: 16000 }, 16000), { logger });
  const out = collect(encoder);
  encoder.write(sinePcm(16000, 1));
  encoder.end();
  const exit = await encoder.exited;
  t.equal(exit.code, 0);
  const adts = out.bytes();
  let pos = 0;
  let frames = 0;
  while (pos + 7 <= adts.length) {
    const b1 = adts[pos + 1] ?? 0;
    const b2 = adts[pos + 2] ?? 0;
    t.equal(((adts[pos] ?? 0) << 4) | (b1 >> 4), 0xfff, `syncword at ${pos}`);
    t.equal((b2 >> 2) & 0x0f, 8, 'sampling_frequency_index 8 = 16000 Hz');
    const length = (((adts[pos + 3] ?? 0) & 0x03) << 11) | ((adts[pos + 4] ?? 0) << 3) | ((adts[pos + 5] ?? 0) >> 5);
    pos += length;
    frames++;
  }
  t.equal(pos, adts.length, 'whole frames');
  t.ok(frames >= 16 && frames <= 18, `${frames} frames of 1024 samples for 1 s`);
});
