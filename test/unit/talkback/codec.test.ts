import { spawnSync } from 'node:child_process';
import t from 'tap';
import {
  AAC_SILENCE_FRAME,
  audioSpecificConfig,
  CODEC_ARGS_SCHEMA,
  CODEC_IDS,
  codecFromId,
  codecSpec,
  OPUS_SILENCE_FRAME,
  opusHead,
  parseCodecSpec,
  payloadDuration,
  silencePayloads,
  type CodecSpec,
} from '../../../src/talkback/codec.js';
import { MatroskaAudioWriter } from '../../../src/talkback/matroska-writer.js';

/** Decodes payloads with the real ffmpeg through our Matroska stream; mono S16LE at the decoder's native rate. */
function decode(spec: CodecSpec, payloads: Uint8Array[]): Int16Array {
  const writer = new MatroskaAudioWriter(spec);
  const parts = [writer.header()];
  let units = 0;
  for (const payload of payloads) {
    parts.push(writer.frame(payload, (units * 1000) / spec.clockRate));
    units += payloadDuration(spec, payload) ?? 0;
  }
  const run = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'matroska', '-i', 'pipe:0', '-f', 's16le', '-ac', '1', 'pipe:1'], {
    input: Buffer.concat(parts),
    maxBuffer: 64 << 20,
  });
  if (run.status !== 0) throw new Error(`ffmpeg failed: ${run.stderr.toString()}`);
  const pcm = Buffer.from(run.stdout);
  return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length / 2);
}

const peak = (pcm: Int16Array) => pcm.reduce((max, s) => Math.max(max, Math.abs(s)), 0);

t.test('codec specs: defaults, accepted rates and clock rates', async (t) => {
  t.same(parseCodecSpec({ name: 'pcmu' }), { ok: true, spec: { name: 'pcmu', sampleRate: 8000, channels: 1, clockRate: 8000 } });
  t.same(parseCodecSpec({ name: 'pcma', sampleRate: 8000 }), { ok: true, spec: { name: 'pcma', sampleRate: 8000, channels: 1, clockRate: 8000 } });
  t.same(parseCodecSpec({ name: 'opus' }), { ok: true, spec: { name: 'opus', sampleRate: 48000, channels: 1, clockRate: 48000 } });
  t.same(parseCodecSpec({ name: 'opus', sampleRate: 16000 }), { ok: true, spec: { name: 'opus', sampleRate: 16000, channels: 1, clockRate: 48000 } }, 'Opus timestamps are 48 kHz whatever the rate (RFC 7587)');
  t.same(parseCodecSpec({ name: 'aac' }), { ok: true, spec: { name: 'aac', sampleRate: 16000, channels: 1, clockRate: 16000 } });
  for (const rate of [8000, 16000, 22050, 24000, 32000, 44100, 48000]) {
    t.match(parseCodecSpec({ name: 'aac', sampleRate: rate }), { ok: true, spec: { sampleRate: rate, clockRate: rate } }, `aac ${rate}`);
  }
});

t.test('codec specs: each refusal has its code', async (t) => {
  const cases: [unknown, string][] = [
    [null, 'invalid_codec'],
    ['opus', 'invalid_codec'],
    [['opus'], 'invalid_codec'],
    [{ name: 'opus', channels: 2 }, 'invalid_codec'],
    [{}, 'unsupported_codec'],
    [{ name: 'g722' }, 'unsupported_codec'],
    [{ name: 'OPUS' }, 'unsupported_codec'],
    [{ name: 2 }, 'unsupported_codec'],
    [{ name: 'pcmu', sampleRate: 16000 }, 'unsupported_sample_rate'],
    [{ name: 'opus', sampleRate: 8000 }, 'unsupported_sample_rate'],
    [{ name: 'opus', sampleRate: '48000' }, 'unsupported_sample_rate'],
    [{ name: 'aac', sampleRate: 11025 }, 'unsupported_sample_rate'],
    [{ name: 'aac', sampleRate: 16000.5 }, 'unsupported_sample_rate'],
  ];
  for (const [value, code] of cases) t.match(parseCodecSpec(value), { ok: false, code, message: String }, JSON.stringify(value));
});

t.test('the documented schema lists exactly what the parser accepts', async (t) => {
  t.same(CODEC_ARGS_SCHEMA.properties.name.enum, ['pcmu', 'pcma', 'opus', 'aac']);
  for (const name of CODEC_ARGS_SCHEMA.properties.name.enum) {
    const accepted = CODEC_ARGS_SCHEMA.properties.sampleRate.enum.filter((sampleRate) => parseCodecSpec({ name, sampleRate }).ok);
    t.ok(accepted.length > 0, `${name} has a rate in the schema`);
  }
  const union = CODEC_ARGS_SCHEMA.properties.sampleRate.enum.filter((sampleRate) => CODEC_ARGS_SCHEMA.properties.name.enum.some((name) => parseCodecSpec({ name, sampleRate }).ok));
  t.same(union, CODEC_ARGS_SCHEMA.properties.sampleRate.enum, 'no schema rate is refused by every codec');
});

