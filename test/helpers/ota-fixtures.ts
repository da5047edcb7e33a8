/**
 * Firmware-update fixtures: test firmware images the fake installer accepts
 * (test/fixtures/ota/fake-installer.sh documents the format), the installer
 * commands for an agent under test, and a simulated reboot of the A/B slots.
 *
 * The fake board's state folder holds:
 *   running-version   the version the agent reports (hal.facts.firmwareVersionFile)
 *   pending-version   written by `fake-installer.sh install`: what the next boot runs
 *   marked-good       written by `fake-installer.sh mark-good`: the version confirmed
 *   calls             one line per installer invocation
 */
import { createHash } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_INSTALLER = fileURLToPath(new URL('../fixtures/ota/fake-installer.sh', import.meta.url));

export const TEST_FIRMWARE_MAGIC = 'CAMERA-AGENT-TEST-FIRMWARE';

/**
 * A test firmware image of exactly sizeBytes: the header line
 * `CAMERA-AGENT-TEST-FIRMWARE <version>\n`, then bytes from SHA-256 in
 * counter mode seeded by the version — the same arguments always give the
 * same bytes (and so the same sha256 for a signed job).
 */
export function testFirmwareImage(version: string, sizeBytes: number): Buffer {
  if (!/^[A-Za-z0-9._+-]{1,64}$/.test(version)) throw new Error(`invalid test firmware version: ${version}`);
  const header = Buffer.from(`${TEST_FIRMWARE_MAGIC} ${version}\n`, 'ascii');
  if (sizeBytes < header.length) throw new Error(`a test firmware image for ${version} needs at least ${header.length} bytes`);
  const out = Buffer.alloc(sizeBytes);
  header.copy(out);
  const counter = Buffer.alloc(8);
  for (let at = header.length, block = 0; at < sizeBytes; block++) {
    counter.writeBigUInt64BE(BigInt(block));
    const chunk = createHash('sha256').update(version).update(counter).digest();
    at += chunk.copy(out, at);
  }
  return out;
}

/** Writes testFirmwareImage(version, sizeBytes) to path and returns its sha256 (hex). */
export async function writeTestFirmwareImage(path: string, version: string, sizeBytes: number): Promise<{ path: string; size: number; sha256: string }> {
  const image = testFirmwareImage(version, sizeBytes);
  await writeFile(path, image);
  return { path, size: image.length, sha256: createHash('sha256').update(image).digest('hex') };
}

/** The `ota.installer.*` commands that run the fake installer on stateDir (no spaces in stateDir). */
export function fakeInstallerCommands(stateDir: string): { command: string; markGoodCommand: string } {
  if (stateDir.includes(' ') || FAKE_INSTALLER.includes(' ')) throw new Error('installer templates split on spaces: use a path without spaces');
  return { command: `${FAKE_INSTALLER} install {image} ${stateDir}`, markGoodCommand: `${FAKE_INSTALLER} mark-good ${stateDir}` };
}

/** Prepares a fake board's state folder that runs `version`. */
export async function fakeBoardState(stateDir: string, version: string): Promise<{ firmwareVersionFile: string }> {
  const firmwareVersionFile = join(stateDir, 'running-version');
  await writeFile(firmwareVersionFile, `${version}\n`);
  return { firmwareVersionFile };
}

/**
 * The reboot after an install: the pending version becomes the running one
 * — unless `rollback` (the boot counter ran out, or the new slot did not
 * boot), when the old version keeps running. Either way the new boot starts
 * unconfirmed (marked-good removed) and nothing is pending any more. With
 * nothing pending it is a plain reboot: the running version stays.
 */
export async function simulateReboot(stateDir: string, opts: { rollback?: boolean } = {}): Promise<void> {
  const pending = join(stateDir, 'pending-version');
  if (opts.rollback) {
    await rm(pending, { force: true });
  } else {
    try {
      await rename(pending, join(stateDir, 'running-version'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  await rm(join(stateDir, 'marked-good'), { force: true });
}
