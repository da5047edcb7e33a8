import { appendLine, readLines } from './append-log.js';
import {
  csvSerials, jsonRecords, MANIFEST_CSV_HEADER, manifestCsvLine, manifestJsonLine, type ManifestRecord,
} from './manifest-record.js';

/** The manifest pair: `<base>.csv` and `<base>.jsonl` (the cloud importer reads either). */
export interface ManifestPaths {
  csv: string;
  jsonl: string;
}

export function manifestPaths(base: string): ManifestPaths {
  const stem = base.replace(/\.(csv|jsonl)$/, '');
  return { csv: `${stem}.csv`, jsonl: `${stem}.jsonl` };
}

export interface ManifestState {
  csvSerials: Set<string>;
  records: ManifestRecord[];
}

export async function readManifest(paths: ManifestPaths): Promise<ManifestState> {
  const [csv, jsonl] = await Promise.all([readLines(paths.csv), readLines(paths.jsonl)]);
  return { csvSerials: new Set(csvSerials(csv)), records: jsonRecords(jsonl) };
}

export async function appendManifestCsv(paths: ManifestPaths, record: ManifestRecord): Promise<void> {
  await appendLine(paths.csv, manifestCsvLine(record), MANIFEST_CSV_HEADER);
}

export async function appendManifestJson(paths: ManifestPaths, record: ManifestRecord): Promise<void> {
  await appendLine(paths.jsonl, manifestJsonLine(record));
}
