/**
 * Facts about the talkback codecs: which ones exist, their clocks, how long
 * a payload plays, what silence looks like in each, and the codec
 * configuration a decoder needs. No I/O: the session, the Matroska writer
 * (downlink decoder input) and the payload splitter (uplink encoder output)
 * all take their numbers from here.
 */

export type CodecName = 'pcmu' | 'pcma' | 'opus' | 'aac';

export const CODEC_NAMES: readonly CodecName[] = ['pcmu', 'pcma', 'opus', 'aac'];

/** Byte 2 of a talk frame (talk-frame.ts). 255 is reserved there for keepalive/end. */
export const CODEC_IDS: Readonly<Record<CodecName, number>> = { pcmu: 0, pcma: 1, opus: 2, aac: 3 };

/** The inverse of CODEC_IDS; undefined for an id no codec has. */
export function codecFromId(id: number): CodecName | undefined {
  return CODEC_NAMES.find((name) => CODEC_IDS[name] === id);
}

/**
 * Largest payload of one frame: one Ethernet MTU's worth, so a frame never
 * needs IP fragmentation on the relay's UDP legs. talk-frame.ts enforces it on
 * the wire; it also bounds what payloadDuration and the splitter accept.
 */
export const MAX_PAYLOAD_BYTES = 1500;

export interface CodecSpec {
  name: CodecName;
  /** Rate of the decoded audio (what the encoder is fed, what the decoder is told). */
  sampleRate: number;
  /** Talkback is mono both ways: one microphone, one speaker. */
  channels: 1;
  /**
   * Units of talk-frame timestamps and of payload durations: 8000 for G.711,
   * 48000 for Opus whatever its sampleRate (RFC 7587 §4.1), sampleRate for AAC.
   */
  clockRate: number;
}

export type CodecErrorCode =
  /** `name` is missing, not a string, or not one of CODEC_NAMES. */
  | 'unsupported_codec'
  /** A sampleRate the codec does not run at here (G.711 is 8000 only). */
  | 'unsupported_sample_rate'
  /** Not an object, or an object with keys other than name/sampleRate. */
  | 'invalid_codec';

export type CodecSpecResult = { ok: true; spec: CodecSpec } | { ok: false; code: CodecErrorCode; message: string };

/**
 * Rates each codec is accepted at, the default first. Opus stops at 16 kHz
 * and 48 kHz: wideband is what speech needs, fullband is what browsers send,
 * and both are native Opus rates (no resampler in the decoder). AAC takes the
 * common rates of the ADTS sampling-frequency table a camera or app uses.
 */
const SAMPLE_RATES: Readonly<Record<CodecName, readonly number[]>> = {
  pcmu: [8000],
  pcma: [8000],
  opus: [48000, 16000],
  aac: [16000, 8000, 22050, 24000, 32000, 44100, 48000],
};

/** The codec arguments as documented (docs generator, API/MQTT schema). parseCodecSpec is the authority. */
export const CODEC_ARGS_SCHEMA = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { enum: [...CODEC_NAMES], description: 'pcmu/pcma: G.711 at 8 kHz; opus: RFC 6716; aac: AAC-LC raw access units.' },
    sampleRate: {
      type: 'integer',
      enum: [...new Set([...SAMPLE_RATES.pcmu, ...SAMPLE_RATES.opus, ...SAMPLE_RATES.aac])].sort((a, b) => a - b),
      description: 'Decoded audio rate. pcmu/pcma: 8000 only; opus: 16000 or 48000 (default 48000); aac: 8000–48000 (default 16000).',
    },
  },
} as const;

function fail(code: CodecErrorCode, message: string): CodecSpecResult {
  return { ok: false, code, message };
}

function clockRateOf(name: CodecName, sampleRate: number): number {
  if (name === 'pcmu' || name === 'pcma') return 8000;
  if (name === 'opus') return 48000;
  return sampleRate;
}

/** Builds a spec without validation, for code that already holds a known-good pair. */
export function codecSpec(name: CodecName, sampleRate: number = SAMPLE_RATES[name][0]!): CodecSpec {
  return { name, sampleRate, channels: 1, clockRate: clockRateOf(name, sampleRate) };
}

/** Validates codec arguments as they come from the API or MQTT (`{ name, sampleRate? }`). Never throws. */
export function parseCodecSpec(value: unknown): CodecSpecResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('invalid_codec', 'codec must be an object like { "name": "opus" }');
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => key !== 'name' && key !== 'sampleRate');
  if (extra.length > 0) return fail('invalid_codec', `unknown codec field ${JSON.stringify(extra[0])}`);
  const name = record.name;
  if (typeof name !== 'string' || !(CODEC_NAMES as readonly string[]).includes(name)) {
    return fail('unsupported_codec', `codec name must be one of ${CODEC_NAMES.join(', ')}`);
  }
  const codec = name as CodecName;
  const rates = SAMPLE_RATES[codec];
  const rate = record.sampleRate;
  if (rate === undefined) return { ok: true, spec: codecSpec(codec) };
  if (typeof rate !== 'number' || !rates.includes(rate)) {
    return fail('unsupported_sample_rate', `${codec} sampleRate must be one of ${[...rates].sort((a, b) => a - b).join(', ')}`);
  }
  return { ok: true, spec: codecSpec(codec, rate) };
}

