import t from 'tap';
import { migrate, type Migration } from '../../../src/config/migrations.js';

const steps: Migration[] = [
  { from: 1, describe: 'rename log.verbose to log.level', up: (v) => ({ ...v, renamed: true }) },
  { from: 2, describe: 'add x', up: (v) => ({ ...v, x: 1 }) },
];

t.test('an old file is migrated step by step to the target version', async (t) => {
  const m = migrate({ configVersion: 1, a: 1 }, 3, steps);
  t.same(m, { values: { configVersion: 3, a: 1, renamed: true, x: 1 }, fromVersion: 1, toVersion: 3 });
});

t.test('a file without a version is version 1', async (t) => {
  t.equal(migrate({}, 2, steps).fromVersion, 1);
  t.same(migrate({}, 1, steps).values, {}, 'a current file without version is left alone');
});

t.test('a file from a newer agent is refused, not guessed at', async (t) => {
  t.throws(() => migrate({ configVersion: 9 }, 3, steps), { name: 'Error', code: 'config_from_newer_agent' });
  t.throws(() => migrate({ configVersion: 'two' }, 3, steps), { name: 'Error', code: 'config_version_invalid' });
  t.throws(() => migrate({ configVersion: 1 }, 4, steps), { name: 'Error', code: 'migration_missing' });
});
