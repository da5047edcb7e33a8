import { open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fsyncDir } from '../storage/atomic-file.js';
import type { DataLayout } from '../storage/data-layout.js';

/**
 * Unbind / factory reset: destroy every piece of personal data in the data
 * partition and keep the factory identity (a different partition, never
 * touched here) and the simulated hardware secret (it stands in for the
 * board, which a reset does not replace).
 *
 * Why this is a *crypto*-erase, and where it falls short (security.md §4.4):
 * camera flash is UBIFS on raw NAND or a managed eMMC/SD with its own FTL.
 * Both are log-structured: unlinking or even overwriting a file writes new
 * blocks and leaves the old ones readable to anyone with a chip reader until
 * garbage collection reuses them. We cannot make old *blocks* go away, so the
 * store never puts personal data on flash in clear — only under the random
 * DEK — and erase destroys the DEK. Old ciphertext blocks without the DEK
 * are noise.
 * Honest limits:
 *   - The wrapped DEK's own old blocks may also survive. They are sealed
 *     under the KEK, which is derived from the device secret on the
 *     (read-only, kept) factory partition. An attacker with a NAND dump
 *     *and* that secret can unwrap a surviving old store.key and read the
 *     surviving old store.bin. Closing this needs a KEK that can be
 *     destroyed or rotated in hardware (SoC secure storage / OTP-backed
 *     key ladder, a TPM/secure-element NV counter); the overwrite below
 *     only helps on filesystems that update in place (ext4 on eMMC without
 *     discard reordering, FAT).
 *   - spool/ snapshots are sealed under a key derived from the DEK
 *     (store-format.ts derivePurposeKey), so destroying the DEK crypto-erases
 *     them too. logs/ are not encrypted: they must hold nothing personal in
 *     clear (log/mask.ts masks before anything is written).
 *   - A process that still holds an open log file keeps writing to the
 *     unlinked inode; the agent should restart after erase.
 * Idempotent: everything already absent is skipped.
 */
export interface EraseResult {
  /** Paths removed (files, or whole subtrees of spool/ and logs/). */
  removed: string[];
}

export async function erasePersonalData(layout: DataLayout): Promise<EraseResult> {
  const removed: string[] = [];

  // 1. The DEK first: once it is gone the store is unreadable even if a power cut stops us here.
  const secureNames = await listDir(layout.secureDir);
  const keyName = basename(layout.secureStoreKey);
  const keyFiles = secureNames.filter((n) => n.startsWith(keyName) || n.startsWith(`.${keyName}.`));
  for (const name of keyFiles) {
    const path = join(layout.secureDir, name);
    await overwrite(path);
    await unlink(path).catch(ignoreMissing);
    removed.push(path);
  }
  if (keyFiles.length) await fsyncDir(layout.secureDir);

  // 2. The store itself, set-aside copies and stray temp files.
  for (const name of secureNames.filter((n) => !keyFiles.includes(n))) {
    const path = join(layout.secureDir, name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  if (secureNames.length) await fsyncDir(layout.secureDir);

  // 3. Alarm snapshots and logs: the directories stay so their owners need no special case.
  for (const dir of [layout.spoolDir, layout.logsDir]) {
    const names = await listDir(dir);
    for (const name of names) {
      const path = join(dir, name);
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
    if (names.length) await fsyncDir(dir);
  }

  // 4. Runtime configuration (user settings: schedules, names, zones) and its temp copies.
  const configNames = [basename(layout.runtimeConfig), basename(layout.runtimeConfigLastGood)];
  const rootNames = await listDir(layout.root);
  const configFiles = rootNames.filter((n) => configNames.some((c) => n === c || (n.startsWith(`.${c}.`) && n.endsWith('.tmp'))));
  for (const name of configFiles) {
    const path = join(layout.root, name);
    await unlink(path).catch(ignoreMissing);
    removed.push(path);
  }
  if (configFiles.length) await fsyncDir(layout.root);

  return { removed };
}

/** Best effort: replace the bytes in place before unlinking (helps only where the filesystem updates in place). */
async function overwrite(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  const fh = await open(path, 'r+').catch(() => null);
  if (!fh) return;
  try {
    await fh.write(randomBytes(Math.max(size, 1)), 0, Math.max(size, 1), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}