/** Opus frame sizes in 48 kHz units by TOC config (RFC 6716 §3.1, Table 2). */
function opusFrameSize(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config & 3]!; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config & 1]!; // Hybrid: 10, 20 ms
  return [120, 240, 480, 960][config & 3]!; // CELT-only: 2.5, 5, 10, 20 ms
}

/** RFC 6716 §3.2.1 frame length: 0–251 in one byte, 252–1275 in two. Returns [length, bytes used] or null. */
function opusLength(packet: Uint8Array, at: number): [number, number] | null {
  const first = packet[at];
  if (first === undefined) return null;
  if (first < 252) return [first, 1];
  const second = packet[at + 1];
  if (second === undefined) return null;
  return [second * 4 + first, 2];
}

/** The longest an Opus packet may play (RFC 6716 §3.2.5, R5). */
const OPUS_MAX_PACKET_UNITS = 120 * 48;
/** The largest compressed Opus frame (RFC 6716 §3.2.1, R2). */
const OPUS_MAX_FRAME_BYTES = 1275;

/**
 * Duration of an Opus packet in 48 kHz units, or null when it breaks one of
 * the RFC 6716 §3.4 requirements R1–R7 (a decoder would reject it, so it must
 * not count as audio).
 */
function opusDuration(packet: Uint8Array): number | null {
  const toc = packet[0];
  if (toc === undefined) return null; // R1
  const frameSize = opusFrameSize(toc >> 3);
  const rest = packet.length - 1;
  switch (toc & 3) {
    case 0:
      return rest <= OPUS_MAX_FRAME_BYTES ? frameSize : null; // R2
    case 1:
      return rest % 2 === 0 && rest / 2 <= OPUS_MAX_FRAME_BYTES ? 2 * frameSize : null; // R3
    case 2: {
      const length = opusLength(packet, 1);
      if (length === null) return null;
      const [first, used] = length;
      const second = rest - used - first;
      return first <= OPUS_MAX_FRAME_BYTES && second >= 0 && second <= OPUS_MAX_FRAME_BYTES ? 2 * frameSize : null; // R4
    }
    default: {
      const countByte = packet[1];
      if (countByte === undefined) return null; // R6/R7: at least two bytes
      const count = countByte & 0x3f;
      if (count === 0 || count * frameSize > OPUS_MAX_PACKET_UNITS) return null; // R5
      const vbr = (countByte & 0x80) !== 0;
      let at = 2;
      let padding = 0;
      if (countByte & 0x40) {
        // Padding length: each 255 adds 254 and continues (§3.2.5).
        for (;;) {
          const byte = packet[at++];
          if (byte === undefined) return null;
          padding += byte === 255 ? 254 : byte;
          if (byte !== 255) break;
        }
      }
      let available = packet.length - at - padding;
      if (available < 0) return null;
      if (vbr) {
        for (let i = 0; i < count - 1; i++) {
          const length = opusLength(packet, at);
          if (length === null) return null;
          at += length[1];
          available -= length[1] + length[0];
          if (length[0] > OPUS_MAX_FRAME_BYTES || available < 0) return null; // R7
        }
        if (available > OPUS_MAX_FRAME_BYTES) return null;
      } else if (available % count !== 0 || available / count > OPUS_MAX_FRAME_BYTES) {
        return null; // R6
      }
      return count * frameSize;
    }
  }
}

/** True when `bytes` start with the 12-bit ADTS syncword: a framed AAC stream where a raw AU is expected. */
export function startsWithAdtsSync(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0xff && (bytes[1]! & 0xf0) === 0xf0;
}

/**
 * How long a payload plays, in `spec.clockRate` units; null when it is not a
 * well-formed payload of that codec (the frame is dropped, not guessed at).
 * G.711: one byte per sample. Opus: from the TOC byte (RFC 6716 §3.1).
 * AAC: one raw AAC-LC access unit is always 1024 samples.
 */
export function payloadDuration(spec: CodecSpec, payload: Uint8Array): number | null {
  if (payload.length === 0 || payload.length > MAX_PAYLOAD_BYTES) return null;
  switch (spec.name) {
    case 'pcmu':
    case 'pcma':
      return payload.length;
    case 'opus':
      return opusDuration(payload);
    case 'aac':
      // A raw AU cannot start with 0xFFF: its first 3 bits would be ID_END, an
      // AU with no audio element. So this is the far end sending ADTS frames,
      // whose header the decoder (configured by AudioSpecificConfig) would
      // misread as a channel element.
      return startsWithAdtsSync(payload) ? null : 1024;
  }
}

