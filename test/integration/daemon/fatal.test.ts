import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../helpers/crashing-agent.ts', import.meta.url));

for (const kind of ['exception', 'rejection']) {
  t.test(`an unhandled ${kind} is logged (redacted) and ends the process with a non-zero code`, async (t) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script, kind, 'SENTINEL-fatal-42'], { encoding: 'utf8', timeout: 15_000 });
    t.equal(r.status, 1);
    t.notMatch(r.stdout, /still alive/);
    const fatal = r.stdout.split('\n').find((l) => l.includes('"level":"fatal"'));
    t.ok(fatal, 'a fatal line was written');
    t.match(fatal, /unhandled error, exiting/);
    t.notMatch(r.stdout + r.stderr, /SENTINEL-fatal-42/);
  });
}