t.test('codec ids map both ways and leave 255 free', async (t) => {
  for (const [name, id] of Object.entries(CODEC_IDS)) t.equal(codecFromId(id), name);
  t.equal(codecFromId(4), undefined);
  t.equal(codecFromId(255), undefined);
});

t.test('G.711 and AAC durations', async (t) => {
  const pcmu = codecSpec('pcmu');
  t.equal(payloadDuration(pcmu, new Uint8Array(160)), 160);
  t.equal(payloadDuration(pcmu, new Uint8Array(1)), 1);
  t.equal(payloadDuration(pcmu, new Uint8Array(1500)), 1500);
  t.equal(payloadDuration(pcmu, new Uint8Array(0)), null);
  t.equal(payloadDuration(pcmu, new Uint8Array(1501)), null);
  const aac = codecSpec('aac', 48000);
  t.equal(payloadDuration(aac, AAC_SILENCE_FRAME), 1024, 'one AU is 1024 samples at any rate');
  t.equal(payloadDuration(aac, new Uint8Array(0)), null);
  t.equal(payloadDuration(aac, Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc)), null, 'an ADTS frame is not a raw AU');
  t.equal(payloadDuration(aac, Uint8Array.of(0xff, 0xe1)), 1024, '0xFFE is no syncword');
});

t.test('Opus durations follow the TOC byte (RFC 6716 §3.1) and R1–R7 refuse malformed packets', async (t) => {
  const opus = codecSpec('opus');
  const d = (...bytes: number[]) => payloadDuration(opus, Uint8Array.from(bytes));
  const toc = (config: number, code: number) => (config << 3) | code;
  // Frame size per configuration: SILK 10/20/40/60, Hybrid 10/20, CELT 2.5/5/10/20 ms.
  const expected = [10, 20, 40, 60, 10, 20, 40, 60, 10, 20, 40, 60, 10, 20, 10, 20, 2.5, 5, 10, 20, 2.5, 5, 10, 20, 2.5, 5, 10, 20, 2.5, 5, 10, 20];
  for (let config = 0; config < 32; config++) t.equal(d(toc(config, 0), 0xaa), expected[config]! * 48, `config ${config}`);
  t.equal(d(...OPUS_SILENCE_FRAME), 960);
  t.equal(d(toc(31, 0)), 960, 'code 0 with an empty frame (DTX) is legal');
  t.equal(d(), null, 'R1: empty');
  t.equal(payloadDuration(opus, Uint8Array.from({ length: 1277 }, (_, i) => (i === 0 ? toc(31, 0) : 0))), null, 'R2: a 1276-byte frame');
  t.equal(d(toc(31, 1), 1, 2), 1920, 'code 1: two equal frames');
  t.equal(d(toc(31, 1), 1, 2, 3), null, 'R3: code 1 with an odd length');
  t.equal(d(toc(31, 2), 2, 9, 9, 7), 1920, 'code 2: first frame 2 bytes, second 1');
  t.equal(d(toc(31, 2), 2, 9, 9), 1920, 'code 2: empty second frame');
  t.equal(d(toc(31, 2), 3, 9, 9), null, 'R4: first length beyond the packet');
  t.equal(d(toc(31, 2)), null, 'R4: no length byte');
  t.equal(d(toc(31, 2), 252), null, 'R4: two-byte length cut short');
  t.equal(d(toc(31, 3)), null, 'code 3 without count byte');
  t.equal(d(toc(31, 3), 0), null, 'R5: zero frames');
  t.equal(d(toc(3, 3), 2, 1, 1), 5760, 'two 60 ms frames = 120 ms, the limit');
  t.equal(d(toc(3, 3), 3, 1, 1, 1), null, 'R5: three 60 ms frames');
  t.equal(d(toc(16, 3), 48), 48 * 120, '48 × 2.5 ms of empty frames');
  t.equal(d(toc(16, 3), 49), null, 'R5: 49 × 2.5 ms');
  t.equal(d(toc(31, 3), 3, 1, 2, 3), 2880, 'CBR: 3 bytes over 3 frames');
  t.equal(d(toc(31, 3), 3, 1, 2, 3, 4), null, 'R6: CBR bytes not divisible by the count');
  t.equal(d(toc(31, 3), 0x40 | 2, 2, 5, 6, 0, 0), 1920, 'CBR with 2 bytes of padding');
  t.equal(d(toc(31, 3), 0x40 | 2, 255, 0, 1, 2), null, 'padding 255, 0 claims 254 bytes that are not there');
  t.equal(d(toc(31, 3), 0x40 | 2, 9, 1, 2), null, 'padding longer than the packet');
  t.equal(d(toc(31, 3), 0x80 | 3, 1, 2, 7, 8, 8, 9), 2880, 'VBR: lengths 1, 2, rest 3');
  t.equal(d(toc(31, 3), 0x80 | 3, 1, 5, 7), null, 'R7: VBR lengths exceed the packet');
});

