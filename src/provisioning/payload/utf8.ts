/**
 * UTF-8 in both directions without silent repair. TextDecoder's default
 * replaces bad bytes with U+FFFD, which would turn the SSID bytes
 * 43 61 66 E9 into "Caf�" — another network (provisioning.md §7.1 S22) —
 * so decoding is fatal. Encoding refuses strings with lone surrogates,
 * which Buffer.from would likewise replace with EF BF BD.
 */
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text the bytes spell, or null when they are not well-formed UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** True when every UTF-16 surrogate is paired, i.e. the string has an exact UTF-8 form. */
export function isWellFormedUnicode(text: string): boolean {
  // In a /u regex a surrogate pair is one code point; only lone halves are \p{Cs}.
  return !/\p{Cs}/u.test(text);
}

/** UTF-8 bytes of a well-formed string. */
export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Length in UTF-8 bytes: what 802.11 and wpa_supplicant count (not JS .length, not code points). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
