import { AAC_SAMPLE_RATES, MAX_PAYLOAD_BYTES, payloadDuration, type CodecSpec } from './codec.js';

/**
 * Cuts ffmpeg's ENCODER output (talkback uplink: microphone PCM → codec)
 * into talk-frame payloads. ffmpeg writes whatever its muxer produced,
 * in pipe-sized chunks, so every format is parsed incrementally:
 *
 * - G.711 (`-f mulaw` / `-f alaw`): raw bytes, one per sample, cut into
 *   `frameMs` payloads;
 * - Opus (`-c:a libopus -f ogg`): Ogg pages (RFC 3533) → packets, minus the
 *   OpusHead/OpusTags headers (RFC 7845);
 * - AAC-LC (`-c:a aac -f adts`): ADTS frames → raw access units.
 *
 * A damaged stream never throws: the parser drops bytes until it finds the
 * next trustworthy boundary (resync) and counts what it dropped. Memory is
 * bounded by MAX_BUFFERED_BYTES whatever arrives.
 */

export interface SplitPayload {
  payload: Uint8Array;
  /** In the codec's clock units (CodecSpec.clockRate). */
  duration: number;
}

export interface SplitterStats {
  /** Payloads emitted. */
  payloads: number;
  /** Bytes skipped while looking for the next page/frame boundary. */
  droppedBytes: number;
  /** Times the parser lost sync (bad CRC, bad header, buffer overrun) and searched again. */
  resyncs: number;
  /** Well-framed payloads refused: over MAX_PAYLOAD_BYTES, not a valid Opus packet, ADTS of another rate/profile. */
  rejectedPayloads: number;
}

export interface PayloadSplitter {
  /** Feed the next chunk of encoder output (any size, any boundary); returns the payloads it completed. */
  push(chunk: Uint8Array): SplitPayload[];
  /** End of stream: G.711 returns its partial last frame; Ogg/ADTS leftovers are incomplete and dropped. */
  flush(): SplitPayload[];
  stats(): SplitterStats;
}

/**
 * Most bytes held while waiting for a boundary. An Ogg page is at most
 * 27 + 255 + 255·255 = 65 307 bytes and an ADTS frame 8 191, so 64 KiB holds
 * any legal unit whole; past it the stream is garbage and is dropped.
 */
export const MAX_BUFFERED_BYTES = 64 * 1024;

/** G.711 frame sizes accepted: whole milliseconds whose payload fits a talk frame (8 bytes per ms). */
const MAX_G711_FRAME_MS = Math.floor(MAX_PAYLOAD_BYTES / 8);

/** Appends chunks and lets the parser consume from the front, with one compaction per push. */
class ByteQueue {
  private bytes = new Uint8Array(0);
  private start = 0;

  get length(): number {
    return this.bytes.length - this.start;
  }

  append(chunk: Uint8Array): void {
    const rest = this.bytes.subarray(this.start);
    const next = new Uint8Array(rest.length + chunk.length);
    next.set(rest, 0);
    next.set(chunk, rest.length);
    this.bytes = next;
    this.start = 0;
  }

  at(offset: number): number | undefined {
    return this.bytes[this.start + offset];
  }

  /** A copy, so emitted payloads never alias the queue's buffer. */
  copy(from: number, to: number): Uint8Array {
    return this.bytes.slice(this.start + from, this.start + to);
  }

  /** First offset ≥ from where `match` holds, or -1. */
  find(from: number, match: (offset: number) => boolean): number {
    for (let i = from; i < this.length; i++) if (match(i)) return i;
    return -1;
  }

  drop(count: number): void {
    this.start += Math.min(count, this.length);
  }

  clear(): void {
    this.bytes = new Uint8Array(0);
    this.start = 0;
  }
}

function newStats(): SplitterStats {
  return { payloads: 0, droppedBytes: 0, resyncs: 0, rejectedPayloads: 0 };
}

