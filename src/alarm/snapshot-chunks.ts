/**
 * Snapshot messages for `alarm.delivery = mqtt`. Pure.
 *
 * A JPEG that fits `maxPayloadBytes` is one message: the bare JPEG bytes on
 * `cam/{deviceId}/snapshot/{alarmId}` (the contract outside checks rely on).
 * A larger one is split into messages on the same topic, each starting with
 * a 48-byte header, so a receiver tells the two apart by the first bytes
 * (a JPEG starts FF D8 FF, a chunk with the ASCII magic `CASC`):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `CASC` |
 * | 4 | 1 | version 1 |
 * | 5 | 1 | reserved 0 |
 * | 6 | 2 | chunk index, big-endian, from 0 |
 * | 8 | 2 | chunk count, big-endian |
 * | 10 | 4 | total JPEG bytes, big-endian |
 * | 14 | 2 | reserved 0 |
 * | 16 | 32 | SHA-256 of the whole JPEG |
 *
 * Chunks are published in order at QoS 1; a receiver that sees a repeated
 * index (redelivery after a reconnect) keeps one copy and checks the hash.
 */
import { createHash } from 'node:crypto';

export const CHUNK_MAGIC = Buffer.from('CASC', 'ascii');
export const CHUNK_HEADER_BYTES = 48;

export interface ChunkHeader {
  index: number;
  count: number;
  total: number;
  sha256: string;
}

/** The messages for one JPEG: one bare message when it fits, else headed chunks. */
export function snapshotMessages(jpeg: Uint8Array, maxPayloadBytes: number): Buffer[] {
  if (jpeg.byteLength <= maxPayloadBytes) return [Buffer.from(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength)];
  const body = maxPayloadBytes - CHUNK_HEADER_BYTES;
  if (body <= 0) throw new RangeError(`maxPayloadBytes must exceed the ${CHUNK_HEADER_BYTES}-byte chunk header`);
  const count = Math.ceil(jpeg.byteLength / body);
  if (count > 0xffff) throw new RangeError('image needs more than 65535 chunks');
  const hash = createHash('sha256').update(jpeg).digest();
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const part = jpeg.subarray(i * body, Math.min(jpeg.byteLength, (i + 1) * body));
    const msg = Buffer.alloc(CHUNK_HEADER_BYTES + part.byteLength);
    CHUNK_MAGIC.copy(msg, 0);
    msg.writeUInt8(1, 4);
    msg.writeUInt16BE(i, 6);
    msg.writeUInt16BE(count, 8);
    msg.writeUInt32BE(jpeg.byteLength, 10);
    hash.copy(msg, 16);
    msg.set(part, CHUNK_HEADER_BYTES);
    out.push(msg);
  }
  return out;
}

/** A chunk's header, or null for a bare JPEG / anything else (what a receiver does first). */
export function parseChunkHeader(msg: Uint8Array): ChunkHeader | null {
  const b = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  if (b.byteLength < CHUNK_HEADER_BYTES || !b.subarray(0, 4).equals(CHUNK_MAGIC) || b.readUInt8(4) !== 1) return null;
  return { index: b.readUInt16BE(6), count: b.readUInt16BE(8), total: b.readUInt32BE(10), sha256: b.subarray(16, 48).toString('hex') };
}

/** Reassembles chunks (any order, duplicates allowed); null while incomplete or when the hash fails. */
export function joinChunks(messages: readonly Uint8Array[]): Buffer | null {
  const parts = new Map<number, Buffer>();
  let header: ChunkHeader | null = null;
  for (const m of messages) {
    const h = parseChunkHeader(m);
    if (!h) continue;
    header ??= h;
    if (h.sha256 !== header.sha256) continue;
    parts.set(h.index, Buffer.from(m.buffer, m.byteOffset, m.byteLength).subarray(CHUNK_HEADER_BYTES));
  }
  if (!header || parts.size !== header.count) return null;
  const whole = Buffer.concat([...Array(header.count).keys()].map((i) => parts.get(i)!));
  if (whole.byteLength !== header.total || createHash('sha256').update(whole).digest('hex') !== header.sha256) return null;
  return whole;
}
