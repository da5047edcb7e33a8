import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { ConfigSync } from '../../../src/cloud/config-sync.js';

/**
 * A valid config.set whose write fails (ENOSPC: data partition full) is
 * answered with its own code, not internal_error: the store persists before
 * it applies, so the cloud may be told nothing changed and to try later.
 */
t.test('config.set that cannot be stored answers config_not_saved with the errno; other throws stay internal', async (t) => {
  let fail: Error | null = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const sync = new ConfigSync({
    clock: new ManualClock(),
    currentConfig: () => ({}),
    async applyConfig(patch) {
      if (fail) throw fail;
      return { applied: Object.keys(patch), restartRequired: [], pinned: [], rejected: [] };
    },
  });
  const reports: unknown[] = [];
  const set = sync.setHandler((r) => reports.push(r));
  const out = await set({ patch: { device: { language: 'fr' } } }, { transaction: 't', issuedAt: 0 });
  t.match(out, { ok: false, error: { code: 'config_not_saved', message: /ENOSPC/ } });
  t.equal(reports.length, 0, 'nothing reported as applied');
  fail = new TypeError('a bug');
  await t.rejects(async () => set({ patch: { x: 1 } }, { transaction: 't2', issuedAt: 0 }), TypeError, 'a programming error is not disguised as a storage error');
  fail = null;
  t.match(await set({ patch: { x: 1 } }, { transaction: 't3', issuedAt: 0 }), { ok: true });
});
