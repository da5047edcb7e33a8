import { fail, ok, type PayloadResult } from './payload-error.js';

/**
 * Percent-encoding for PRV1 values (RFC 3986 §2): the unreserved set
 * A–Z a–z 0–9 - . _ ~ stays as is, every other byte becomes %XX with
 * upper-case hex (§2.1 "should use uppercase"). The encoded text is plain
 * ASCII, so a camera-side decoder's charset guess cannot change it.
 */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX = '0123456789ABCDEF';

export function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += UNRESERVED.test(char) ? char : `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

function hexValue(char: string | undefined): number {
  if (char === undefined) return -1;
  const code = char.charCodeAt(0);
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Encoded value → raw bytes. Accepts exactly the grammar
 * `*(unreserved / pct-encoded)`: a `%` without two hex digits is
 * `bad_escape`, anything else outside the unreserved set is `bad_character`
 * (a raw space, `/`, a non-ASCII character). Lower-case hex digits are
 * accepted on input: RFC 3986 makes them equivalent, and the CRC already
 * covers the text as scanned.
 */
export function percentDecode(text: string): PayloadResult<Uint8Array> {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '%') {
      const hi = hexValue(text[i + 1]);
      const lo = hexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return fail('bad_escape', `"%" at offset ${i} is not followed by two hex digits`);
      bytes.push(hi * 16 + lo);
      i += 2;
    } else if (UNRESERVED.test(char)) {
      bytes.push(char.charCodeAt(0));
    } else {
      return fail('bad_character', `character 0x${char.charCodeAt(0).toString(16).toUpperCase()} at offset ${i} must be percent-encoded`);
    }
  }
  return ok(Uint8Array.from(bytes));
}
