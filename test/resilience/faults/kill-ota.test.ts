/**
 * SIGKILL during firmware updates (issue 13, fault injection (d)), on the OTA rig
 * (test/helpers/ota-rig.ts: real Mosquitto, HTTPS image server, signed jobs, the fake
 * installer in RAUC's place, reboots simulated by restarting with the version the
 * "bootloader" left). Each job is killed one to three times at random moments
 * (seeded; the seed is printed) measured from the job's start or the agent's return
 * — so kills land anywhere in download, verify, install (the installer is slowed
 * to a random 0–0.4 s), the reboot request and confirming, not only at state
 * boundaries (ota-agent.test.ts covers those). A kill is SIGKILL of the agent only:
 * systemd restarts it on the same boot; the board reboots only when the agent asks.
 *
 * After every kill, with the agent dead: job.json passes the agent's own record check
 * and no persistent file is torn. At the end of every job: exactly one final state,
 * `succeeded` (ota events de-duplicated by envelope id, as docs/protocol.md says the
 * cloud does), the board runs and has marked good exactly the job's version.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { otaRig, type OtaRig } from '../../helpers/ota-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { addScan, FULL, killAgent, killRng, leftoversAfterRestart, messageUntil, newTally, requestUntil, scanDataDir, sleep, type DataScan } from '../lib/kill-rig.js';

const KILLS = FULL ? 50 : 2;
const IMAGE_BYTES = 8 * 1024 * 1024;
const REBOOT_LOG = '"reboot requested (simulated board: not rebooting)"';

t.test('SIGKILL at random moments of firmware updates: every job ends succeeded exactly once in its version, job.json never torn', async (t) => {
  const rng = killRng(t, 0xd4);
  // A generous confirm window: a job killed again and again while confirming must not run out of it.
  const r: OtaRig = await otaRig(t, { extra: { ota: { confirmTimeoutS: 300 } } });
  const root = join(r.dir, 'data');
  const tally = newTally();
  const killedIn: Record<string, number> = {};
  const jobs: Array<{ version: string; kills: number; outcome: string }> = [];
  let previous: DataScan | null = null;
  let d: Daemon | null = null;
  const logs: string[] = [];

  const start = async (): Promise<Daemon> => {
    const since = Date.now();
    const next = r.start();
    void next.exited.then(() => logs.push(next.stdout() + next.stderr()));
    // Up = online, or (killed after "rebooting" was persisted) asking for the reboot straight away.
    const up = await messageUntil(r.cloud, (m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online' && m.receivedAt >= since, () => next.stdout().includes(REBOOT_LOG), 0, 30_000);
    if (!up && !next.stdout().includes(REBOOT_LOG)) throw new Error(`the restarted agent neither came online nor asked for a reboot within 30 s\nstdout (tail):\n${next.stdout().slice(-3000)}\nstderr:\n${next.stderr().slice(-2000)}`);
    if (previous) tally.leftovers.push(...(await leftoversAfterRestart(root, previous)).map((s) => `after kill ${tally.kills}: ${s}`));
    previous = null;
    return next;
  };
  const finalsOf = (jobId: string) => {
    const msgs = r.cloud.messages.filter((m) => m.topic === `cam/${r.deviceId}/event/ota` && m.json().data.jobId === jobId && ['succeeded', 'failed', 'rolled-back'].includes(m.json().data.state) && !m.json().data.progress);
    return { raw: msgs.length, byId: new Map(msgs.map((m) => [m.json().id as string, m.json().data.error ? `${m.json().data.state} (${m.json().data.error.code}: ${m.json().data.error.message})` : (m.json().data.state as string)])) };
  };

  let minor = 0;
  while (tally.kills < KILLS) {
    minor++;
    const version = `2.${minor}.0`;
    const job = await r.job(version, { sizeBytes: IMAGE_BYTES });
    await writeFile(join(r.stateDir, 'install-sleep'), `${(rng.int(0, 40) / 100).toFixed(2)}\n`);
    let killsLeft = Math.min(rng.int(1, 3), KILLS - tally.kills);
    let jobKills = 0;
    d ??= await start();
    let accepted = false;
    for (;;) {
      if (!accepted) {
        // The cloud (re)sends the job until the camera has it; a redelivery is answered `duplicate`.
        const asked = d;
        void requestUntil(r.cloud, r.deviceId, 'ota.start', job, () => asked.child.exitCode !== null || asked.child.signalCode !== null).then((res) => res?.status === 'ok' && (accepted = true), () => undefined);
      }
      const anchor = Date.now();
      // Half the kills within 250 ms of the anchor (the download and verify are that short on loopback), half up to 1.2 s.
      const killAt = killsLeft > 0 ? anchor + (rng.next() < 0.5 ? rng.int(0, 250) : rng.int(0, 1200)) : Infinity;
      const deadline = anchor + 120_000;
      // Polled, not awaited events: nothing is left pending when a kill ends this agent's life.
      let what: 'kill' | 'reboot' | 'final';
      for (;;) {
        if (finalsOf(job.jobId).byId.size > 0) what = 'final';
        else if (d.stdout().includes(REBOOT_LOG)) what = 'reboot';
        else if (Date.now() >= killAt) what = 'kill';
        else if (Date.now() > deadline) throw new Error(`${version}: no progress within 120 s; agent stdout:\n${d.stdout().slice(-4000)}`);
        else {
          await sleep(rng.int(5, 25));
          continue;
        }
        break;
      }
      if (what === 'kill') {
        // Which step the kill found, from the job record the agent last persisted (read after the kill).
        await killAgent(d);
        d = null;
        tally.kills++;
        jobKills++;
        killsLeft--;
        const scan = await scanDataDir(root);
        addScan(tally, scan, `kill ${tally.kills} (${version}, ${Date.now() - anchor} ms in)`);
        previous = scan;
        const state = scan.otaJob?.job?.jobId === job.jobId ? (scan.otaJob!.state as string) : 'not yet accepted';
        killedIn[state] = (killedIn[state] ?? 0) + 1;
        accepted = scan.otaJob?.job?.jobId === job.jobId;
        d = await start();
        continue;
      }
      if (what === 'reboot') {
        // The agent asked for the reboot: the board stops it and comes up in the new slot.
        d.child.kill('SIGTERM');
        await d.exited;
        await r.reboot();
        d = await start();
        continue;
      }
      break;
    }
    const finals = finalsOf(job.jobId);
    const states = [...finals.byId.values()];
    const running = await r.runningVersion();
    const good = await r.markedGood();
    const outcome = states.length === 1 && states[0] === 'succeeded' && running === version && good === version ? 'succeeded' : `final states ${JSON.stringify(states)}, running ${running}, marked good ${good}`;
    jobs.push({ version, kills: jobKills, outcome });
    if (outcome !== 'succeeded') {
      const dir = mkdtempSync(join(tmpdir(), 'kill-evidence-ota-'));
      [...logs, d ? d.stdout() + d.stderr() : ''].forEach((l, i) => writeFileSync(join(dir, `agent-${String(i + 1).padStart(3, '0')}.log`), l));
      t.comment(`${version}: ${outcome}; agent logs kept in ${dir}`);
    }
    t.equal(outcome, 'succeeded', `${version} (killed ${jobKills}×): succeeded exactly once, running and marked good${finals.raw > finals.byId.size ? ` (${finals.raw - finals.byId.size} re-published final event)` : ''}`);
  }
  d?.child.kill('SIGTERM');
  if (d) await d.exited;
  const final = await scanDataDir(root);
  addScan(tally, final, 'after the last job');
  const installs = (await readFile(join(r.stateDir, 'calls'), 'utf8')).split('\n').filter((l) => l.startsWith('install ')).length;
  const downloads = r.images.requests.filter((q) => q.path.startsWith('/images/'));
  t.comment(`ota: kills ${tally.kills} over ${jobs.length} jobs; killed while ${Object.entries(killedIn).map(([s, n]) => `${s} ${n}`).join(', ')}`);
  t.comment(`ota: jobs succeeded exactly once ${jobs.filter((j) => j.outcome === 'succeeded').length}/${jobs.length}; installer runs ${installs} for ${jobs.length} jobs; image requests ${downloads.length} (${downloads.filter((q) => q.range).length} resumed with Range)`);
  t.comment(`ota: files checked ${tally.filesChecked}, torn ${tally.torn.length}, crash leftovers repaired at start ${tally.recoverable}, not repaired ${tally.leftovers.length}; most outbox segments on flash ${tally.maxOutboxSegments}`);
  t.same(tally.torn, [], 'no torn file (job.json always passes the agent\'s record check) after any kill');
  t.same(tally.leftovers, [], 'every temp file a kill left was removed by the next start');
  t.ok(tally.kills >= KILLS);
});
