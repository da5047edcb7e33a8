/**
 * A real ext4 data partition for the privacy test: a sparse image file,
 * mkfs.ext4, loop-mounted (the tests run as root). After the agent is done
 * and the file system unmounted, the image's bytes are what a chip reader
 * would see: deleted files' blocks included.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Test } from 'tap';

const run = promisify(execFile);

export interface LoopPartition {
  image: string;
  mountPoint: string;
  sizeBytes: number;
  /** Flushes the file system so the image holds everything written so far. */
  sync(): Promise<void>;
  unmount(): Promise<void>;
  /** The raw image bytes (call after sync or unmount). */
  bytes(): Promise<Buffer>;
}

export async function loopPartition(t: Test, dir: string, sizeMiB = 64): Promise<LoopPartition> {
  const image = join(dir, 'data-partition.ext4');
  const mountPoint = join(dir, 'data-mnt');
  await mkdir(mountPoint, { recursive: true });
  await run('truncate', ['-s', `${sizeMiB}M`, image]);
  // No lazy init: the image holds only what the agent writes, not a background zeroing thread's work.
  await run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image]);
  await run('mount', ['-o', 'loop', image, mountPoint]);
  let mounted = true;
  const unmount = async (): Promise<void> => {
    if (!mounted) return;
    await run('umount', [mountPoint]);
    mounted = false;
  };
  t.teardown(() => unmount().catch(() => run('umount', ['-l', mountPoint]).catch(() => undefined)));
  return {
    image,
    mountPoint,
    sizeBytes: sizeMiB * 1024 * 1024,
    sync: async () => {
      await run('sync', ['-f', mountPoint]);
    },
    unmount,
    bytes: () => readFile(image),
  };
}

const BLOCK = 4096;

/**
 * The image without its all-zero 4 KiB blocks, in order: what was ever
 * written, deleted files' blocks included. Scanning it instead of the whole
 * image is the same search (a sentinel never spans 4 KiB of zeros) in a
 * fraction of the time.
 */
export function writtenBlocks(image: Buffer): Buffer {
  const zero = Buffer.alloc(BLOCK);
  const parts: Buffer[] = [];
  for (let off = 0; off < image.length; off += BLOCK) {
    const end = Math.min(off + BLOCK, image.length);
    if (image.compare(zero, 0, end - off, off, end) !== 0) parts.push(image.subarray(off, end));
  }
  return Buffer.concat(parts);
}
