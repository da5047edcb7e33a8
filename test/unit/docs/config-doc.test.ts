import t from 'tap';
import { readFile } from 'node:fs/promises';
import { renderConfigDoc } from '../../../scripts/gen-config-docs.js';

t.test('docs/config.md is generated from the current schema', async (t) => {
  const onDisk = await readFile(new URL('../../../docs/config.md', import.meta.url), 'utf8');
  t.equal(onDisk, renderConfigDoc(), 'run `npm run docs:config` after changing src/config/schema.ts');
});
