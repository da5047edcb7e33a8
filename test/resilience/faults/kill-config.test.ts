/**
 * SIGKILL during configuration writes (issue 13, fault injection (b)). The compiled
 * agent takes a stream of configuration changes through all three ways in — the
 * cloud's `config.set` op, the retained `config/desired` document, and the local
 * API's `PATCH /v1/config` (audited) — and is SIGKILLed at a random moment (seeded;
 * the seed is printed), so kills land before, inside and after the runtime store's
 * two atomic writes (config.json, then config.last-good.json) and the audit append.
 *
 * Each change N sets three keys at once (alarm.snapshot.thumbnailWidth, talkback.volume, and
 * log.ringLines, which needs a restart) to values derived from N, so a mix of two
 * changes, or a fall-back to defaults, is visible. After every kill, with the agent
 * dead: both runtime files load and validate and hold change N-1 (the last
 * acknowledged) or N (the one in flight), nothing else. After the restart the
 * configuration in force (config.get) is exactly the one on disk.
 */
import t from 'tap';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { alarmRig, type AlarmRig } from '../../helpers/alarm-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { addScan, FULL, killAgent, killRng, leftoversAfterRestart, messageUntil, newTally, requestUntil, scanDataDir, sleep, type DataScan } from '../lib/kill-rig.js';

const KILLS = FULL ? 50 : 4;

type Channel = 'config.set' | 'config/desired' | 'local API';

/** Change N: three keys that must always move together. */
function change(n: number): Record<string, number> {
  return { 'alarm.snapshot.thumbnailWidth': 64 + (n % 577), 'talkback.volume': n % 101, 'log.ringLines': 100 + (n % 19_900) };
}

function nested(flat: Record<string, number>): Record<string, unknown> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(flat)) {
    const parts = k.split('.');
    let o = out;
    for (const p of parts.slice(0, -1)) o = o[p] ??= {};
    o[parts.at(-1)!] = v;
  }
  return out;
}

/** Which change a configuration holds: its number, 'none' (no key set), or 'mixed'. */
function whichChange(cfg: Record<string, any> | null, candidates: Array<number | null>): number | null | 'mixed' {
  const got = { 'alarm.snapshot.thumbnailWidth': cfg?.alarm?.snapshot?.thumbnailWidth, 'talkback.volume': cfg?.talkback?.volume, 'log.ringLines': cfg?.log?.ringLines };
  for (const c of candidates) {
    if (c === null) {
      if (Object.values(got).every((v) => v === undefined)) return null;
      continue;
    }
    const want = change(c);
    if (Object.entries(want).every(([k, v]) => got[k as keyof typeof got] === v)) return c;
  }
  return 'mixed';
}

