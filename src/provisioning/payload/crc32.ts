/**
 * CRC-32 as zlib, PNG and Ethernet compute it (IEEE 802.3, reflected
 * polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF). PRV1 uses
 * it to catch mis-decodes and truncation, not as security (provisioning.md
 * §6.2). Node 20 has no zlib.crc32 (added in 22.2), hence the table here.
 */
const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The PRV1 `X:` spelling: 8 upper-case hex digits, zero-padded. */
export function crc32Hex(bytes: Uint8Array): string {
  return crc32(bytes).toString(16).toUpperCase().padStart(8, '0');
}
