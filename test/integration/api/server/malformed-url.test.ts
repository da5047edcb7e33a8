import t from 'tap';
import { tempDir } from '../../../helpers/tmp.js';
import { call, startRig, TOKENS } from './local-api-rig.js';

/**
 * Found by the fuzz harness (test/resilience/fuzz/local-api.test.ts): a URL
 * that does not percent-decode (a stray "%") is refused by fastify's router
 * before any hook or error handler runs, so it got fastify's own error body,
 * which quotes the URL back. It gets the API's error envelope instead.
 */
t.test('a URL that does not percent-decode gets the error envelope, not the URL echoed', async (t) => {
  const rig = await startRig(await tempDir(t));
  t.teardown(() => rig.close());
  for (const path of ['/v1/health%', '/v1/%zz/config', '/v1/config%E0%A4%A']) {
    for (const token of [undefined, TOKENS.admin]) {
      const a = await call(rig, 'GET', path, token ? { token } : {});
      t.equal(a.status, 400, `${path} → 400`);
      t.same(a.json, { error: { code: 'bad_request', message: 'request refused' } }, `${path}: error envelope`);
      t.notMatch(a.text, /health|zz|config/, `${path}: the URL is not echoed`);
    }
  }
  t.equal(rig.actions.calls.length, 0, 'no action ran');
});