/** µ-law encodes zero as 0xFF (G.711 inverts the bits), A-law as 0xD5 (even bits inverted). */
const G711_SILENCE: Readonly<Record<'pcmu' | 'pcma', number>> = { pcmu: 0xff, pcma: 0xd5 };

/**
 * A 20 ms CELT-only fullband mono frame (TOC 0xF8: config 31, code 0) whose
 * range-coded body FF FE decodes to the silence flag: digital zero, no noise
 * shaping. The same bytes libopus' DTX and WebRTC send for silence.
 */
export const OPUS_SILENCE_FRAME: Uint8Array = Uint8Array.of(0xf8, 0xff, 0xfe);

/**
 * A raw AAC-LC mono access unit that decodes to 1024 zero samples at any
 * sampling rate: one single_channel_element with global_gain 140, a long
 * window and max_sfb = 0 (no spectral data at all), then ID_END. Taken from
 * ffmpeg 5.1's native encoder fed `anullsrc` (every frame after the first, at
 * 8, 16, 44.1 and 48 kHz alike) and decoded bit by bit: 32 bits exactly, so it
 * needs no byte-alignment padding. test/unit/talkback/codec.test.ts decodes it
 * with ffmpeg at 16 and 48 kHz.
 */
export const AAC_SILENCE_FRAME: Uint8Array = Uint8Array.of(0x01, 0x18, 0x20, 0x07);

/**
 * Payloads that decode to silence covering `duration` clock units, to stand
 * in for lost frames so the decoder's timeline stays whole. G.711 is exact
 * (in payloads of at most 20 ms); Opus (960 units per frame) and AAC (1024
 * per frame) round UP to whole frames, so the result may be longer by less
 * than one frame. Nothing for a duration ≤ 0 or not finite.
 */
export function silencePayloads(spec: CodecSpec, duration: number): Uint8Array[] {
  if (!Number.isFinite(duration) || duration <= 0) return [];
  const out: Uint8Array[] = [];
  switch (spec.name) {
    case 'pcmu':
    case 'pcma': {
      // 20 ms payloads: what the session sends anyway, and each stays far below MAX_PAYLOAD_BYTES.
      const chunk = 160;
      let left = Math.ceil(duration);
      while (left > 0) {
        out.push(new Uint8Array(Math.min(chunk, left)).fill(G711_SILENCE[spec.name]));
        left -= chunk;
      }
      return out;
    }
    case 'opus':
      for (let i = 0; i < Math.ceil(duration / 960); i++) out.push(OPUS_SILENCE_FRAME.slice());
      return out;
    case 'aac':
      for (let i = 0; i < Math.ceil(duration / 1024); i++) out.push(AAC_SILENCE_FRAME.slice());
      return out;
  }
}

/** ISO 14496-3 Table 1.16 sampling frequency index (also the ADTS header's). */
export const AAC_SAMPLE_RATES: readonly number[] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * AudioSpecificConfig (ISO 14496-3 §1.6.2.1) for AAC-LC mono: 5 bits object
 * type 2, 4 bits frequency index, 4 bits channel configuration 1, then
 * GASpecificConfig's three zero bits. What Matroska's A_AAC CodecPrivate holds.
 * The spec must come from parseCodecSpec: its AAC rates all have an index.
 */
export function audioSpecificConfig(spec: CodecSpec): Uint8Array {
  const index = Math.max(0, AAC_SAMPLE_RATES.indexOf(spec.sampleRate));
  const objectType = 2; // AAC LC
  const channelConfig = 1;
  return Uint8Array.of((objectType << 3) | (index >> 1), ((index & 1) << 7) | (channelConfig << 3));
}

/**
 * libopus' encoder delay at 48 kHz, the value its Ogg muxer writes: the first
 * 312 decoded samples are encoder lookahead and are dropped (RFC 7845 §4.2).
 */
export const OPUS_PRE_SKIP = 312;

/**
 * The 19-byte OpusHead identification header (RFC 7845 §5.1): Matroska's
 * A_OPUS CodecPrivate. Mapping family 0 (mono/stereo, no table).
 */
export function opusHead(spec: CodecSpec): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(Buffer.from('OpusHead', 'ascii'), 0);
  head[8] = 1; // version
  head[9] = spec.channels;
  view.setUint16(10, OPUS_PRE_SKIP, true);
  view.setUint32(12, spec.sampleRate, true); // input rate: informational, the decoder runs at 48 kHz or what it is asked
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // channel mapping family
  return head;
}
