import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile, verifyImage } from '../../../src/ota/image-verify.js';
import { tempDir } from '../../helpers/tmp.js';

/** Image verification on real files: size before hash, then SHA-256. */

const SIZE = 3 * 64 * 1024 + 17; // several read chunks plus a tail
const IMAGE = randomBytes(SIZE);
const SHA = createHash('sha256').update(IMAGE).digest('hex');

t.test('hashFile streams the SHA-256 and length of a file', async (t) => {
  const file = join(await tempDir(t), 'image.bin');
  await writeFile(file, IMAGE);
  t.same(await hashFile(file), { sha256: SHA, bytes: SIZE });
  await writeFile(file, '');
  t.same(await hashFile(file), { sha256: createHash('sha256').digest('hex'), bytes: 0 });
});

t.test('hashFile stops on the abort signal and rejects for a missing file', async (t) => {
  const file = join(await tempDir(t), 'image.bin');
  await writeFile(file, IMAGE);
  const ac = new AbortController();
  ac.abort();
  await t.rejects(hashFile(file, { signal: ac.signal }), { name: 'AbortError' });
  await t.rejects(hashFile(`${file}.missing`), { code: 'ENOENT' });
});

t.test('a good image verifies', async (t) => {
  const file = join(await tempDir(t), 'image.bin');
  await writeFile(file, IMAGE);
  t.same(await verifyImage(file, { size: SIZE, sha256: SHA }), { ok: true });
  t.same(await verifyImage(file, { size: SIZE, sha256: SHA.toUpperCase() }), { ok: true }, 'hex case does not matter');
});

t.test('a truncated image is size_mismatch', async (t) => {
  const file = join(await tempDir(t), 'image.bin');
  await writeFile(file, IMAGE.subarray(0, SIZE - 1));
  t.match(await verifyImage(file, { size: SIZE, sha256: SHA }), { ok: false, code: 'size_mismatch', message: /196624 bytes/ });
});

t.test('one flipped byte is sha256_mismatch', async (t) => {
  const file = join(await tempDir(t), 'image.bin');
  const bad = Buffer.from(IMAGE);
  bad[SIZE >> 1]! ^= 0x01;
  await writeFile(file, bad);
  t.match(await verifyImage(file, { size: SIZE, sha256: SHA }), { ok: false, code: 'sha256_mismatch' });
});

t.test('no file is image_missing', async (t) => {
  const file = join(await tempDir(t), 'image.bin');
  t.match(await verifyImage(file, { size: SIZE, sha256: SHA }), { ok: false, code: 'image_missing' });
});
