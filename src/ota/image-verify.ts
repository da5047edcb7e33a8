/**
 * Check a downloaded image against its signed manifest: size first (a stat,
 * so a truncated image fails without reading 200 MB of flash), then SHA-256
 * over a 64 KB streaming read, so memory stays flat whatever the image size.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';

export type VerifyErrorCode = 'size_mismatch' | 'sha256_mismatch' | 'image_missing';
export type VerifyResult = { ok: true } | { ok: false; code: VerifyErrorCode; message: string };

/** Read size per chunk: large enough for flash throughput, small against a 128 MB RAM budget. */
const CHUNK_BYTES = 64 * 1024;

/** SHA-256 (lower-case hex) and length of a file, streamed. Rejects with the stream's error (ENOENT, AbortError…). */
export async function hashFile(file: string, opts: { signal?: AbortSignal } = {}): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES, ...(opts.signal ? { signal: opts.signal } : {}) });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export async function verifyImage(file: string, expected: { size: number; sha256: string }): Promise<VerifyResult> {
  const size = await stat(file).then(
    (s) => s.size,
    () => null,
  );
  if (size === null) return { ok: false, code: 'image_missing', message: 'no downloaded image on the spool' };
  if (size !== expected.size) return { ok: false, code: 'size_mismatch', message: `image has ${size} bytes, the manifest says ${expected.size}` };
  let actual: { sha256: string; bytes: number };
  try {
    actual = await hashFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, code: 'image_missing', message: 'the image disappeared while being checked' };
    throw err;
  }
  // The file may have changed between stat and the last read.
  if (actual.bytes !== expected.size) return { ok: false, code: 'size_mismatch', message: `image has ${actual.bytes} bytes, the manifest says ${expected.size}` };
  if (actual.sha256 !== expected.sha256.toLowerCase()) return { ok: false, code: 'sha256_mismatch', message: `image SHA-256 ${actual.sha256.slice(0, 16)}… does not match the manifest's ${expected.sha256.slice(0, 16)}…` };
  return { ok: true };
}
