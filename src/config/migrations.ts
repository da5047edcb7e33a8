import { CONFIG_VERSION } from './schema.js';

/**
 * Upgrades of stored configuration files between layout versions. A file
 * written by an older agent is migrated step by step at load; the runtime
 * file is then rewritten at the current version. A file from a newer agent
 * (after a firmware rollback) is refused rather than guessed at.
 */
export interface Migration {
  /** Version the migration reads; it produces from + 1. */
  from: number;
  describe: string;
  up(values: Record<string, unknown>): Record<string, unknown>;
}

/** No layout change yet: version 1 is the first released layout. */
export const MIGRATIONS: readonly Migration[] = [];

export class MigrationError extends Error {
  constructor(
    readonly code: 'config_from_newer_agent' | 'config_version_invalid' | 'migration_missing',
    message: string,
  ) {
    super(message);
  }
}

export interface Migrated {
  values: Record<string, unknown>;
  fromVersion: number;
  toVersion: number;
}

export function migrate(
  values: Record<string, unknown>,
  target = CONFIG_VERSION,
  migrations: readonly Migration[] = MIGRATIONS,
): Migrated {
  const raw = values.configVersion ?? 1;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1) {
    throw new MigrationError('config_version_invalid', `configVersion ${JSON.stringify(raw)} is not a positive integer`);
  }
  if (raw > target) {
    throw new MigrationError('config_from_newer_agent', `configVersion ${raw} was written by a newer agent (this one reads ≤ ${target})`);
  }
  let current = { ...values };
  for (let v = raw; v < target; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) throw new MigrationError('migration_missing', `no migration from configVersion ${v}`);
    current = step.up(current);
  }
  // Only files that named a version get one back: a layer that left the key
  // out keeps leaving it to the layers below.
  if (values.configVersion !== undefined || raw !== target) current.configVersion = target;
  return { values: current, fromVersion: raw, toVersion: target };
}
