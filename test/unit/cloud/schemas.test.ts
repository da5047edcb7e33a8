import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { checkJson } from '../../../src/cloud/json-check.js';
import { eventSchema, healthSchema, infoSchema, publishedSchemas, requestSchema, statusSchema } from '../../../src/cloud/payload-schemas.js';
import { haDiscoveryMessages } from '../../../src/cloud/ha-discovery.js';
import { topicScheme } from '../../../src/cloud/topics.js';

const DIR = fileURLToPath(new URL('../../../docs/schemas/', import.meta.url));

t.test('docs/schemas/*.json are generated from payload-schemas.ts (UPDATE_SCHEMAS=1 rewrites them)', async (t) => {
  for (const [name, schema] of Object.entries(publishedSchemas())) {
    const text = JSON.stringify(schema, null, 2) + '\n';
    if (process.env.UPDATE_SCHEMAS === '1') await writeFile(DIR + name, text);
    const onDisk = await readFile(DIR + name, 'utf8').catch(() => '(missing)');
    t.equal(onDisk, text, `docs/schemas/${name} is up to date`);
  }
});

t.test('the examples in docs/protocol.md match the schemas', async (t) => {
  const doc = await readFile(fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url)), 'utf8');
  const examples = [...doc.matchAll(/<!-- schema: ([\w.-]+) -->\s*```json\n([\s\S]*?)```/g)];
  t.ok(examples.length >= 8, `${examples.length} examples found`);
  const schemas = publishedSchemas();
  for (const [, name, json] of examples) {
    t.same(checkJson(schemas[name!]!, JSON.parse(json!)), [], `example for ${name}`);
  }
});

t.test('the validator: the keywords we rely on', async (t) => {
  t.same(checkJson(statusSchema, { state: 'online', ts: 1 }), []);
  t.match(checkJson(statusSchema, { state: 'gone' }), [{ path: 'state' }]);
  t.match(checkJson(statusSchema, { state: 'online', extra: 1 }), [{ path: 'extra', rule: 'is not an allowed property' }]);
  t.match(checkJson(requestSchema, { transaction: 'a b', ts: -1 }), [{ path: 'transaction' }, { path: 'ts' }]);
  t.match(checkJson(requestSchema, {}), [{ path: 'transaction', rule: 'is required' }, { path: 'ts' }]);
  t.match(checkJson(eventSchema, { id: 'x', type: 't', ts: 1.5, priority: 'high', data: {} }), [{ path: 'id' }, { path: 'ts' }]);
  t.match(checkJson(healthSchema, { ts: 1, uptimeS: 1, memory: { rssBytes: 1 }, queues: { outbox: 0, outboxBytes: 0, outboxDropped: 0 } }), [
    { path: 'memory.heapUsedBytes' },
  ]);
  t.match(checkJson(infoSchema, { model: 'm', serial: 's', firmwareVersion: 'f', agentVersion: 'a', capabilities: ['x', 1] }), [{ path: 'capabilities[1]' }]);
});

t.test('Home Assistant discovery topics are within the limits', async (t) => {
  const s = topicScheme({ deviceId: 'CAM1' });
  if (!s.ok) throw new Error();
  const msgs = haDiscoveryMessages(s.value, { model: 'm', serial: 's', firmwareVersion: '1', agentVersion: '1', capabilities: [] });
  t.same(msgs.map((m) => m.topic), ['homeassistant/binary_sensor/CAM1/connectivity/config', 'homeassistant/binary_sensor/CAM1/motion/config', 'homeassistant/sensor/CAM1/rssi/config']);
});
