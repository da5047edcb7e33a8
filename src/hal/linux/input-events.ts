/**
 * Decoding of Linux evdev `struct input_event` records (linux/input.h). Pure.
 *
 *   64-bit ABI (24 bytes): s64 tv_sec, s64 tv_usec, u16 type, u16 code, s32 value
 *   32-bit ABI (16 bytes): s32 tv_sec, s32 tv_usec, u16 type, u16 code, s32 value
 */

export const EV_KEY = 1;
/** gpio-keys reports value 1 on press, 0 on release, 2 for autorepeat while held. */
export const KEY_RELEASE = 0;
export const KEY_PRESS = 1;
export const KEY_REPEAT = 2;

export type EvdevLayout = '64' | '32';

export interface InputEvent {
  /** Kernel timestamp of the event in ms (CLOCK_REALTIME unless the reader changed it). */
  timeMs: number;
  type: number;
  code: number;
  value: number;
}

export function inputEventSize(layout: EvdevLayout): number {
  return layout === '64' ? 24 : 16;
}

/**
 * Decodes every whole record in buf; `rest` holds a trailing partial record
 * to prepend to the next read (pipes may split records, devices never do).
 */
export function decodeInputEvents(
  buf: Buffer,
  layout: EvdevLayout,
  endianness: 'LE' | 'BE' = 'LE',
): { events: InputEvent[]; rest: Buffer } {
  const size = inputEventSize(layout);
  const le = endianness === 'LE';
  const events: InputEvent[] = [];
  let off = 0;
  for (; off + size <= buf.length; off += size) {
    let sec: number;
    let usec: number;
    let p: number;
    if (layout === '64') {
      sec = Number(le ? buf.readBigInt64LE(off) : buf.readBigInt64BE(off));
      usec = Number(le ? buf.readBigInt64LE(off + 8) : buf.readBigInt64BE(off + 8));
      p = off + 16;
    } else {
      // __kernel_ulong_t since Linux 5.0 (y2038): unsigned, good until 2106.
      sec = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
      usec = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
      p = off + 8;
    }
    events.push({
      timeMs: sec * 1000 + usec / 1000,
      type: le ? buf.readUInt16LE(p) : buf.readUInt16BE(p),
      code: le ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2),
      value: le ? buf.readInt32LE(p + 4) : buf.readInt32BE(p + 4),
    });
  }
  return { events, rest: buf.subarray(off) };
}

/** Encodes records the way the kernel writes them; used by tests and stand-in devices. */
export function encodeInputEvent(event: InputEvent, layout: EvdevLayout, endianness: 'LE' | 'BE' = 'LE'): Buffer {
  const buf = Buffer.alloc(inputEventSize(layout));
  const le = endianness === 'LE';
  const sec = Math.floor(event.timeMs / 1000);
  const usec = Math.round((event.timeMs - sec * 1000) * 1000);
  let p: number;
  if (layout === '64') {
    if (le) {
      buf.writeBigInt64LE(BigInt(sec), 0);
      buf.writeBigInt64LE(BigInt(usec), 8);
    } else {
      buf.writeBigInt64BE(BigInt(sec), 0);
      buf.writeBigInt64BE(BigInt(usec), 8);
    }
    p = 16;
  } else {
    if (le) {
      buf.writeUInt32LE(sec, 0);
      buf.writeUInt32LE(usec, 4);
    } else {
      buf.writeUInt32BE(sec, 0);
      buf.writeUInt32BE(usec, 4);
    }
    p = 8;
  }
  if (le) {
    buf.writeUInt16LE(event.type, p);
    buf.writeUInt16LE(event.code, p + 2);
    buf.writeInt32LE(event.value, p + 4);
  } else {
    buf.writeUInt16BE(event.type, p);
    buf.writeUInt16BE(event.code, p + 2);
    buf.writeInt32BE(event.value, p + 4);
  }
  return buf;
}

/** The button edge an event stands for, or null for other keys, repeats and sync reports. */
export function keyEdge(event: InputEvent, keyCode: number): boolean | null {
  if (event.type !== EV_KEY || event.code !== keyCode) return null;
  if (event.value === KEY_PRESS) return true;
  if (event.value === KEY_RELEASE) return false;
  return null;
}
