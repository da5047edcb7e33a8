import { dirname, join, resolve } from 'node:path';
import { FactoryError } from './factory-error.js';
import { appendManifestCsv, appendManifestJson, manifestPaths, readManifest, type ManifestPaths } from './manifest-file.js';
import { buildUnit, type BuiltUnit, type UnitDeps, type UnitSpec } from './unit-builder.js';
import { openUniquenessIndex, type UniquenessIndex } from './uniqueness-index.js';
import { isFreeTarget, writeUnit } from './unit-writer.js';

/** What `factory provision` and each batch unit report: public facts and paths only. */
export interface UnitSummary {
  serial: string;
  model: string;
  deviceId: string;
  mac: string;
  publicKeyFingerprint: string;
  labelFingerprint: string;
  certificateSerial: string | null;
  qrVersion: number;
  paths: { unit: string; factory: string; labelSvg: string; labelPng: string; labelZpl?: string; manifestCsv: string; manifestJsonl: string };
}

export function unitSummary(unit: BuiltUnit, dir: string, manifest: ManifestPaths): UnitSummary {
  const zpl = unit.files.some((f) => f.path === 'label.zpl');
  return {
    serial: unit.identity.serial,
    model: unit.identity.model,
    deviceId: unit.identity.deviceId,
    mac: unit.identity.mac,
    publicKeyFingerprint: unit.identity.publicKeyFingerprint,
    labelFingerprint: unit.labelFingerprint,
    certificateSerial: unit.identity.certificateSerial,
    qrVersion: unit.qrVersion,
    paths: {
      unit: dir,
      factory: join(dir, 'factory'),
      labelSvg: join(dir, 'label.svg'),
      labelPng: join(dir, 'label.png'),
      ...(zpl ? { labelZpl: join(dir, 'label.zpl') } : {}),
      manifestCsv: manifest.csv,
      manifestJsonl: manifest.jsonl,
    },
  };
}

export interface ProvisionOptions {
  spec: UnitSpec;
  out: string;
  /** Base path of a shared manifest; default <out>/manifest. */
  manifest?: string;
}

/**
 * One unit into `out`. With a shared --manifest, the station uniqueness
 * index next to it is checked and extended; a unit's own manifest has no
 * history to collide with. The manifest is appended only after the unit
 * folder is in place, so it never lists a unit that does not exist.
 */
export async function provisionUnit(opts: ProvisionOptions, deps: Omit<UnitDeps, 'claim'>): Promise<UnitSummary> {
  const out = resolve(opts.out);
  if (!(await isFreeTarget(out))) throw new FactoryError('output_exists', `${out} already exists and is not empty`);
  const paths = manifestPaths(opts.manifest ? resolve(opts.manifest) : join(out, 'manifest'));
  let index: UniquenessIndex | null = null;
  if (opts.manifest) {
    const state = await readManifest(paths);
    if (state.csvSerials.has(opts.spec.serial) || state.records.some((r) => r.serial === opts.spec.serial)) {
      throw new FactoryError('serial_in_manifest', `serial ${opts.spec.serial} is already in ${paths.csv}`);
    }
    index = await openUniquenessIndex(dirname(paths.csv), state.records);
  }
  const unit = await buildUnit(opts.spec, { ...deps, claim: (v) => index?.claim(v) ?? null });
  await index?.record(opts.spec.serial, unit.uniques);
  await writeUnit(out, unit.files);
  await appendManifestCsv(paths, unit.record);
  await appendManifestJson(paths, unit.record);
  return unitSummary(unit, out, paths);
}

