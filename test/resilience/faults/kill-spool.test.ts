/**
 * SIGKILL during spool writes (issue 13, fault injection (c)): the broker is down, so
 * every alarm the mover causes is only written — its event into the cloud outbox
 * (framed, CRC-checked segments), its image and thumbnail into the snapshot spool
 * (three atomically written files, metadata last) — and the compiled agent is
 * SIGKILLed at random moments of that writing (seeded; the seed is printed),
 * including during the start-up that replays and repairs what the previous kill
 * left. After each kill the dead agent's data partition is inspected; at the end
 * the broker returns and one agent drains the backlog.
 *
 * Counted as in kill-alarms.test.ts: accepted = logged "alarm raised" (event on
 * flash); images = logged "alarm snapshot spooled". Lost must be 0; a re-publish of
 * an id (at least once, docs/protocol.md) is printed, not failed.
 */
import t from 'tap';
import { alarmRig } from '../../helpers/alarm-rig.js';
import { FULL, killRng, newTally } from '../lib/kill-rig.js';
import { alarmKillCycle, assertAlarms, drainAndCount, keepEvidence, newLedger, reportAlarms } from '../lib/kill-alarm-run.js';

const KILLS = FULL ? 45 : 3;

t.test('SIGKILL at random moments of spool and outbox writes (broker down): no torn file, the whole backlog delivered after it returns', async (t) => {
  const rng = killRng(t, 0xc3);
  const r = await alarmRig(t, { spool: { maxCount: 1000, maxBytes: 64 * 1024 * 1024 }, snapshot: { width: 320, thumbnailWidth: 96, overlay: { deviceName: 'Front door' } } }, {}, { video: { width: 320, height: 180, fps: 10 } });
  await r.broker.stop();
  const ledger = newLedger();
  const tally = newTally();
  let previous = null;
  let f;
  try {
    for (let k = 0; k < KILLS; k++) previous = await alarmKillCycle(t, r, rng, { brokerUp: false, ledger, tally, label: `kill ${k + 1}`, previous });
    t.equal(r.alarms().length, 0, 'nothing reached the broker while it was down');
    await r.broker.start();
    f = await drainAndCount(t, r, ledger, tally, previous);
  } catch (err) {
    keepEvidence(t, ledger, `failed: ${(err as Error).message.slice(0, 300)}`);
    throw err;
  }
  reportAlarms(t, 'spool writes', tally, f, ledger);
  assertAlarms(t, tally, f, ledger);
  t.equal(tally.kills, KILLS);
});
