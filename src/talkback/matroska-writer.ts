import { audioSpecificConfig, OPUS_PRE_SKIP, opusHead, type CodecSpec } from './codec.js';

/**
 * A live Matroska stream of one mono audio track, written to ffmpeg's stdin
 * (`-f matroska -i pipe:0`) so it decodes downlink payloads as they arrive.
 *
 * Why Matroska and why this shape (measured with ffmpeg 5.1): the raw
 * `-f mulaw` demuxer reads 40 ms packets and so adds latency; Ogg needs
 * granule bookkeeping and page CRCs; a Matroska Segment of unknown size
 * where EVERY frame is its own known-size Cluster { Timestamp, SimpleBlock }
 * is demuxed frame by frame, because each Cluster is complete the moment its
 * bytes are in. No Cues, no SeekHead: the stream is never seeked.
 *
 * Pure: it returns bytes, the caller writes them.
 */

/** EBML element ids, written as their raw bytes (the id includes its length marker). */
const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  Channels: 0x9f,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
} as const;

/** Segment size "unknown" (all ones, 8-byte form): the stream has no end we know of. */
const UNKNOWN_SIZE = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

const APP_NAME = 'camera-agent talkback';

function idBytes(id: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Uint8Array.from(bytes);
}

/** EBML variable-size integer of the shortest length (an all-ones value would mean "unknown", so it moves up a length). */
function sizeVint(size: number): Uint8Array {
  for (let length = 1; length <= 8; length++) {
    if (size < 2 ** (7 * length) - 1) {
      const bytes = new Uint8Array(length);
      let v = size;
      for (let i = length - 1; i >= 0; i--) {
        bytes[i] = v % 256;
        v = Math.floor(v / 256);
      }
      bytes[0]! |= 0x80 >> (length - 1);
      return bytes;
    }
  }
  throw new RangeError(`EBML element of ${size} bytes`); // unreachable: frames are at most a few KB
}

/** Big-endian unsigned integer in the fewest bytes (at least one); exact up to 2^53. */
function uintBytes(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = Math.max(0, Math.floor(value));
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  return Uint8Array.from(bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

function element(id: number, ...children: Uint8Array[]): Uint8Array {
  const body = concat(children);
  return concat([idBytes(id), sizeVint(body.length), body]);
}

const uint = (id: number, value: number) => element(id, uintBytes(value));
const text = (id: number, value: string) => element(id, Buffer.from(value, 'ascii'));
const float64 = (id: number, value: number) => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(value);
  return element(id, bytes);
};

/** WAVEFORMATEX (mmreg.h), little-endian: how A_MS/ACM says "G.711 mono 8 kHz". */
function waveFormatEx(formatTag: number): Uint8Array {
  const bytes = Buffer.alloc(18);
  bytes.writeUInt16LE(formatTag, 0); // WAVE_FORMAT_MULAW 7 / WAVE_FORMAT_ALAW 6
  bytes.writeUInt16LE(1, 2); // nChannels
  bytes.writeUInt32LE(8000, 4); // nSamplesPerSec
  bytes.writeUInt32LE(8000, 8); // nAvgBytesPerSec
  bytes.writeUInt16LE(1, 12); // nBlockAlign
  bytes.writeUInt16LE(8, 14); // wBitsPerSample
  bytes.writeUInt16LE(0, 16); // cbSize
  return bytes;
}

/**
 * What goes in the TrackEntry per codec. Matroska has no native G.711 id, so
 * it rides in the VfW-compatibility id A_MS/ACM, which ffmpeg maps through
 * the WAVEFORMATEX tag. Opus declares its pre-skip twice, in OpusHead and as
 * CodecDelay (nanoseconds), as the Matroska codec mapping requires; ffmpeg
 * skips it once. SeekPreRoll 80 ms is the mapping's recommended value.
 */
function codecElements(spec: CodecSpec): Uint8Array[] {
  switch (spec.name) {
    case 'pcmu':
    case 'pcma':
      return [text(ID.CodecID, 'A_MS/ACM'), element(ID.CodecPrivate, waveFormatEx(spec.name === 'pcmu' ? 7 : 6))];
    case 'opus':
      return [
        text(ID.CodecID, 'A_OPUS'),
        element(ID.CodecPrivate, opusHead(spec)),
        uint(ID.CodecDelay, Math.round((OPUS_PRE_SKIP * 1e9) / 48000)),
        uint(ID.SeekPreRoll, 80_000_000),
      ];
    case 'aac':
      return [text(ID.CodecID, 'A_AAC'), element(ID.CodecPrivate, audioSpecificConfig(spec))];
  }
}

/** The rate the track declares: Opus always decodes at 48 kHz in Matroska's eyes (the OpusHead input rate is informational). */
function trackRate(spec: CodecSpec): number {
  return spec.name === 'opus' ? 48000 : spec.sampleRate;
}

export class MatroskaAudioWriter {
  constructor(private readonly spec: CodecSpec) {}

  /** EBML header, Segment start (unknown size), Info and Tracks: written once, before any frame. */
  header(): Uint8Array {
    const ebml = element(
      ID.EBML,
      uint(ID.EBMLVersion, 1),
      uint(ID.EBMLReadVersion, 1),
      uint(ID.EBMLMaxIDLength, 4),
      uint(ID.EBMLMaxSizeLength, 8),
      text(ID.DocType, 'matroska'),
      uint(ID.DocTypeVersion, 4),
      uint(ID.DocTypeReadVersion, 2),
    );
    const info = element(ID.Info, uint(ID.TimestampScale, 1_000_000), text(ID.MuxingApp, APP_NAME), text(ID.WritingApp, APP_NAME));
    const track = element(
      ID.TrackEntry,
      uint(ID.TrackNumber, 1),
      uint(ID.TrackUID, 1),
      uint(ID.TrackType, 2), // audio
      uint(ID.FlagLacing, 0),
      ...codecElements(this.spec),
      element(ID.Audio, float64(ID.SamplingFrequency, trackRate(this.spec)), uint(ID.Channels, 1)),
    );
    return concat([ebml, idBytes(ID.Segment), UNKNOWN_SIZE, info, element(ID.Tracks, track)]);
  }

  /**
   * One payload as its own Cluster. `timestampMs` is the frame's presentation
   * time in milliseconds (TimestampScale 1 ms), rounded and clamped at 0;
   * a u64 in the file, exact for any session length.
   */
  frame(payload: Uint8Array, timestampMs: number): Uint8Array {
    const ms = Number.isFinite(timestampMs) ? Math.max(0, Math.round(timestampMs)) : 0;
    // Track number 1 as a 1-byte vint, relative timestamp 0 (int16), flags: keyframe.
    const block = element(ID.SimpleBlock, Uint8Array.of(0x81, 0x00, 0x00, 0x80), payload);
    return element(ID.Cluster, uint(ID.Timestamp, ms), block);
  }
}
