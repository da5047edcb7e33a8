import t from 'tap';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { encodeTalkFrame, MAX_TALK_PAYLOAD_BYTES, parseTalkFrame, TALK_FRAME_HEADER_BYTES, type TalkFrame } from '../../../src/talkback/talk-frame.js';

/** A header written byte by byte, so the tests do not trust encodeTalkFrame to check parseTalkFrame. */
function raw(header: { version?: number; type?: number; codec?: number; flags?: number; seq?: number; timestamp?: number }, payload = new Uint8Array(0)): Uint8Array {
  const bytes = new Uint8Array(TALK_FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = header.version ?? 1;
  bytes[1] = header.type ?? 0;
  bytes[2] = header.codec ?? 2;
  bytes[3] = header.flags ?? 0;
  view.setUint32(4, header.seq ?? 0);
  view.setUint32(8, header.timestamp ?? 0);
  bytes.set(payload, TALK_FRAME_HEADER_BYTES);
  return bytes;
}

t.test('the header is 12 bytes, big-endian, in the documented order', async (t) => {
  const bytes = encodeTalkFrame({ type: 'audio', codec: 'aac', seq: 0x01020304, timestamp: 0xa0b0c0d0, marker: true, payload: Uint8Array.of(9, 8, 7) });
  t.same([...bytes], [1, 0, 3, 1, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0, 9, 8, 7]);
  t.same([...encodeTalkFrame({ type: 'keepalive', seq: 5, timestamp: 6 })], [1, 1, 255, 0, 0, 0, 0, 5, 0, 0, 0, 6]);
  t.same([...encodeTalkFrame({ type: 'end', seq: 0, timestamp: 0 })], [1, 2, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

t.test('every frame kind and codec round-trips, including u32 extremes and both payload limits', async (t) => {
  const frames: TalkFrame[] = [];
  for (const codec of ['pcmu', 'pcma', 'opus', 'aac'] as const) {
    for (const marker of [false, true]) {
      frames.push({ type: 'audio', codec, seq: 0xffffffff, timestamp: 0, marker, payload: Uint8Array.of(0xf8) });
      frames.push({ type: 'audio', codec, seq: 0, timestamp: 0xffffffff, marker, payload: new Uint8Array(MAX_TALK_PAYLOAD_BYTES).fill(0x55) });
    }
  }
  frames.push({ type: 'keepalive', seq: 7, timestamp: 123456 }, { type: 'end', seq: 0xffffffff, timestamp: 0xfffffffe });
  for (const frame of frames) t.same(parseTalkFrame(encodeTalkFrame(frame)), { ok: true, frame }, `${frame.type} ${'codec' in frame ? frame.codec : ''}`);
});

t.test('seq and timestamp are written modulo 2^32', async (t) => {
  const parsed = parseTalkFrame(encodeTalkFrame({ type: 'audio', codec: 'opus', seq: 2 ** 32 + 5, timestamp: -1, marker: false, payload: Uint8Array.of(1) }));
  t.match(parsed, { ok: true, frame: { seq: 5, timestamp: 0xffffffff } });
});

t.test('a parsed payload is a view of the received bytes at offset 12', async (t) => {
  const bytes = raw({}, Uint8Array.of(1, 2, 3));
  const parsed = parseTalkFrame(bytes);
  if (!parsed.ok || parsed.frame.type !== 'audio') throw new Error('expected audio');
  t.equal(parsed.frame.payload.buffer, bytes.buffer);
  t.equal(parsed.frame.payload.byteOffset, 12);
});

t.test('each malformation has its own code', async (t) => {
  const one = Uint8Array.of(1);
  const cases: [string, Uint8Array, string][] = [
    ['frame_too_short', new Uint8Array(0), 'empty'],
    ['frame_too_short', raw({}).subarray(0, 11), '11 bytes'],
    ['unsupported_version', raw({ version: 0 }, one), 'version 0'],
    ['unsupported_version', raw({ version: 2 }, one), 'version 2'],
    ['unknown_type', raw({ type: 3 }, one), 'type 3'],
    ['unknown_type', raw({ type: 255, codec: 255 }), 'type 255'],
    ['unknown_codec', raw({ codec: 4 }, one), 'audio with codec 4'],
    ['unknown_codec', raw({ codec: 255 }, one), 'audio with the no-codec id'],
    ['unknown_codec', raw({ type: 1, codec: 0 }), 'keepalive with codec pcmu'],
    ['unknown_codec', raw({ type: 2, codec: 2 }), 'end with codec opus'],
    ['bad_flags', raw({ flags: 0x02 }, one), 'audio reserved bit'],
    ['bad_flags', raw({ flags: 0x81 }, one), 'marker plus top bit'],
    ['bad_flags', raw({ type: 1, codec: 255, flags: 1 }), 'marker on keepalive'],
    ['bad_flags', raw({ type: 2, codec: 255, flags: 4 }), 'flag on end'],
    ['payload_too_large', raw({}, new Uint8Array(MAX_TALK_PAYLOAD_BYTES + 1)), '1501 bytes'],
    ['empty_payload', raw({}), 'audio without payload'],
    ['unexpected_payload', raw({ type: 1, codec: 255 }, one), 'keepalive with a byte'],
    ['unexpected_payload', raw({ type: 2, codec: 255 }, new Uint8Array(20)), 'end with 20 bytes'],
  ];
  for (const [code, bytes, label] of cases) {
    const result = parseTalkFrame(bytes);
    t.match(result, { ok: false, code, message: String }, label);
  }
  t.equal(new Set(cases.map(([code]) => code)).size, 8, 'all eight codes exercised');
});

t.test('random bytes and mutated frames never throw and give a result of the documented shape', async (t) => {
  const random = mulberry32(0x7a1c);
  const codes = new Map<string, number>();
  let ok = 0;
  let reencodeMismatches = 0;
  const valid = encodeTalkFrame({ type: 'audio', codec: 'opus', seq: 1, timestamp: 960, marker: true, payload: Uint8Array.of(0xf8, 0xff, 0xfe) });
  for (let i = 0; i < 20_000; i++) {
    let bytes: Uint8Array;
    if (i % 2 === 0) {
      bytes = Uint8Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 256));
    } else {
      // A valid frame with one byte changed or cut short: the realistic damage.
      bytes = valid.slice(0, random() < 0.2 ? Math.floor(random() * valid.length) : valid.length);
      if (bytes.length > 0) bytes[Math.floor(random() * Math.min(bytes.length, 4))] = Math.floor(random() * 256);
    }
    const result = parseTalkFrame(bytes);
    if (result.ok) {
      ok++;
      if (Buffer.compare(encodeTalkFrame(result.frame), bytes) !== 0) reencodeMismatches++;
    } else codes.set(result.code, (codes.get(result.code) ?? 0) + 1);
  }
  t.ok(ok > 0, 'some mutated frames are still valid');
  t.equal(reencodeMismatches, 0, 'anything accepted re-encodes to the same bytes');
  t.ok(codes.size >= 6, `many codes seen: ${[...codes.keys()].join(', ')}`);
});
