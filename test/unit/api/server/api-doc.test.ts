import t from 'tap';
import { readFile } from 'node:fs/promises';
import { renderApiDoc } from '../../../../scripts/gen-api-docs.js';
import { buildOpenApi } from '../../../../src/api/server/openapi.js';
import { PUBLIC, ROUTES } from '../../../../src/api/server/route-table.js';

t.test('docs/local-api.md is generated from the current route table (fails when it drifts)', async (t) => {
  const onDisk = await readFile(new URL('../../../../docs/local-api.md', import.meta.url), 'utf8');
  t.equal(onDisk, renderApiDoc(), 'run `node --import tsx scripts/gen-api-docs.ts` after changing src/api/server/');
});

t.test('the OpenAPI document has one operation per route, with its scope and error codes', async (t) => {
  const doc = buildOpenApi({ version: '1' }) as { openapi: string; paths: Record<string, Record<string, any>> };
  t.equal(doc.openapi, '3.1.0');
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, op })));
  t.same(ops.map((o) => o.key).sort(), ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  for (const r of ROUTES) {
    const op = doc.paths[r.path]![r.method.toLowerCase()];
    t.equal(op['x-scope'], r.scope, `${r.id} scope`);
    if (r.scope === PUBLIC) t.same(op.security, [], 'public: no security requirement');
    else {
      t.same(op.security, [{ bearer: [r.scope] }]);
      t.ok(op.responses['401'] && op.responses['403'], `${r.id} documents 401 and 403`);
    }
    if (r.body) t.equal(op.requestBody.content['application/json'].schema.additionalProperties, false, `${r.id} body refuses unknown fields`);
    t.equal(r.query.additionalProperties, false, `${r.id} query refuses unknown parameters`);
  }
});

t.test('the document is plain JSON (no functions, no undefined) and deterministic', async (t) => {
  const a = JSON.stringify(buildOpenApi({ version: '1' }));
  t.equal(a, JSON.stringify(JSON.parse(a)));
  t.equal(a, JSON.stringify(buildOpenApi({ version: '1' })));
});
