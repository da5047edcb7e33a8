import { CODEC_IDS, codecFromId, MAX_PAYLOAD_BYTES, type CodecName } from './codec.js';

/**
 * The talkback wire frame, the same on every transport (relay WebSocket,
 * local WebSocket, MQTT): a fixed 12-byte big-endian header, then the payload.
 *
 *   0     version (1)
 *   1     type: 0 audio, 1 keepalive, 2 end
 *   2     codec id (codec.ts CODEC_IDS); 255 for keepalive/end
 *   3     flags: bit 0 marker (first frame of a talk spurt); other bits 0
 *   4–7   u32 sequence number, +1 per audio frame, per direction
 *   8–11  u32 timestamp in the codec's clock units (CodecSpec.clockRate)
 *   12–   payload: 1–1500 bytes for audio, none for keepalive/end
 *
 * A fixed header (no TLV) because every frame pays for it 50 times a second,
 * and because a browser can build it with one DataView.
 */
export const TALK_FRAME_VERSION = 1;
export const TALK_FRAME_HEADER_BYTES = 12;
export const MAX_TALK_PAYLOAD_BYTES = MAX_PAYLOAD_BYTES;
/** Codec byte of frames that carry no audio. */
export const NO_CODEC_ID = 255;

const TYPE_IDS = { audio: 0, keepalive: 1, end: 2 } as const;
const MARKER_FLAG = 0x01;

export interface AudioTalkFrame {
  type: 'audio';
  codec: CodecName;
  /** u32. */
  seq: number;
  /** u32, in the codec's clock units. */
  timestamp: number;
  /** First frame of a talk spurt: the receiver may re-anchor its playout here. */
  marker: boolean;
  payload: Uint8Array;
}

/**
 * The far end is alive but silent (push-to-talk released, or DTX), so the
 * transport's idle timeout must not fire. seq/timestamp are the sender's
 * current counters (informational; they do not advance).
 */
export interface KeepaliveTalkFrame {
  type: 'keepalive';
  seq: number;
  timestamp: number;
}

/** The far end finished this talk spurt: play out what is buffered, then stop. */
export interface EndTalkFrame {
  type: 'end';
  seq: number;
  timestamp: number;
}

export type TalkFrame = AudioTalkFrame | KeepaliveTalkFrame | EndTalkFrame;

export type TalkFrameErrorCode =
  /** Fewer than 12 bytes. */
  | 'frame_too_short'
  /** Byte 0 is not 1: a newer (or garbage) sender; the header may mean something else. */
  | 'unsupported_version'
  /** Byte 1 is not 0, 1 or 2. */
  | 'unknown_type'
  /** An audio frame's codec id is not in CODEC_IDS, or a keepalive/end's is not 255. */
  | 'unknown_codec'
  /** A flag bit other than the marker is set, or the marker on keepalive/end. */
  | 'bad_flags'
  /** An audio payload over MAX_TALK_PAYLOAD_BYTES. */
  | 'payload_too_large'
  /** An audio frame without payload. */
  | 'empty_payload'
  /** A keepalive or end frame with payload bytes. */
  | 'unexpected_payload';

export type TalkFrameResult = { ok: true; frame: TalkFrame } | { ok: false; code: TalkFrameErrorCode; message: string };

function fail(code: TalkFrameErrorCode, message: string): TalkFrameResult {
  return { ok: false, code, message };
}

/**
 * Serialises a frame. seq and timestamp are taken modulo 2^32 (a sender's
 * counters wrap), so any number gives a well-formed header; a payload outside
 * 1–1500 bytes is the caller's bug and parseTalkFrame on the far end refuses it.
 */
export function encodeTalkFrame(frame: TalkFrame): Uint8Array {
  const payload = frame.type === 'audio' ? frame.payload : new Uint8Array(0);
  const bytes = new Uint8Array(TALK_FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(bytes.buffer);
  bytes[0] = TALK_FRAME_VERSION;
  bytes[1] = TYPE_IDS[frame.type];
  bytes[2] = frame.type === 'audio' ? CODEC_IDS[frame.codec] : NO_CODEC_ID;
  bytes[3] = frame.type === 'audio' && frame.marker ? MARKER_FLAG : 0;
  view.setUint32(4, frame.seq >>> 0);
  view.setUint32(8, frame.timestamp >>> 0);
  bytes.set(payload, TALK_FRAME_HEADER_BYTES);
  return bytes;
}

/**
 * Parses one frame as received from a transport. Never throws; the payload is
 * a view into `bytes` (copy it if the transport reuses its buffer).
 */
export function parseTalkFrame(bytes: Uint8Array): TalkFrameResult {
  if (bytes.length < TALK_FRAME_HEADER_BYTES) return fail('frame_too_short', `a talk frame has a ${TALK_FRAME_HEADER_BYTES}-byte header, got ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[0]!;
  if (version !== TALK_FRAME_VERSION) return fail('unsupported_version', `talk frame version ${version}, this firmware reads ${TALK_FRAME_VERSION}`);
  const type = bytes[1]!;
  const codecId = bytes[2]!;
  const flags = bytes[3]!;
  const seq = view.getUint32(4);
  const timestamp = view.getUint32(8);
  const payloadLength = bytes.length - TALK_FRAME_HEADER_BYTES;
  if (type === TYPE_IDS.audio) {
    const codec = codecFromId(codecId);
    if (codec === undefined) return fail('unknown_codec', `codec id ${codecId} is not pcmu(0), pcma(1), opus(2) or aac(3)`);
    if ((flags & ~MARKER_FLAG) !== 0) return fail('bad_flags', `flags 0x${flags.toString(16)} set reserved bits`);
    if (payloadLength === 0) return fail('empty_payload', 'an audio frame without payload');
    if (payloadLength > MAX_TALK_PAYLOAD_BYTES) return fail('payload_too_large', `audio payload of ${payloadLength} bytes, at most ${MAX_TALK_PAYLOAD_BYTES}`);
    const payload = bytes.subarray(TALK_FRAME_HEADER_BYTES);
    return { ok: true, frame: { type: 'audio', codec, seq, timestamp, marker: (flags & MARKER_FLAG) !== 0, payload } };
  }
  if (type === TYPE_IDS.keepalive || type === TYPE_IDS.end) {
    const name = type === TYPE_IDS.keepalive ? 'keepalive' : 'end';
    if (codecId !== NO_CODEC_ID) return fail('unknown_codec', `a ${name} frame carries codec id ${NO_CODEC_ID}, got ${codecId}`);
    if (flags !== 0) return fail('bad_flags', `a ${name} frame has no flags, got 0x${flags.toString(16)}`);
    if (payloadLength !== 0) return fail('unexpected_payload', `a ${name} frame has no payload, got ${payloadLength} bytes`);
    return { ok: true, frame: { type: name, seq, timestamp } };
  }
  return fail('unknown_type', `frame type ${type} is not audio(0), keepalive(1) or end(2)`);
}
