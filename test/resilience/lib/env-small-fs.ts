/**
 * A small filesystem for the agent's data partition, made by the test: a
 * tmpfs of a few MB (`mount -t tmpfs -o size=…`), so "disk full" is real
 * ENOSPC from the kernel, not a mock. Needs root (as the netns tests do).
 *
 * The mount point lives in its own temp folder, and the teardown unmounts
 * before it deletes, so a failing test never leaves a mount behind (and
 * never runs `rm -rf` into a still-mounted filesystem).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, statfsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

export interface SmallFs {
  /** The mount point (empty at first). */
  dir: string;
  /** Fills the filesystem to the last block with a filler file; returns the bytes written. */
  fill(): number;
  /** Deletes the filler. */
  free(): void;
  /** Free bytes now (statfs). */
  freeBytes(): number;
}

export function canMount(): boolean {
  return process.getuid?.() === 0;
}

export function smallFs(t: Test, sizeBytes: number): SmallFs {
  const base = mkdtempSync(join(tmpdir(), 'camera-agent-smallfs-'));
  const dir = join(base, 'data');
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'camera-agent-test', dir]);
  t.teardown(() => {
    try {
      execFileSync('umount', [dir]);
    } catch {
      // Busy (an agent still dying): detach it; the kernel frees it when the last file closes.
      execFileSync('umount', ['-l', dir]);
    }
    rmSync(base, { recursive: true, force: true });
  });
  const filler = join(dir, 'zz-filler.bin');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      let written = 0;
      try {
        // Down to single bytes, so not even a small JSON file fits afterwards.
        for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
          for (;;) {
            try {
              written += writeSync(fd, chunk, 0, size);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return written;
    },
    free() {
      try {
        unlinkSync(filler);
      } catch {
        // already gone
      }
    },
    freeBytes() {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    },
  };
}
