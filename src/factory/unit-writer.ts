import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FactoryError } from './factory-error.js';
import type { UnitFile } from './unit-builder.js';

/**
 * The only module that writes a unit folder. Files go into a hidden sibling
 * temp folder, each fsynced with its exact mode (umask ignored), then the
 * folder is renamed onto the target in one step: a crash leaves either no
 * unit or a whole one, never half a factory partition.
 */
const PARTIAL = '.partial-';

async function writeFileDurably(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const fh = await open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** True when `path` is missing or an empty folder (rename(2) may replace an empty folder). */
export async function isFreeTarget(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
}

export async function writeUnit(target: string, files: UnitFile[]): Promise<void> {
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const temp = join(parent, `.${basename(target)}${PARTIAL}${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  try {
    const dirs = new Set<string>([temp]);
    for (const file of files) {
      const dir = dirname(join(temp, file.path));
      if (!dirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        dirs.add(dir);
      }
      await writeFileDurably(join(temp, file.path), file.data, file.mode);
    }
    for (const dir of [...dirs].reverse()) await syncDir(dir);
    if (!(await isFreeTarget(target))) throw new FactoryError('output_exists', `${target} already exists and is not empty`);
    await rmdir(target).catch(() => undefined);
    await rename(temp, target);
    await syncDir(parent);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Removes temp folders an interrupted run left in `parent`. */
export async function removePartials(parent: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith('.') && name.includes(PARTIAL)) {
      await rm(join(parent, name), { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
