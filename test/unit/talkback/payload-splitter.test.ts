import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { codecSpec, type CodecSpec } from '../../../src/talkback/codec.js';
import { createPayloadSplitter, oggCrc, type SplitPayload } from '../../../src/talkback/payload-splitter.js';

/** Encodes `seconds` of a 440 Hz sine with the real ffmpeg, as the uplink does. */
function encode(format: string[], sampleRate: number, seconds: number): Buffer {
  const run = spawnSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${sampleRate}:duration=${seconds}`, '-ac', '1', ...format, 'pipe:1'],
    { maxBuffer: 64 << 20 },
  );
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr.toString()}`);
  return run.stdout;
}

/** As src/media/audio-transcode-args.ts runs the uplink encoders: one Opus packet per Ogg page. */
const OGG_OPUS = ['-c:a', 'libopus', '-b:a', '24k', '-application', 'voip', '-frame_duration', '20', '-page_duration', '20000', '-f', 'ogg'];
/** The Ogg muxer's default: pages of up to 1 s, many packets each. */
const OGG_OPUS_LONG_PAGES = ['-c:a', 'libopus', '-frame_duration', '20', '-f', 'ogg'];
const ADTS = ['-c:a', 'aac', '-b:a', '32k', '-f', 'adts'];

/** Packet sizes as ffprobe's demuxer sees them: the independent reference. */
function probeSizes(bytes: Buffer, format: string): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'splitter-'));
  try {
    const file = join(dir, `stream.${format}`);
    writeFileSync(file, bytes);
    const run = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=size', '-of', 'compact=p=0:nk=1', file]);
    return run.stdout.toString().split('\n').filter((line) => line.trim() !== '').map((line) => Number.parseInt(line, 10));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Feeds `bytes` in chunks of random size (1 to maxChunk), then flushes. */
function split(spec: CodecSpec, bytes: Uint8Array, seed: number, maxChunk = 5000, opts?: { frameMs?: number }) {
  const random = mulberry32(seed);
  const splitter = createPayloadSplitter(spec, opts);
  const out: SplitPayload[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + Math.floor(random() * maxChunk);
    out.push(...splitter.push(bytes.subarray(at, at + size)));
    at += size;
  }
  out.push(...splitter.flush());
  return { out, stats: splitter.stats() };
}

t.test('G.711: raw bytes become 20 ms payloads whatever the chunking, and flush returns the tail', async (t) => {
  for (const name of ['pcmu', 'pcma'] as const) {
    const bytes = encode(['-f', name === 'pcmu' ? 'mulaw' : 'alaw', '-ar', '8000'], 8000, 1.01);
    t.equal(bytes.length, 8080);
    for (const seed of [1, 2, 3]) {
      const { out } = split(codecSpec(name), bytes, seed, seed === 1 ? 3 : 700);
      t.same(out.map((p) => p.duration), [...Array(50).fill(160), 80], `${name} seed ${seed}`);
      t.same(Buffer.concat(out.map((p) => p.payload)), bytes, 'every byte, in order');
    }
  }
  const { out } = split(codecSpec('pcmu'), new Uint8Array(1000), 9, 100, { frameMs: 60 });
  t.same(out.map((p) => p.payload.length), [480, 480, 40], 'frameMs 60');
  t.same(createPayloadSplitter(codecSpec('pcmu')).flush(), [], 'nothing pending, nothing flushed');
  t.throws(() => createPayloadSplitter(codecSpec('pcmu'), { frameMs: 0 }), RangeError);
  t.throws(() => createPayloadSplitter(codecSpec('pcmu'), { frameMs: 188 }), RangeError, 'over 1500 bytes');
  t.throws(() => createPayloadSplitter(codecSpec('pcmu'), { frameMs: 2.5 }), RangeError);
});

t.test('Ogg CRC is the non-reflected 0x04C11DB7 one (libogg test vector)', async (t) => {
  t.equal(oggCrc(new Uint8Array(0)), 0);
  // CRC-32/MPEG-2 differs only by its initial value; with init 0 and no xorout "123456789" gives 0x89A1897F.
  t.equal(oggCrc(Buffer.from('123456789')), 0x89a1897f);
});

t.test('Ogg Opus from ffmpeg: the audio packets ffprobe sees, headers skipped, 960 units each', async (t) => {
  for (const [sampleRate, args] of [[48000, OGG_OPUS], [16000, OGG_OPUS], [48000, OGG_OPUS_LONG_PAGES]] as const) {
    const bytes = encode(args, sampleRate, 2);
    const reference = probeSizes(bytes, 'ogg');
    t.ok(reference.length >= 100, `${reference.length} packets`);
    for (const seed of [11, 12, 13]) {
      const { out, stats } = split(codecSpec('opus', sampleRate), bytes, seed, seed === 11 ? 7 : 3000);
      t.same(out.map((p) => p.payload.length), reference, `${sampleRate} ${args.length} args, seed ${seed}: same packets as ffprobe`);
      t.ok(out.every((p) => p.duration === 960), '20 ms each');
      t.same(stats, { payloads: reference.length, droppedBytes: 0, resyncs: 0, rejectedPayloads: 0 });
    }
  }
});

/** An Ogg page built by hand: lacing values given, CRC computed. */
function oggPage(opts: { headerType: number; serial?: number; seq: number; laces: number[]; body: Uint8Array }): Uint8Array {
  const page = new Uint8Array(27 + opts.laces.length + opts.body.length);
  const view = new DataView(page.buffer);
  page.set(Buffer.from('OggS'), 0);
  page[5] = opts.headerType;
  view.setUint32(14, opts.serial ?? 1, true);
  view.setUint32(18, opts.seq, true);
  page[26] = opts.laces.length;
  page.set(opts.laces, 27);
  page.set(opts.body, 27 + opts.laces.length);
  view.setUint32(22, oggCrc(page), true);
  return page;
}

t.test('an Opus packet that spans pages is reassembled; a continuation without its start is skipped', async (t) => {
  const spec = codecSpec('opus');
  const head = Buffer.concat([Buffer.from('OpusHead'), Buffer.alloc(11)]);
  // A 2-frame code 1 packet of 2 × 200 bytes: 401 bytes, laced 255 + 146 across two pages.
  const packet = Uint8Array.from({ length: 401 }, (_, i) => (i === 0 ? (31 << 3) | 1 : i & 0xff));
  const pages = [
    oggPage({ headerType: 2, seq: 0, laces: [19], body: head }),
    oggPage({ headerType: 0, seq: 1, laces: [255], body: packet.subarray(0, 255) }),
    oggPage({ headerType: 1, seq: 2, laces: [146, 3], body: Buffer.concat([packet.subarray(255), Buffer.from([0xf8, 0xff, 0xfe])]) }),
  ];
  const splitter = createPayloadSplitter(spec);
  const out = pages.flatMap((page) => splitter.push(page));
  t.same(out.map((p) => [p.payload.length, p.duration]), [[401, 1920], [3, 960]]);
  t.same(out[0]!.payload, packet);

  const fresh = createPayloadSplitter(spec);
  t.same(fresh.push(pages[2]!).map((p) => p.payload.length), [3], 'joined mid-packet: the orphan tail is skipped, the next packet kept');
  const lost = createPayloadSplitter(spec);
  lost.push(pages[1]!);
  t.same(lost.push(oggPage({ headerType: 0, seq: 3, laces: [3], body: Uint8Array.of(0xf8, 0xff, 0xfe) })).length, 1, 'a packet left open by a lost page is dropped');
  t.equal(lost.stats().rejectedPayloads, 1);
});

t.test('Ogg: bad CRCs and garbage between pages cost only the pages they hit', async (t) => {
  const spec = codecSpec('opus');
  const bytes = encode(OGG_OPUS, 48000, 2);
  const reference = probeSizes(bytes, 'ogg');
  const random = mulberry32(77);
  // Garbage between the stream and itself: every page of both copies survives.
  const garbage = Uint8Array.from({ length: 3000 }, () => Math.floor(random() * 256)).map((b) => (b === 0x4f ? 0 : b));
  const doubled = Buffer.concat([bytes, garbage, bytes]);
  const twice = split(spec, doubled, 5);
  t.equal(twice.out.length, 2 * reference.length, 'both copies, every audio packet');
  t.equal(twice.stats.droppedBytes, garbage.length, 'exactly the garbage is dropped');
  t.ok(twice.stats.resyncs >= 1);

  for (let trial = 0; trial < 20; trial++) {
    const damaged = Buffer.from(bytes);
    for (let k = 0; k < 3; k++) {
      const at = Math.floor(random() * damaged.length);
      damaged[at] = damaged[at]! ^ (1 + Math.floor(random() * 255));
    }
    const { out, stats } = split(spec, damaged, trial);
    t.ok(out.length <= reference.length && out.length >= reference.length - 6, `trial ${trial}: ${out.length} of ${reference.length} packets`);
    t.ok(out.every((p) => p.duration === 960 && p.payload.length > 0));
    if (out.length < reference.length) t.ok(stats.resyncs > 0, 'losses come with a resync');
  }
});

t.test('ADTS from ffmpeg: raw AUs (header stripped), 1024 units each, whatever the chunking', async (t) => {
  for (const sampleRate of [16000, 48000]) {
    const bytes = encode(ADTS, sampleRate, 1);
    const reference = probeSizes(bytes, 'aac');
    for (const seed of [21, 22]) {
      const { out, stats } = split(codecSpec('aac', sampleRate), bytes, seed, seed === 21 ? 5 : 2000);
      t.same(out.map((p) => p.payload.length + 7), reference, `${sampleRate} seed ${seed}: ffprobe's frames less the 7-byte header`);
      t.ok(out.every((p) => p.duration === 1024));
      t.ok(out.every((p) => !(p.payload[0] === 0xff && (p.payload[1]! & 0xf0) === 0xf0)), 'no ADTS header left');
      t.same(stats, { payloads: reference.length, droppedBytes: 0, resyncs: 0, rejectedPayloads: 0 });
    }
  }
});

t.test('ADTS: frames of another rate are refused, garbage is skipped, damage never throws', async (t) => {
  const bytes = encode(ADTS, 16000, 1);
  const reference = probeSizes(bytes, 'aac');
  const wrongRate = split(codecSpec('aac', 48000), bytes, 1);
  t.equal(wrongRate.out.length, 0, '16 kHz frames for a 48 kHz session');
  t.equal(wrongRate.stats.rejectedPayloads, reference.length);

  const random = mulberry32(99);
  const garbage = Uint8Array.from({ length: 2000 }, () => Math.floor(random() * 255)); // no 0xFF: no false syncword
  const joined = split(codecSpec('aac'), Buffer.concat([garbage, bytes, garbage, bytes]), 3);
  t.equal(joined.out.length, 2 * reference.length, 'every frame of both copies');
  t.equal(joined.stats.droppedBytes, 2 * garbage.length);

  for (let trial = 0; trial < 20; trial++) {
    const damaged = Buffer.from(bytes);
    for (let k = 0; k < 3; k++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
    const { out } = split(codecSpec('aac'), damaged, trial, 300);
    t.ok(out.length <= reference.length + 3, `trial ${trial}: ${out.length} payloads`);
    t.ok(out.every((p) => p.duration === 1024 && p.payload.length > 0 && p.payload.length <= 1500));
  }
});

t.test('a megabyte of noise never throws, and nothing trustworthy is made of it', async (t) => {
  const random = mulberry32(4242);
  const noise = Uint8Array.from({ length: 1 << 20 }, () => Math.floor(random() * 256));
  for (const spec of [codecSpec('opus'), codecSpec('aac')]) {
    const { out, stats } = split(spec, noise, 8, 70_000);
    t.equal(out.length, 0, `${spec.name}: no payloads from noise`);
    t.ok(stats.droppedBytes > noise.length * 0.99, `${spec.name}: dropped ${stats.droppedBytes}`);
  }
  // A page header announcing a maximal page that never completes: the splitter waits, bounded.
  const opus = createPayloadSplitter(codecSpec('opus'));
  const header = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(22), Buffer.from([255]), Buffer.alloc(255, 255)]);
  opus.push(header);
  for (let i = 0; i < 40; i++) opus.push(new Uint8Array(4096));
  t.ok(opus.stats().resyncs >= 1, 'past 64 KiB the pending bytes are dropped');
});

