import { access, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { appendLine, readLines } from './append-log.js';
import { FactoryError } from './factory-error.js';
import { appendManifestCsv, appendManifestJson, manifestPaths, readManifest } from './manifest-file.js';
import type { ManifestRecord } from './manifest-record.js';
import { buildUnit, type UnitDeps, type UnitSpec } from './unit-builder.js';
import { nthSerial } from './unit-naming.js';
import { openUniquenessIndex } from './uniqueness-index.js';
import { removePartials, writeUnit } from './unit-writer.js';

/**
 * `factory batch`: N units into DIR/<serial>/, one shared manifest.
 *
 * Commit order per unit, each step fsynced: uniqueness index line →
 * journal line (the manifest record) → rename of the unit folder →
 * manifest CSV line → manifest JSONL line. The renamed folder is the commit
 * point. On every start the batch reconciles: partial folders are deleted;
 * a unit folder whose serial is missing from a manifest file gets its line
 * from the journal; serials with neither folder nor manifest line are built.
 * So a run killed at any instant and started again yields each serial
 * exactly once.
 */
export const JOURNAL_FILE = '.batch-journal.jsonl';
/** Units in flight: key/SRP/QR work on the main thread overlaps scrypt and sharp on the thread pool. */
export const BATCH_CONCURRENCY = 4;

export interface BatchOptions {
  from: string;
  count: number;
  spec: Omit<UnitSpec, 'serial' | 'mac'>;
  out: string;
  manifest?: string;
  concurrency?: number;
  onUnit?: (serial: string) => void;
}

export interface BatchSummary {
  out: string;
  from: string;
  to: string;
  built: number;
  alreadyDone: number;
  manifestRepaired: number;
  partialsRemoved: number;
  manifestCsv: string;
  manifestJsonl: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

export async function runBatch(opts: BatchOptions, deps: Omit<UnitDeps, 'claim'>): Promise<BatchSummary> {
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new FactoryError('bad_count', '--count must be a positive integer');
  const serials = Array.from({ length: opts.count }, (_, i) => nthSerial(opts.from, i));
  const out = resolve(opts.out);
  await mkdir(out, { recursive: true });
  const paths = manifestPaths(opts.manifest ? resolve(opts.manifest) : join(out, 'manifest'));
  const journalPath = join(out, JOURNAL_FILE);

  const partialsRemoved = await removePartials(out);
  const manifest = await readManifest(paths);
  const jsonSerials = new Set(manifest.records.map((r) => r.serial));
  const journal = new Map<string, ManifestRecord>();
  for (const line of (await readLines(journalPath)).split('\n')) {
    if (line) {
      const r = JSON.parse(line) as ManifestRecord;
      journal.set(r.serial, r);
    }
  }

  let manifestRepaired = 0;
  let alreadyDone = 0;
  const todo: string[] = [];
  for (const serial of serials) {
    const present = await exists(join(out, serial));
    const inCsv = manifest.csvSerials.has(serial);
    const inJson = jsonSerials.has(serial);
    if (!present) {
      // Listed but no folder: shipped or moved elsewhere; building it again would duplicate it.
      if (inCsv || inJson) alreadyDone++;
      else todo.push(serial);
      continue;
    }
    alreadyDone++;
    if (inCsv && inJson) continue;
    const record = journal.get(serial);
    if (!record) throw new FactoryError('io_failed', `${serial} exists but has no journal entry; refusing to guess its manifest line`);
    if (!inCsv) await appendManifestCsv(paths, record);
    if (!inJson) await appendManifestJson(paths, record);
    manifestRepaired++;
  }

  const index = await openUniquenessIndex(out, manifest.records);
  let commitChain: Promise<void> = Promise.resolve();
  const commit = (serial: string, unit: Awaited<ReturnType<typeof buildUnit>>) => {
    const step = commitChain.then(async () => {
      await index.record(serial, unit.uniques);
      await appendLine(journalPath, `${JSON.stringify(unit.record)}\n`);
      await writeUnit(join(out, serial), unit.files);
      await appendManifestCsv(paths, unit.record);
      await appendManifestJson(paths, unit.record);
      opts.onUnit?.(serial);
    });
    commitChain = step.catch(() => undefined);
    return step;
  };

  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const serial = todo[next++]!;
      const unit = await buildUnit({ ...opts.spec, serial }, { ...deps, claim: (v) => index.claim(v) });
      await commit(serial, unit);
    }
  };
  const workers = Array.from({ length: Math.min(opts.concurrency ?? BATCH_CONCURRENCY, todo.length) }, worker);
  const results = await Promise.allSettled(workers);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;

  return {
    out, from: serials[0]!, to: serials[serials.length - 1]!, built: todo.length, alreadyDone,
    manifestRepaired, partialsRemoved, manifestCsv: paths.csv, manifestJsonl: paths.jsonl,
  };
}
