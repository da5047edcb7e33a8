import t from 'tap';
import { processHealthFacts } from '../../../src/cloud/health-sample.js';
import { healthSchema } from '../../../src/cloud/payload-schemas.js';
import { checkJson } from '../../../src/cloud/json-check.js';

// `npm run soak` judges handle growth from this figure: it must count what is open now.
t.test('the health sample counts the active handles, and a new one shows', async (t) => {
  const before = processHealthFacts().handles ?? -1;
  t.ok(before >= 0, `handles ${before}`);
  const timer = setInterval(() => undefined, 60_000);
  t.teardown(() => clearInterval(timer));
  t.equal(processHealthFacts().handles, before + 1, 'one more with an interval running');
  const sample = { ts: Date.now(), ...processHealthFacts(), queues: { outbox: 0, outboxBytes: 0, outboxDropped: 0 } };
  t.same(checkJson(healthSchema, sample), [], 'and the sample matches the published schema');
});