function patchLocal(url: string, token: string, body: Record<string, number>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}/v1/config`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

t.test('SIGKILL at random moments of config writes (cloud config.set, config/desired, local API): config is the old or the new change, never torn, mixed or default', async (t) => {
  const rng = killRng(t, 0xb2);
  const r: AlarmRig = await alarmRig(t, {}, { api: { enabled: true } }, { video: { width: 320, height: 180, fps: 5 } });
  const root = join(r.dir, 'data');
  const tally = newTally();
  const perChannel: Record<Channel, { sent: number; acked: number }> = { 'config.set': { sent: 0, acked: 0 }, 'config/desired': { sent: 0, acked: 0 }, 'local API': { sent: 0, acked: 0 } };
  const outcomes = { keptOld: 0, tookNew: 0, noneInFlight: 0 };
  const problems: string[] = [];
  let token: string | null = null;
  /** The change in force (null: none yet) and the one sent but not acknowledged. */
  let inForce: number | null = null;
  /**
   * A config.set request or config/desired document sent to an agent that died before answering
   * waits at the broker (the agent's persistent session; withdrawing the retained document does
   * not take back the queued copy) and is applied by the next life: late, but whole and as sent.
   * It stays an acceptable value for that one next life. (A local API request dies with its TCP
   * connection.)
   */
  let stale: number | null = null;
  let n = 0;
  let previous: DataScan | null = null;
  const desiredTopic = `cam/${r.deviceId}/config/desired`;

  const online = (since: number) => r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online' && m.receivedAt >= since, 30_000, 'online');

  for (let k = 0; k < KILLS; k++) {
    const since = Date.now();
    const d: Daemon = r.start();
    await online(since);
    const listening = await d.waitForLog('local API and console listening', 30_000);
    if (previous) tally.leftovers.push(...(await leftoversAfterRestart(root, previous)).map((s) => `kill ${k}: ${s}`));
    // The configuration in force after the restart is exactly what the dead agent left on disk.
    const got = await r.request('config.get', { keys: ['alarm', 'talkback', 'log'] });
    const live = { alarm: got.data.config.alarm, talkback: got.data.config.talkback, log: got.data.config.log };
    // (Before the first change the keys hold defaults, which config.get reports like any value.)
    // log.ringLines needs a restart: the agent reports the value it started with, i.e. the disk's.
    // The hot keys may already show a late change (below) applied since the start.
    const liveHot = whichChange({ alarm: live.alarm, talkback: live.talkback, log: { ringLines: inForce === null ? undefined : change(inForce)['log.ringLines'] } }, [inForce]);
    const hotIsStale = stale !== null && live.alarm?.snapshot?.thumbnailWidth === change(stale)['alarm.snapshot.thumbnailWidth'] && live.talkback?.volume === change(stale)['talkback.volume'];
    const ringOk = inForce === null || live.log?.ringLines === change(inForce)['log.ringLines'];
    if (inForce !== null && (!ringOk || (liveHot !== inForce && !hotIsStale))) {
      problems.push(`after kill ${k}: in force ${JSON.stringify(live)}, disk had change ${inForce} (late request: ${stale})`);
    }
    token ??= (await r.request('api.token', { role: 'technician', subject: 'kill-test', ttlS: 28_800 })).data.token as string;

    const channel: Channel = (['config.set', 'config/desired', 'local API'] as const)[rng.int(0, 2)]!;
    // Kill at a random moment from 0 to 2.5 s into the stream of changes.
    let inFlight: number | null = null;
    let dead = false;
    const gone = () => dead;
    const killAt = sleep(rng.int(0, 2500)).then(async () => {
      dead = true;
      await killAgent(d);
    });
    while (!dead) {
      n++;
      inFlight = n;
      perChannel[channel].sent++;
      let acked = false;
      try {
        if (channel === 'config.set') {
          acked = (await requestUntil(r.cloud, r.deviceId, 'config.set', { patch: nested(change(n)) }, gone))?.status === 'ok';
        } else if (channel === 'local API') {
          acked = (await Promise.race([patchLocal(String(listening.url), token, change(n)), killAt.then(() => 0)])) === 200;
        } else {
          const version = n;
          const from = r.cloud.messages.length;
          await r.cloud.client.publishAsync(desiredTopic, JSON.stringify({ version, config: nested(change(n)) }), { qos: 1, retain: true });
          const rep = await messageUntil(r.cloud, (m) => m.topic === `cam/${r.deviceId}/config/reported` && m.json().desiredVersion === version && m.json().status === 'applied', gone, from);
          acked = rep !== null;
        }
      } catch {
        acked = false; // the connection died with the agent
      }
      if (!acked) break;
      perChannel[channel].acked++;
      inForce = n;
      inFlight = null;
      // Back to back mostly, so most kills find a change in flight (inside the store's writes).
      if (rng.next() < 0.3) await sleep(rng.int(1, 30));
    }
    await killAt;
    tally.kills++;
    // The retained document would be applied again by the next agent; the cloud withdraws it so
    // every life starts from what is on disk (a document the dead agent never applied is lost, as allowed).
    if (channel === 'config/desired') await r.cloud.client.publishAsync(desiredTopic, '', { qos: 1, retain: true });

    const scan = await scanDataDir(root);
    addScan(tally, scan, `kill ${k + 1}`);
    previous = scan;
    const onDisk = whichChange(scan.runtimeConfig as Record<string, any> | null, [inForce, inFlight, stale]);
    if (onDisk === 'mixed') problems.push(`kill ${k + 1} (${channel}): config.json is neither change ${inForce} nor ${inFlight} (late request: ${stale}): ${JSON.stringify(scan.runtimeConfig)}`);
    else if (inFlight === null) outcomes.noneInFlight++;
    else if (onDisk === inFlight) outcomes.tookNew++;
    else outcomes.keptOld++;
    if (onDisk !== 'mixed') inForce = onDisk;
    stale = channel !== 'local API' && onDisk !== inFlight ? inFlight : null;
    // config.last-good.json must hold a whole change too (it may lag the main file by the one in flight).
    const lastGood = await import('node:fs/promises').then((fs) => fs.readFile(join(root, 'config.last-good.json'), 'utf8').then((s) => JSON.parse(s) as Record<string, any>, () => null));
    if (whichChange(lastGood, [inForce, inFlight, stale, inForce === null ? null : inForce - 1, null]) === 'mixed' && lastGood !== null) {
      problems.push(`kill ${k + 1}: config.last-good.json holds a mix: ${JSON.stringify(lastGood)}`);
    }
  }
  // One clean start at the end: the last change is in force and nothing was left to repair.
  const since = Date.now();
  const d = r.start();
  await online(since);
  await d.waitForLog('local API and console listening', 30_000);
  if (previous) tally.leftovers.push(...(await leftoversAfterRestart(root, previous)).map((s) => `final start: ${s}`));
  const got = await r.request('config.get', { keys: ['alarm', 'talkback', 'log'] });
  const hot = (c: number | null) => c !== null && got.data.config.alarm?.snapshot?.thumbnailWidth === change(c)['alarm.snapshot.thumbnailWidth'] && got.data.config.talkback?.volume === change(c)['talkback.volume'];
  t.ok(hot(inForce) || hot(stale), `after the final start the last change on disk (${inForce}) or the late request (${stale}) is in force`);
  t.equal(got.data.config.log?.ringLines, inForce === null ? 2000 : change(inForce)['log.ringLines'], 'the restart-only key runs with the value on disk at the start');
  t.notOk(/runtime config.*recover|recovered/i.test(d.stdout()), 'the runtime store never had to recover from a torn file');
  d.child.kill('SIGTERM');
  await d.exited;

  const sent = Object.values(perChannel).reduce((a, c) => a + c.sent, 0);
  t.comment(`config writes: kills ${tally.kills}; changes sent ${sent} (${Object.entries(perChannel).map(([c, v]) => `${c} ${v.sent} sent / ${v.acked} acknowledged`).join(', ')})`);
  t.comment(`config writes: after a kill with a change in flight the disk held the old change ${outcomes.keptOld}×, the new one ${outcomes.tookNew}×; no change in flight ${outcomes.noneInFlight}×; mixed/default/torn ${problems.length}`);
  t.comment(`config writes: files checked ${tally.filesChecked}, torn ${tally.torn.length}, crash leftovers repaired at start ${tally.recoverable}, not repaired ${tally.leftovers.length}; most outbox segments on flash ${tally.maxOutboxSegments}`);
  t.same(problems, [], 'config was always the acknowledged change or the one in flight, whole, on disk and in force');
  t.same(tally.torn, [], 'no torn file after any kill');
  t.same(tally.leftovers, [], 'every temp file a kill left was removed by the next start');
  t.ok(Object.values(perChannel).reduce((a, c) => a + c.acked, 0) > 0, 'changes were acknowledged at all');
  t.equal(tally.kills, KILLS);
});