t.test('G.711 silence is exact, in payloads of at most 20 ms, and decodes to (near) zero', async (t) => {
  const pcmu = codecSpec('pcmu');
  const payloads = silencePayloads(pcmu, 400);
  t.same(payloads.map((p) => p.length), [160, 160, 80]);
  t.ok(payloads.every((p) => p.every((b) => b === 0xff)));
  t.ok(silencePayloads(codecSpec('pcma'), 160)[0]!.every((b) => b === 0xd5));
  t.same(silencePayloads(pcmu, 0), []);
  t.same(silencePayloads(pcmu, -5), []);
  t.same(silencePayloads(pcmu, Number.NaN), []);
  const mu = decode(pcmu, payloads);
  t.equal(mu.length, 400);
  t.equal(peak(mu), 0, 'µ-law 0xFF is zero');
  const a = decode(codecSpec('pcma'), silencePayloads(codecSpec('pcma'), 400));
  t.equal(a.length, 400);
  t.equal(peak(a), 8, 'A-law has no zero code: 0xD5 is its smallest step, ±8 of 32767 (−72 dBFS)');
});

t.test('Opus silence: 20 ms frames, rounded up, decoding to digital silence', async (t) => {
  for (const sampleRate of [48000, 16000]) {
    const spec = codecSpec('opus', sampleRate);
    t.equal(silencePayloads(spec, 960).length, 1);
    t.equal(silencePayloads(spec, 961).length, 2, 'at least the duration asked for');
    const payloads = silencePayloads(spec, 50 * 960);
    t.equal(payloads.length, 50);
    const pcm = decode(spec, payloads);
    // ffmpeg's decoder runs at 48 kHz and drops the OpusHead pre-skip (312) once.
    t.equal(pcm.length, 50 * 960 - 312, `${sampleRate}: 960 samples per frame at 48 kHz, less pre-skip`);
    t.equal(peak(pcm), 0, `${sampleRate}: every sample zero`);
  }
});

t.test('AAC silence: one 4-byte AU per 1024 samples, decoding to silence at 16 and 48 kHz', async (t) => {
  for (const sampleRate of [16000, 48000]) {
    const spec = codecSpec('aac', sampleRate);
    t.equal(silencePayloads(spec, 1024).length, 1);
    t.equal(silencePayloads(spec, 1025).length, 2, 'at least the duration asked for');
    const payloads = silencePayloads(spec, sampleRate);
    t.equal(payloads.length, Math.ceil(sampleRate / 1024));
    const pcm = decode(spec, payloads);
    t.equal(pcm.length, payloads.length * 1024, `${sampleRate}: 1024 samples per AU`);
    t.equal(peak(pcm), 0, `${sampleRate}: every sample zero`);
  }
});

t.test('AudioSpecificConfig and OpusHead bytes', async (t) => {
  t.same([...audioSpecificConfig(codecSpec('aac', 16000))], [0x14, 0x08], 'LC, index 8, mono');
  t.same([...audioSpecificConfig(codecSpec('aac', 48000))], [0x11, 0x88], 'LC, index 3, mono');
  t.same([...audioSpecificConfig(codecSpec('aac', 44100))], [0x12, 0x08], 'LC, index 4, mono');
  t.same([...audioSpecificConfig(codecSpec('aac', 8000))], [0x15, 0x88], 'LC, index 11, mono');
  const head = Buffer.from(opusHead(codecSpec('opus', 16000)));
  t.equal(head.length, 19);
  t.equal(head.toString('ascii', 0, 8), 'OpusHead');
  t.equal(head[8], 1, 'version');
  t.equal(head[9], 1, 'channels');
  t.equal(head.readUInt16LE(10), 312, 'pre-skip');
  t.equal(head.readUInt32LE(12), 16000, 'input rate');
  t.equal(head.readInt16LE(16), 0, 'gain');
  t.equal(head[18], 0, 'mapping family');
});
