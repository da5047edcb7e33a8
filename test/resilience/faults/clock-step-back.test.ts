import t from 'tap';
import { faketimeLibrary } from '../lib/env-faketime.js';
import { clockRig, count, HOUR, imageArrived, lastLogTime, logs, oneAlarm, videoRecovered } from '../lib/env-clock-rig.js';
import { waitReady } from '../../helpers/alarm-rig.js';

/**
 * The wall clock steps BACK while the agent runs (libfaketime on the agent's
 * process only, monotonic time untouched, as with a real NTP step; see
 * lib/env-faketime.ts).
 *
 * The realistic case is a fast clock corrected by NTP: the agent starts 1 h
 * ahead of the cloud. While it is ahead, the cloud's answers look older than
 * their TTL and are refused `request_expired` (docs/protocol.md: the check
 * needs an NTP-synchronised clock), so image uploads fail and are scheduled
 * for retry. Then the clock is stepped back to the true time: those retries,
 * whose due times are wall-clock ms from before the step, must go out within
 * seconds, and new alarms must not be held by the per-minute cap (a rolling
 * window that now counts monotonic time, src/alarm/alarm-service.ts).
 */
const full = process.env.CAMERA_AGENT_FULL_RUN === '1';

const videoEnds = (d: Parameters<typeof logs>[0]): number => logs(d).filter((l) => l.svc === 'video' && l.msg === 'ffmpeg ended').length;

t.test('a wall clock 1 h fast stepped back to the true time: pending retries and new alarms are delivered at once', { skip: faketimeLibrary() ? false : 'libfaketime missing: scripts/ensure-deps --test' }, async (t) => {
  // One step per agent: a second round would first step forward again, which has its own (reported)
  // effect on the video pipeline (see clock-step-forward.test.ts).
  const rounds = 1;
  // A refused upload-url answer is noticed after urlTimeoutMs: 2 s instead of 10 s keeps the test short.
  const { r, clock, d } = await clockRig(t, HOUR, {}, (c) => (c.alarm.https.urlTimeoutMs = 2_000));
  await waitReady(r, d);
  const online = r.cloud.messages.find((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online')!;
  t.ok(Math.abs(online.json().ts - (Date.now() + HOUR)) < 10 * 60_000, 'the agent runs on the faked wall clock (status ts 1 h ahead)');
  let stepAt = Date.now();
  let delivered = 0;
  let stalled = 0;
  let videoEndsAtStep = 0;
  for (let i = 0; i < rounds; i++) {
    clock.setOffset(HOUR);
    const failed = count(d, 'snapshot delivery failed; will retry');
    const id = await oneAlarm(r, d);
    // The cloud answers the upload-url request with its own (true) time: refused while the agent is 1 h ahead.
    await d.waitForLogCount('snapshot delivery failed; will retry', failed + 1, 40_000);
    videoEndsAtStep = videoEnds(d);
    clock.setOffset(0);
    stepAt = Date.now();
    // Due within the retry backoff (≤ 3 s) plus one upload: 20 s is generous; the stalled case waits an hour.
    const ok = await imageArrived(r, id, 20_000);
    if (ok) delivered++;
    else stalled++;
    // A due time further ahead than the largest backoff was stored before the step: due now (spool-backoff.ts retryIsDue).
    t.ok(ok, `round ${i + 1}: the retry scheduled before the 1 h backward step is made within seconds, not an hour later`);
  }
  // Before the fix the fps filter dropped every frame stamped before the last one, the stall watchdog
  // restarted ffmpeg and motion detection was blind ~40 s; src/media/ffmpeg-args.ts TIMESTAMP_GUARD now
  // clamps the timestamp step, so the analysis ffmpeg keeps running.
  const blindMs = await videoRecovered(d, stepAt);
  t.equal(videoEnds(d), videoEndsAtStep, 'the analysis ffmpeg survives the backward step: no stall, no restart');
  const fresh = await oneAlarm(r, d);
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/event/alarm` && m.json().data.alarmId === fresh, 30_000, 'fresh alarm');
  t.ok(await imageArrived(r, fresh, 40_000), 'an alarm raised after the step goes out with its image');
  t.ok(Math.abs(lastLogTime(d) - Date.now()) < 10 * 60_000, 'log timestamps follow the corrected wall clock');
  t.equal(d.child.exitCode, null, 'the agent kept running');
  t.comment(`backward steps: ${rounds}, retries delivered after the step ${delivered}, stalled ${stalled}; motion detection blind after the step: ${blindMs === null ? 'no (ffmpeg survived)' : `${Math.round(blindMs / 1000)} s (ffmpeg restarted)`}`);
});

if (full) {
  t.test('after a 1 h backward step the per-minute alarm cap opens again a minute later', { skip: faketimeLibrary() ? false : 'libfaketime missing' }, async (t) => {
    const { r, clock, d } = await clockRig(t, HOUR, { maxPerMinute: 2 });
    await waitReady(r, d);
    await oneAlarm(r, d);
    await oneAlarm(r, d);
    clock.setOffset(0);
    // The rolling minute passes in monotonic time; with a wall-clock window it would stay full for an hour.
    await new Promise((res) => setTimeout(res, 62_000));
    const before = count(d, 'alarm raised');
    const stop = r.video.cycle(600, 1400);
    t.teardown(stop);
    await d.waitForLogCount('alarm raised', before + 1, 40_000);
    stop();
    t.pass('motion raises an alarm again a minute after the step');
    t.comment(`suppressed while capped: ${count(d, 'alarm suppressed: per-minute cap reached')}`);
  });
}
