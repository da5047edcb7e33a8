import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selfTestCommand, type SelfTestOverrides } from '../../src/selftest/self-test-command.js';

/** A unit's identity.json as `factory provision` writes it (public facts only). */
export const SAMPLE_IDENTITY = {
  formatVersion: 1,
  deviceId: 'cam-0123456789abcdef',
  serial: 'SN0000042',
  model: 'CAM-1',
  hardwareRevision: 'B',
  mac: '02:00:00:00:00:42',
  labelFormat: 1,
  publicKeyFingerprint: 'ab'.repeat(32),
  certificateSerial: null,
  manufacturedAt: '2026-11-01',
};

/**
 * A configuration for the self-test on the simulated board: data and
 * factory folders under `dir`, the given video input, everything else
 * default. Returns the --config file.
 */
export async function writeSelfTestConfig(dir: string, video: { input: string }, identity: object | null = SAMPLE_IDENTITY): Promise<string> {
  const factory = join(dir, 'factory');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(factory, { recursive: true });
  await mkdir(join(dir, 'data'), { recursive: true });
  if (identity) await writeFile(join(factory, 'identity.json'), JSON.stringify(identity));
  const file = join(dir, 'config.json');
  await writeFile(
    file,
    JSON.stringify({ data: { dir: join(dir, 'data') }, identity: { dir: factory }, hal: { mode: 'sim' }, video: { input: video.input, analysis: { fps: 10 } } }),
  );
  return file;
}

export interface CommandRun {
  code: number;
  out: string[];
  err: string[];
}

/** Runs `camera-agent factory self-test` in-process, with no system config file. */
export async function runSelfTestCommand(dir: string, argv: string[], overrides: SelfTestOverrides = {}): Promise<CommandRun> {
  const out: string[] = [];
  const err: string[] = [];
  const env = { PATH: process.env.PATH, CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'no-system-config.json') };
  const code = await selfTestCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { env, ...overrides });
  return { code, out, err };
}
