import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { ConfigSync, configHash, type ConfigApplyResult } from '../../../src/cloud/config-sync.js';
import { checkJson } from '../../../src/cloud/json-check.js';
import { configReportedSchema } from '../../../src/cloud/payload-schemas.js';

function rig() {
  const applied: unknown[] = [];
  let config: Record<string, unknown> = { motion: { sensitivity: 50 } };
  const sync = new ConfigSync({
    clock: new ManualClock(),
    currentConfig: () => config,
    async applyConfig(patch): Promise<ConfigApplyResult> {
      applied.push(patch);
      if ('bad' in patch) return { applied: [], restartRequired: [], pinned: [], rejected: [{ path: 'bad', code: 'unknown_key', rule: 'is not a known configuration key' }] };
      config = { ...config, ...patch };
      return { applied: Object.keys(patch), restartRequired: [], pinned: [], rejected: [] };
    },
  });
  const doc = (d: unknown) => Buffer.from(JSON.stringify(d));
  return { sync, applied, doc };
}

t.test('a desired document is applied once; the same one again is ignored', async (t) => {
  const { sync, applied, doc } = rig();
  const r = await sync.handleDesired(doc({ version: 1, config: { motion: { sensitivity: 10 } } }));
  t.match(r, { status: 'applied', desiredVersion: 1, applied: ['motion'] });
  t.same(checkJson(configReportedSchema, r), []);
  t.equal(await sync.handleDesired(doc({ config: { motion: { sensitivity: 10 } }, version: 1 })), null);
  t.equal(applied.length, 1);
  t.equal(await sync.handleDesired(doc({ version: 0, config: { motion: { sensitivity: 99 } } })), null, 'an older version is ignored');
  t.equal(await sync.handleDesired(Buffer.alloc(0)), null, 'a deleted retained document is ignored');
});

t.test('rejections are reported with field errors', async (t) => {
  const { sync, doc } = rig();
  const r = await sync.handleDesired(doc({ version: 2, config: { bad: 1 } }));
  t.match(r, { status: 'rejected', rejected: [{ path: 'bad', code: 'unknown_key' }] });
  t.same(checkJson(configReportedSchema, r), []);
  t.match(await sync.handleDesired(Buffer.from('{')), { status: 'rejected', rejected: [{ code: 'invalid_json' }] });
  t.match(await sync.handleDesired(doc({ config: 5 })), { status: 'rejected', rejected: [{ path: 'config', code: 'invalid_document' }] });
});

t.test('the hash ignores key order', async (t) => {
  t.equal(configHash({ a: 1, b: { c: 2, d: 3 } }), configHash({ b: { d: 3, c: 2 }, a: 1 }));
  t.not(configHash({ a: 1 }), configHash({ a: 2 }));
});

t.test('config.get picks dotted keys; config.set reports fields on rejection', async (t) => {
  const { sync } = rig();
  t.same(await sync.getHandler()({ keys: ['motion.sensitivity', 'nope.x'] }, { transaction: 't', issuedAt: 0 }), {
    ok: true,
    data: { config: { 'motion.sensitivity': 50, 'nope.x': undefined } },
  });
  const reports: unknown[] = [];
  const set = sync.setHandler((r) => reports.push(r));
  t.match(await set({ patch: { bad: 1 } }, { transaction: 't', issuedAt: 0 }), { ok: false, error: { code: 'config_rejected', fields: [{ path: 'bad' }] } });
  t.equal(reports.length, 0);
  t.match(await set({ patch: { x: 1 } }, { transaction: 't', issuedAt: 0 }), { ok: true, data: { applied: ['x'] } });
  t.equal(reports.length, 1);
});