function g711Splitter(frameMs: number): PayloadSplitter {
  const frameBytes = frameMs * 8;
  const queue = new ByteQueue();
  const stats = newStats();
  const take = (count: number): SplitPayload => {
    const payload = queue.copy(0, count);
    queue.drop(count);
    stats.payloads++;
    return { payload, duration: count };
  };
  return {
    push(chunk) {
      queue.append(chunk);
      const out: SplitPayload[] = [];
      while (queue.length >= frameBytes) out.push(take(frameBytes));
      return out;
    },
    flush() {
      return queue.length > 0 ? [take(queue.length)] : [];
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * CRC-32 of Ogg pages (RFC 3533 §6): polynomial 0x04C11DB7, not reflected,
 * initial value 0 and no final XOR — not the zlib CRC in provisioning/payload.
 */
const OGG_CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function oggCrc(page: Uint8Array): number {
  let crc = 0;
  for (const byte of page) crc = ((crc << 8) ^ OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

const OGG_HEADER_BYTES = 27;
const OGG_CONTINUED = 0x01;
const OGG_BOS = 0x02;
const ASCII = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const CAPTURE = ASCII('OggS');
const OPUS_HEAD = ASCII('OpusHead');
const OPUS_TAGS = ASCII('OpusTags');

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b);
}

/**
 * Ogg Opus. Pages are trusted only when their CRC matches: a match means the
 * whole page, segment table included, is what the muxer wrote. Header
 * packets are recognised by their magic rather than by position, which also
 * works when the splitter starts mid-stream; no audio packet can start with
 * "OpusHead"/"OpusTags" (TOC 0x4F then count byte 0x70 asks for 48 × 20 ms,
 * over the 120 ms limit), so nothing real is ever skipped.
 */
function oggOpusSplitter(spec: CodecSpec): PayloadSplitter {
  const queue = new ByteQueue();
  const stats = newStats();
  /** Parts of a packet that continues on the next page; null when none is open. */
  let partial: Uint8Array[] | null = null;
  let partialBytes = 0;
  /** A packet too large for a talk frame is still being skipped across pages. */
  let partialOversize = false;
  let serial: number | null = null;

  const closePartial = () => {
    partial = null;
    partialBytes = 0;
    partialOversize = false;
  };

  const isCapture = (at: number) => CAPTURE.every((b, i) => queue.at(at + i) === b);

  /** Drops bytes up to the next "OggS" after the current position (or all but a possible partial pattern). */
  const resync = () => {
    stats.resyncs++;
    lookahead = 1;
    const next = queue.find(1, isCapture);
    const skip = next >= 0 ? next : Math.max(1, queue.length - (CAPTURE.length - 1));
    stats.droppedBytes += skip;
    queue.drop(skip);
    // A packet cannot continue across bytes we did not read.
    closePartial();
  };

  const emitPacket = (parts: Uint8Array[], oversize: boolean, out: SplitPayload[]) => {
    if (oversize) return void stats.rejectedPayloads++;
    const packet = parts.length === 1 ? parts[0]! : new Uint8Array(Buffer.concat(parts));
    if (startsWith(packet, OPUS_HEAD) || startsWith(packet, OPUS_TAGS)) return;
    const duration = packet.length > 0 ? payloadDuration(spec, packet) : null;
    if (duration === null) return void stats.rejectedPayloads++;
    stats.payloads++;
    out.push({ payload: packet, duration });
  };

  /** Length of the page at `at` when all of it is buffered, else null. */
  const pageBytesAt = (at: number): number | null => {
    if (queue.length < at + OGG_HEADER_BYTES) return null;
    const segments = queue.at(at + 26)!;
    if (queue.length < at + OGG_HEADER_BYTES + segments) return null;
    let length = OGG_HEADER_BYTES + segments;
    for (let i = 0; i < segments; i++) length += queue.at(at + OGG_HEADER_BYTES + i)!;
    return queue.length < at + length ? null : length;
  };

  const crcMatches = (at: number, length: number): boolean => {
    const bytes = queue.copy(at, at + length);
    const crc = new DataView(bytes.buffer).getUint32(22, true);
    bytes.fill(0, 22, 26);
    return oggCrc(bytes) === crc;
  };

  /**
   * While the front page is incomplete: has a whole, CRC-valid page already
   * arrived inside the bytes it claims? Then its header was damaged (a
   * lacing value grown to 255 can claim 64 KB, which a live 24 kbit/s stream
   * takes 20 s to fill) and waiting would stall the uplink. Scans each byte
   * once across pushes; `lookahead` is where the scan resumes.
   */
  let lookahead = 1;
  const validPageAhead = (): boolean => {
    for (let at = Math.max(lookahead, 1); at < queue.length; at++) {
      if (!isCapture(at)) continue;
      const length = pageBytesAt(at);
      if (length === null) {
        lookahead = at; // not complete yet: look again on the next push
        return false;
      }
      if (crcMatches(at, length)) return true;
    }
    lookahead = Math.max(1, queue.length - (CAPTURE.length - 1));
    return false;
  };

  /** Parses one complete page at the front of the queue; false when more bytes are needed. */
  const page = (out: SplitPayload[]): boolean => {
    if (queue.length < OGG_HEADER_BYTES) return false;
    if (!isCapture(0) || queue.at(4) !== 0) return resync(), true;
    const length = pageBytesAt(0);
    if (length === null) return validPageAhead() ? (resync(), true) : false;
    if (!crcMatches(0, length)) return resync(), true;
    const bytes = queue.copy(0, length);
    const view = new DataView(bytes.buffer);
    queue.drop(length);
    lookahead = 1;
    const segments = bytes[26]!;
    const headerBytes = OGG_HEADER_BYTES + segments;

    const headerType = bytes[5]!;
    const pageSerial = view.getUint32(14, true);
    if (headerType & OGG_BOS || pageSerial !== serial) {
      // A new (or chained) logical stream: nothing continues into it.
      serial = pageSerial;
      closePartial();
    }
    const continued = (headerType & OGG_CONTINUED) !== 0;
    // A continuation we have no start for (lost page, mid-stream start) is skipped,
    // as is an open packet the next page does not continue.
    let skipping = continued && partial === null;
    if (!continued && partial !== null) {
      stats.rejectedPayloads++;
      closePartial();
    }
    let at = headerBytes;
    for (let i = 0; i < segments; i++) {
      const lace = bytes[OGG_HEADER_BYTES + i]!;
      const segment = bytes.subarray(at, at + lace);
      at += lace;
      if (!skipping) {
        partial ??= [];
        if (partialBytes + lace > MAX_PAYLOAD_BYTES) partialOversize = true;
        if (partialOversize) {
          partial = [];
          partialBytes = 0;
        } else {
          partial.push(segment);
          partialBytes += lace;
        }
      }
      if (lace < 255) {
        // Packet ends here.
        if (!skipping && partial !== null) emitPacket(partial, partialOversize, out);
        skipping = false;
        closePartial();
      }
    }
    return true;
  };

  return {
    push(chunk) {
      queue.append(chunk);
      const out: SplitPayload[] = [];
      while (page(out));
      if (queue.length > MAX_BUFFERED_BYTES) resync();
      return out;
    },
    flush() {
      stats.droppedBytes += queue.length;
      queue.clear();
      closePartial();
      return [];
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * ADTS (ISO 14496-3 §1.A.2). A 12-bit syncword is weak evidence in a damaged
 * stream, so after losing sync a header is believed only when another
 * syncword follows exactly frame_length bytes later. In sync, the next frame
 * is believed on its own header: waiting for its successor would add a
 * whole frame (64 ms at 16 kHz) of latency to the uplink.
 */
const MAX_MONO_AU_BYTES = 6144 / 8;

function adtsSplitter(spec: CodecSpec): PayloadSplitter {
  const queue = new ByteQueue();
  const stats = newStats();
  let locked = true;
  const rateIndex = AAC_SAMPLE_RATES.indexOf(spec.sampleRate);

  const isSync = (at: number) => queue.at(at) === 0xff && ((queue.at(at + 1) ?? 0) & 0xf6) === 0xf0;

  /** Header at the front: { headerBytes, frameBytes } or null when it is not a plausible ADTS header. */
  const header = () => {
    if (!isSync(0)) return null;
    const b2 = queue.at(2)!;
    const b3 = queue.at(3)!;
    const protectionAbsent = (queue.at(1)! & 1) === 1;
    const headerBytes = protectionAbsent ? 7 : 9;
    const frameBytes = ((b3 & 0x03) << 11) | (queue.at(4)! << 3) | (queue.at(5)! >> 5);
    const rate = (b2 >> 2) & 0x0f;
    // An AAC-LC mono AU is at most 6144 bits (ISO 14496-3 §4.5.3.1, the decoder
    // input buffer per channel): a longer frame_length is a damaged header, and
    // trusting it would stall the uplink until that many bytes arrived.
    if (rate >= AAC_SAMPLE_RATES.length || frameBytes <= headerBytes || frameBytes > headerBytes + MAX_MONO_AU_BYTES) return null;
    return {
      headerBytes,
      frameBytes,
      matches: b2 >> 6 === 1 && rate === rateIndex && (((b2 & 1) << 2) | (b3 >> 6)) === 1, // AAC LC (profile 1), our rate, mono
      blocks: (queue.at(6)! & 0x03) + 1,
    };
  };

  const resync = () => {
    stats.resyncs++;
    locked = false;
    const next = queue.find(1, isSync);
    const skip = next >= 0 ? next : queue.length;
    stats.droppedBytes += skip;
    queue.drop(skip);
  };

  const frame = (out: SplitPayload[]): boolean => {
    if (queue.length < 7) return false;
    const h = header();
    if (h === null) return resync(), true;
    if (queue.length < h.frameBytes + (locked ? 0 : 2)) return false;
    if (!locked && !isSync(h.frameBytes)) return resync(), true;
    locked = true;
    const au = queue.copy(h.headerBytes, h.frameBytes);
    queue.drop(h.frameBytes);
    // Several raw_data_blocks per frame need the position table to split; our
    // encoder writes one, so such frames (and other rates/profiles) are refused.
    const duration = h.matches && h.blocks === 1 ? payloadDuration(spec, au) : null;
    if (duration === null) stats.rejectedPayloads++;
    else {
      stats.payloads++;
      out.push({ payload: au, duration });
    }
    return true;
  };

  return {
    push(chunk) {
      queue.append(chunk);
      const out: SplitPayload[] = [];
      while (frame(out));
      if (queue.length > MAX_BUFFERED_BYTES) resync();
      return out;
    },
    flush() {
      // An unlocked but complete last frame cannot be confirmed by a successor; take it if its header is sane.
      const out: SplitPayload[] = [];
      const h = queue.length >= 7 ? header() : null;
      if (h !== null && queue.length === h.frameBytes) {
        locked = true;
        frame(out);
      }
      stats.droppedBytes += queue.length;
      queue.clear();
      return out;
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * `frameMs` (G.711 only, default 20) must be a whole number of milliseconds
 * from 1 to 187 (a talk frame holds 1500 bytes); anything else is a caller
 * bug and throws a RangeError.
 */
export function createPayloadSplitter(spec: CodecSpec, opts: { frameMs?: number } = {}): PayloadSplitter {
  switch (spec.name) {
    case 'pcmu':
    case 'pcma': {
      const frameMs = opts.frameMs ?? 20;
      if (!Number.isInteger(frameMs) || frameMs < 1 || frameMs > MAX_G711_FRAME_MS) {
        throw new RangeError(`G.711 frameMs must be an integer from 1 to ${MAX_G711_FRAME_MS}, got ${frameMs}`);
      }
      return g711Splitter(frameMs);
    }
    case 'opus':
      return oggOpusSplitter(spec);
    case 'aac':
      return adtsSplitter(spec);
  }
}
