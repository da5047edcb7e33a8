/**
 * SIGKILL while alarms flow (issue 13, fault injection (a)): motion alarms from the
 * scripted mover and manual alarms asked for by the app, published over MQTT and
 * their images uploaded over HTTPS, with the compiled agent SIGKILLed at random
 * moments (seeded; the seed is printed) and restarted each time. Every kill is
 * followed by an inspection of the data partition while the agent is dead; at the
 * end one agent drains what is left.
 *
 * Counted: an alarm is "accepted" when an agent logged "alarm raised" (logged only
 * after the event is on flash) or answered the app's request with its alarmId.
 * docs/protocol.md makes event and image delivery at least once, de-duplicated by
 * alarmId: lost must be 0; a re-publish of an id already delivered is counted and
 * printed, not failed. Every accepted alarm with snapshots on must end with exactly
 * one final image outcome at the broker (`event/snapshot` delivered, or failed with a
 * code — `capture_interrupted` when a kill cut its capture short); before the
 * capture marker (src/alarm/pending-captures.ts) 62 of 295 alarms in the full run had none.
 */
import t from 'tap';
import { alarmRig } from '../../helpers/alarm-rig.js';
import { FULL, killRng, newTally } from '../lib/kill-rig.js';
import { alarmKillCycle, assertAlarms, drainAndCount, keepEvidence, newLedger, reportAlarms } from '../lib/kill-alarm-run.js';

const KILLS = FULL ? 70 : 4;

t.test('SIGKILL at random moments while alarms flow: no torn file, every accepted alarm and image delivered, none lost, each alarm ends with one final image status', async (t) => {
  const rng = killRng(t, 0xa1);
  const r = await alarmRig(t, { spool: { maxCount: 1000, maxBytes: 64 * 1024 * 1024 }, snapshot: { width: 320, thumbnailWidth: 96, overlay: { deviceName: 'Front door' } } }, {}, { video: { width: 320, height: 180, fps: 10 } });
  const ledger = newLedger();
  const tally = newTally();
  let previous = null;
  let f;
  try {
    for (let k = 0; k < KILLS; k++) previous = await alarmKillCycle(t, r, rng, { brokerUp: true, ledger, tally, label: `kill ${k + 1}`, previous });
    f = await drainAndCount(t, r, ledger, tally, previous);
  } catch (err) {
    keepEvidence(t, ledger, `failed: ${(err as Error).message.slice(0, 300)}`);
    throw err;
  }
  reportAlarms(t, 'alarms flowing', tally, f, ledger);
  assertAlarms(t, tally, f, ledger);
  t.equal(tally.kills, KILLS);
});
