import { existsSync } from 'node:fs';
import t from 'tap';
import { alarmRig, waitReady } from '../../helpers/alarm-rig.js';
import { analysisFfmpeg, ffmpegChildrenOf, FULL_RUN, localApiClient, logCount, logRecords, oneAlarm, spread, waitUntil, zombieChildren } from '../lib/net-rig.js';

/**
 * The compiled agent's analysis ffmpeg (found as the agent's child in
 * /proc) is SIGKILLed again and again while it watches the camera: the
 * agent must stay up, restart ffmpeg after a backoff that grows while the
 * failures keep coming, detect motion again after every recovery (an alarm
 * raised and delivered), report each outage (`ffmpeg run ended` with
 * ffmpeg_killed in its log; video `degraded` on the local API's health while
 * ffmpeg is down) and leave no zombie or second ffmpeg behind.
 *
 * Short form: 2 kills; CAMERA_AGENT_FULL_RUN=1: 15 (the backoff reaches its
 * 30 s ceiling from the 6th kill on; 15 keeps the run under ~8 minutes).
 */
const KILLS = FULL_RUN ? 15 : 2;

t.test(`ffmpeg SIGKILLed ${KILLS} times while the agent watches the stream: restarted with backoff, motion detected after each recovery, outage reported, no zombies`, async (t) => {
  const r = await alarmRig(t, { snapshots: false }, {}, { video: { width: 640, height: 360 } });
  const d = r.start();
  await waitReady(r, d);
  const api = await localApiClient(r, d);
  const agentPid = d.child.pid!;
  const alarmTopic = `cam/${r.deviceId}/event/alarm`;
  t.equal((await api.health()).checks.video?.status, 'ok', 'video ok before the first kill');

  const outageMs: number[] = [];
  let healthSawOutage = 0;
  for (let kill = 1; kill <= KILLS; kill++) {
    const running = analysisFfmpeg(agentPid);
    t.equal(running.length, 1, `kill ${kill}: exactly one analysis ffmpeg runs`);
    const victim = running[0]!.pid;
    const ended = logCount(d, 'ffmpeg run ended');
    const ups = logCount(d, 'frame source up');
    const killedAt = Date.now();
    process.kill(victim, 'SIGKILL');
    await d.waitForLogCount('ffmpeg run ended', ended + 1, 15_000);
    const report = logRecords(d, 'ffmpeg run ended')[ended]!;
    t.equal(report.code, 'ffmpeg_killed', `kill ${kill}: the agent reports the ffmpeg as killed`);
    // While ffmpeg waits out its backoff, the local API says the video is down.
    let sawDown = false;
    while (logCount(d, 'frame source up') === ups && !sawDown) {
      const video = (await api.health()).checks.video;
      if (video?.status === 'degraded' && video.code === 'video_down') sawDown = true;
      else await new Promise((res) => setTimeout(res, 100));
    }
    if (sawDown) healthSawOutage++;
    await d.waitForLogCount('frame source up', ups + 1, 60_000);
    outageMs.push(Date.now() - killedAt);
    t.notOk(existsSync(`/proc/${victim}`), `kill ${kill}: the killed ffmpeg was reaped`);
    t.same(analysisFfmpeg(agentPid).map((p) => p.pid === victim), [false], `kill ${kill}: one new analysis ffmpeg`);
    await waitUntil(async () => (await api.health()).checks.video?.status === 'ok', 20_000, () => `kill ${kill}: video ok again`);
    // Motion detection works again: a new alarm, delivered.
    const alarmId = await oneAlarm(r, d);
    await r.cloud.waitFor((m) => m.topic === alarmTopic && m.json().data.alarmId === alarmId, 30_000, `kill ${kill}: alarm after recovery`);
  }

  const delays = logRecords(d, 'restarting ffmpeg after backoff').map((rec) => Number(rec.delayMs));
  t.equal(delays.length, KILLS, 'one restart per kill (no restart storm)');
  t.ok(delays.every((ms, i) => i === 0 || ms >= delays[i - 1]!), `the backoff grows while the kills keep coming: ${delays.join(', ')} ms`);
  t.ok(delays[delays.length - 1]! > delays[0]!, 'and is longer at the end than at the start');
  t.ok(healthSawOutage >= 1, `health reported video_down during ${healthSawOutage} of ${KILLS} outages`);
  t.equal(d.child.exitCode, null, 'the agent never crashed');
  t.equal(d.child.pid, agentPid, 'same agent process throughout');
  t.equal((await api.get('/ping')).status, 200, 'the local API still answers');
  t.same(zombieChildren(agentPid), [], 'no zombie children');
  t.equal(analysisFfmpeg(agentPid).length, 1, 'exactly one analysis ffmpeg at the end');
  const alarms = r.alarms().length;
  t.comment(`ffmpeg kills: ${KILLS}; alarms raised ${logCount(d, 'alarm raised')}, delivered ${alarms}; restart delays ${delays.join(', ')} ms; kill → frames again ${spread(outageMs)}; health saw video_down in ${healthSawOutage}/${KILLS}; ffmpeg children at the end ${ffmpegChildrenOf(agentPid).length}`);
});