t.test('a damaged length field does not stall the stream until its claimed length arrives', async (t) => {
  const ogg = encode(OGG_OPUS, 48000, 2);
  const reference = probeSizes(ogg, 'ogg');
  const damagedOgg = Buffer.from(ogg);
  const third = damagedOgg.indexOf('OggS', damagedOgg.indexOf('OggS', damagedOgg.indexOf('OggS') + 1) + 1);
  damagedOgg[third + 26] = 255; // 255 segments: claims up to 65 KB
  const opus = createPayloadSplitter(codecSpec('opus'));
  const fromOgg = opus.push(damagedOgg); // no flush: a live stream does not end
  t.ok(fromOgg.length >= reference.length - 3, `${fromOgg.length} of ${reference.length} packets before any flush`);

  const adts = encode(ADTS, 16000, 1);
  const damagedAdts = Buffer.from(adts);
  const second = damagedAdts.indexOf(Buffer.from([0xff, 0xf1]), 7);
  damagedAdts[second + 3] = damagedAdts[second + 3]! | 0x03; // frame_length ≥ 6144
  damagedAdts[second + 4] = 0xff;
  const aac = createPayloadSplitter(codecSpec('aac'));
  const fromAdts = aac.push(damagedAdts);
  t.ok(fromAdts.length >= probeSizes(adts, 'aac').length - 3, `${fromAdts.length} AUs before any flush`);
});
