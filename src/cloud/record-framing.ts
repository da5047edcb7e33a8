/**
 * Framing of outbox journal records: pure encode/decode.
 *
 *   u32 BE length of (kind + body) | u32 BE CRC-32 of (kind + body) | u8 kind | body
 *
 * A record cut short by a crash or a power cut (a torn tail) fails the length
 * or CRC check; decoding stops there and reports how many bytes were good,
 * so the writer can truncate the file and append cleanly after it.
 */
export type RecordKind = 'E' | 'A' | 'D';

export interface JournalRecord {
  kind: RecordKind;
  body: Buffer;
}

const HEADER = 8;
/** No record is anywhere near this; a larger length is garbage, not a record. */
export const MAX_RECORD_BYTES = 1024 * 1024;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib and PNG use it). */
export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function encodeRecord(kind: RecordKind, body: Buffer): Buffer {
  const out = Buffer.alloc(HEADER + 1 + body.length);
  out.writeUInt32BE(1 + body.length, 0);
  out.write(kind, HEADER, 'latin1');
  body.copy(out, HEADER + 1);
  out.writeUInt32BE(crc32(out.subarray(HEADER)), 4);
  return out;
}

export interface DecodeResult {
  records: JournalRecord[];
  /** Bytes from the start that hold whole, valid records. */
  goodBytes: number;
  /** Bytes after goodBytes that did not decode (a torn or corrupt tail). */
  badBytes: number;
}

export function decodeRecords(buf: Buffer): DecodeResult {
  const records: JournalRecord[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32BE(off);
    if (len < 1 || len > MAX_RECORD_BYTES || off + HEADER + len > buf.length) break;
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if (crc32(payload) !== buf.readUInt32BE(off + 4)) break;
    const kind = String.fromCharCode(payload[0]!);
    if (kind !== 'E' && kind !== 'A' && kind !== 'D') break;
    records.push({ kind, body: Buffer.from(payload.subarray(1)) });
    off += HEADER + len;
  }
  return { records, goodBytes: off, badBytes: buf.length - off };
}
