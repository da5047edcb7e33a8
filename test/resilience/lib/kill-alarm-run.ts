/**
 * The alarm half of the SIGKILL suite: start the compiled agent on the alarm rig
 * (test/helpers/alarm-rig.ts: real Mosquitto, HTTPS upload server, scripted MJPEG mover),
 * let alarms flow — motion from the mover plus manual alarms requested by the "app"
 * through the cloud (`request/snapshot`) — and SIGKILL it at a random moment; inspect
 * the dead agent's data partition; start it again, as systemd would. At the end one
 * last agent drains everything and the broker's and upload server's records are
 * compared with what the agents acknowledged — alarms, images, and the final image
 * status (`event/snapshot` delivered or failed) every alarm that promised an image owes
 * the cloud, also when the kill cut its capture short (src/alarm/pending-captures.ts).
 */
import type { Test } from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PENDING_CAPTURE_LIMIT } from '../../../src/alarm/pending-captures.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import type { AlarmRig } from '../../helpers/alarm-rig.js';
import type { Daemon } from '../../helpers/daemon.js';
import { addScan, killAgent, leftoversAfterRestart, requestUntil, scanDataDir, sleep, spoolCorruptLogged, type KillTally, type Rng } from './kill-rig.js';

export interface AlarmLedger {
  /** Alarm ids an agent acknowledged: logged "alarm raised" with the event on flash, or answered to the app. */
  accepted: Set<string>;
  /** Alarm ids whose image an agent acknowledged as spooled ("alarm snapshot spooled"). */
  spooled: Set<string>;
  manualAsked: number;
  manualAnswered: number;
  /** Spool entries an agent found damaged and deleted (its log): must stay 0. */
  spoolCorrupt: number;
  /** Every agent life's stdout, for the failure report. */
  logs: string[];
  /** Complete spool entries still on flash after the drain (undelivered): must be 0. */
  leftInSpool: number;
  /** Most "capture pending" markers seen on flash after one kill (bounded by design). */
  maxMarkers: number;
  /** Markers still on flash after the drain (an owed status never queued): must be 0. */
  markersLeft: number;
}

export const newLedger = (): AlarmLedger => ({ accepted: new Set(), spooled: new Set(), manualAsked: 0, manualAnswered: 0, spoolCorrupt: 0, logs: [], leftInSpool: 0, maxMarkers: 0, markersLeft: 0 });

/**
 * The "capture pending" markers on a dead agent's flash (`<alarmId>.pending`, written
 * with writeFileAtomic): each must be whole JSON naming its own alarm, else it is torn.
 */
async function scanMarkers(root: string, tally: KillTally, label: string): Promise<number> {
  const dir = dataLayout(root).alarmCaptureDir;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.pending'));
  for (const name of names) {
    tally.filesChecked++;
    try {
      const m = JSON.parse(await readFile(join(dir, name), 'utf8')) as { alarmId?: unknown; at?: unknown };
      if (`${String(m.alarmId)}.pending` !== name || typeof m.at !== 'number') tally.torn.push(`${label}: capture marker ${name} does not name its alarm`);
    } catch (err) {
      tally.torn.push(`${label}: capture marker ${name}: ${(err as Error).message}`);
    }
  }
  return names.length;
}

function readLog(d: Daemon, ledger: AlarmLedger): void {
  for (const line of d.stdout().split('\n')) {
    if (!line.startsWith('{')) continue;
    const rec = JSON.parse(line) as { msg?: string; alarmId?: string; queued?: boolean };
    // "alarm raised" is logged after link.publishEvent resolved, i.e. once the event is on flash.
    if (rec.msg === 'alarm raised' && rec.queued === true && rec.alarmId) ledger.accepted.add(rec.alarmId);
    if (rec.msg === 'alarm snapshot spooled' && rec.alarmId) ledger.spooled.add(rec.alarmId);
  }
}

async function online(r: AlarmRig, since: number): Promise<void> {
  await r.cloud.waitFor((m) => m.topic === `cam/${r.deviceId}/status` && m.json().state === 'online' && m.receivedAt >= since, 30_000, 'online');
}

/**
 * One agent life: start, wait until it is up (unless the kill is meant to land in the start-up
 * itself), run the mover and the app's manual alarms, SIGKILL after a random delay, inspect.
 */
export async function alarmKillCycle(t: Test, r: AlarmRig, rng: Rng, o: { brokerUp: boolean; ledger: AlarmLedger; tally: KillTally; label: string; previous: Awaited<ReturnType<typeof scanDataDir>> | null }): Promise<Awaited<ReturnType<typeof scanDataDir>>> {
  const root = dataLayout(`${r.dir}/data`).root;
  const spawnedAt = Date.now();
  const d = r.start();
  // One kill in five lands in the start-up (spool scan, outbox replay, config load), the rest while alarms flow.
  const inStartup = rng.next() < 0.2;
  const stops: Array<() => void> = [];
  try {
    if (inStartup) {
      await sleep(rng.int(50, 1500));
    } else {
      if (o.brokerUp) await online(r, spawnedAt);
      await d.waitForLog('motion: background learnt', 30_000);
      if (o.previous) o.tally.leftovers.push(...(await leftoversAfterRestart(root, o.previous)).map((s) => `${o.label}: ${s}`));
      // Motion needs alarm.motion.offDelaySeconds (0.4 s) of stillness to end: one alarm per ~0.8–1.2 s.
      stops.push(r.video.cycle(rng.int(250, 500), rng.int(450, 700)));
      if (o.brokerUp) {
        let stopped = false;
        stops.push(() => (stopped = true));
        void (async () => {
          while (!stopped) {
            o.ledger.manualAsked++;
            void requestUntil(r.cloud, r.deviceId, 'snapshot', {}, () => d.child.exitCode !== null || d.child.signalCode !== null).then(
              (res) => {
                if (res?.status === 'ok' && typeof res.data?.alarmId === 'string') {
                  o.ledger.accepted.add(res.data.alarmId as string);
                  o.ledger.manualAnswered++;
                }
              },
              () => undefined, // the agent died before it answered: not acknowledged
            );
            await sleep(rng.int(150, 700));
          }
        })();
      }
      // With the broker down only the mover makes alarms: give it time to have some in the write path.
      await sleep(o.brokerUp ? rng.int(100, 3000) : rng.int(1000, 5000));
    }
  } finally {
    stops.forEach((s) => s());
    await killAgent(d).finally(() => o.ledger.logs.push(d.stdout() + d.stderr()));
  }
  o.tally.kills++;
  readLog(d, o.ledger);
  o.ledger.spoolCorrupt += spoolCorruptLogged(d);
  const scan = await scanDataDir(root);
  addScan(o.tally, scan, o.label);
  o.ledger.maxMarkers = Math.max(o.ledger.maxMarkers, await scanMarkers(root, o.tally, o.label));
  return scan;
}

export interface DrainFigures {
  acceptedAlarms: number;
  deliveredIds: number;
  lost: string[];
  /** Publishes of an alarm id beyond its first (at least once: the cloud de-duplicates by id). */
  redelivered: number;
  /** Alarm ids at the broker that no agent acknowledged (raised, then killed before the log line left). */
  unacknowledgedDelivered: number;
  imagesSpooled: number;
  imagesUploaded: number;
  imagesLost: string[];
  imageReuploads: number;
  /** Accepted alarms whose event at the broker says snapshot `pending`: each owes one final image status. */
  imageAlarms: number;
  /** Of those, the ones with no `delivered` and no `failed` status at the broker: must be none. */
  withoutFinalStatus: string[];
  /** Of those, the ones with two different final outcomes (delivered and failed, or two codes) or a failed without a code: must be none. */
  conflictingFinalStatus: string[];
  /** Final outcomes: delivered, and failed by code (`capture_interrupted` = the kill cut the capture short). */
  finalDelivered: number;
  finalFailed: Record<string, number>;
  /** Final status events beyond the first per alarm (distinct envelope ids, same outcome): at least once, printed. */
  finalStatusRepeats: number;
  /** Final statuses naming an alarm id the broker never got (marker written, killed before the event): printed. */
  statusWithoutAlarm: number;
}

interface FinalStatus {
  envelopeId: string;
  alarmId: string;
  outcome: string;
}

/** `event/snapshot` messages at the broker in a final state, one per envelope id (the outbox may send one twice). */
function finalStatuses(r: AlarmRig): FinalStatus[] {
  const seen = new Map<string, FinalStatus>();
  for (const m of r.cloud.messages) {
    if (m.topic !== `cam/${r.deviceId}/event/snapshot`) continue;
    const e = m.json() as { id: string; data: { alarmId: string; state: string; code?: unknown } };
    if (e.data.state === 'delivered') seen.set(e.id, { envelopeId: e.id, alarmId: e.data.alarmId, outcome: 'delivered' });
    else if (e.data.state === 'failed') seen.set(e.id, { envelopeId: e.id, alarmId: e.data.alarmId, outcome: typeof e.data.code === 'string' && e.data.code !== '' ? `failed:${e.data.code}` : 'failed without a code' });
  }
  return [...seen.values()];
}

/** Accepted alarm ids whose event at the broker promises an image. */
function imageAlarmIds(r: AlarmRig, ledger: AlarmLedger): string[] {
  const pending = new Set(r.alarms().filter((a) => a.data.snapshot?.state === 'pending').map((a) => a.data.alarmId as string));
  return [...ledger.accepted].filter((id) => pending.has(id));
}

/** One last agent, nothing new happening: wait until everything acknowledged has arrived, then count. */
export async function drainAndCount(t: Test, r: AlarmRig, ledger: AlarmLedger, tally: KillTally, previous: Awaited<ReturnType<typeof scanDataDir>> | null): Promise<DrainFigures> {
  const root = `${r.dir}/data`;
  const since = Date.now();
  const d = r.start();
  d.exited.then(() => ledger.logs.push(d.stdout() + d.stderr()), () => undefined);
  await online(r, since);
  await d.waitForLog('snapshot spool ready', 30_000);
  if (previous) tally.leftovers.push(...(await leftoversAfterRestart(root, previous)).map((s) => `drain: ${s}`));
  const atBroker = (): Set<string> => new Set(r.alarms().map((a) => a.data.alarmId as string));
  const uploaded = (): string[] => r.uploads.uploads.filter((u) => u.path.endsWith('.jpg') && !u.path.endsWith('.thumb.jpg')).map((u) => u.path.slice('/snapshots/'.length, -4));
  const deadline = Date.now() + 120_000;
  // Requests the app sent to a dead agent wait at the broker (persistent session) and may raise
  // alarms in this last life too: done only when everything is delivered AND nothing new came for 2 s.
  let seen = -1;
  let quietSince = Date.now();
  for (;;) {
    readLog(d, ledger);
    const now = ledger.accepted.size + ledger.spooled.size;
    if (now !== seen) {
      seen = now;
      quietSince = Date.now();
    }
    const got = atBroker();
    const up = new Set(uploaded());
    const spoolEmpty = (await scanDataDir(root)).spoolIds.length === 0;
    const withStatus = new Set(finalStatuses(r).map((s) => s.alarmId));
    const statusesIn = imageAlarmIds(r, ledger).every((id) => withStatus.has(id));
    const done = [...ledger.accepted].every((id) => got.has(id)) && [...ledger.spooled].every((id) => up.has(id)) && spoolEmpty && statusesIn;
    if (done && Date.now() - quietSince > 2000) break;
    if (Date.now() > deadline || d.child.exitCode !== null || d.child.signalCode !== null) break; // the assertions below say what is missing
    await sleep(250);
  }
  // A final round trip through the broker: whatever the agent had published has reached the cloud.
  await requestUntil(r.cloud, r.deviceId, 'config.get', { keys: ['alarm.enabled'] }, () => false, 10_000);
  d.child.kill('SIGTERM');
  await d.exited;
  readLog(d, ledger);
  ledger.spoolCorrupt += spoolCorruptLogged(d);
  const final = await scanDataDir(root);
  addScan(tally, final, 'after the drain');
  ledger.leftInSpool = final.spoolIds.length;
  ledger.markersLeft = await scanMarkers(root, tally, 'after the drain');
  const pubs = r.alarms().map((a) => a.data.alarmId as string);
  const got = new Set(pubs);
  const ups = uploaded();
  const upSet = new Set(ups);
  const finals = finalStatuses(r);
  const outcomes = new Map<string, Set<string>>();
  for (const s of finals) outcomes.set(s.alarmId, (outcomes.get(s.alarmId) ?? new Set()).add(s.outcome));
  const imageIds = imageAlarmIds(r, ledger);
  const finalFailed: Record<string, number> = {};
  let finalDelivered = 0;
  for (const id of imageIds) {
    const o = outcomes.get(id);
    if (o?.size !== 1) continue;
    const [only] = [...o];
    if (only === 'delivered') finalDelivered++;
    else if (only!.startsWith('failed:')) finalFailed[only!.slice('failed:'.length)] = (finalFailed[only!.slice('failed:'.length)] ?? 0) + 1;
  }
  return {
    acceptedAlarms: ledger.accepted.size,
    deliveredIds: got.size,
    lost: [...ledger.accepted].filter((id) => !got.has(id)),
    redelivered: pubs.length - got.size,
    unacknowledgedDelivered: [...got].filter((id) => !ledger.accepted.has(id)).length,
    imagesSpooled: ledger.spooled.size,
    imagesUploaded: upSet.size,
    imagesLost: [...ledger.spooled].filter((id) => !upSet.has(id)),
    imageReuploads: ups.length - upSet.size,
    imageAlarms: imageIds.length,
    withoutFinalStatus: imageIds.filter((id) => !outcomes.has(id)),
    conflictingFinalStatus: imageIds.filter((id) => outcomes.has(id) && (outcomes.get(id)!.size > 1 || outcomes.get(id)!.has('failed without a code'))),
    finalDelivered,
    finalFailed,
    finalStatusRepeats: finals.length - outcomes.size,
    statusWithoutAlarm: [...outcomes.keys()].filter((id) => !got.has(id)).length,
  };
}

export function reportAlarms(t: Test, what: string, tally: KillTally, f: DrainFigures, ledger: AlarmLedger): void {
  t.comment(`${what}: kills ${tally.kills}; files checked ${tally.filesChecked}, torn ${tally.torn.length}, crash leftovers repaired at start ${tally.recoverable}, not repaired ${tally.leftovers.length}; most outbox segments on flash ${tally.maxOutboxSegments}`);
  t.comment(`${what}: alarms accepted ${f.acceptedAlarms} (manual: ${ledger.manualAnswered} answered of ${ledger.manualAsked} asked), delivered ${f.deliveredIds} distinct ids, lost ${f.lost.length}, duplicated after de-duplication by alarmId 0 — raw re-publishes of an already delivered id ${f.redelivered} (at least once, docs/protocol.md), delivered but never acknowledged ${f.unacknowledgedDelivered}`);
  t.comment(`${what}: images spooled ${f.imagesSpooled}, uploaded ${f.imagesUploaded} distinct, lost ${f.imagesLost.length}, re-uploads ${f.imageReuploads}; spool entries found damaged by the agent ${ledger.spoolCorrupt}`);
  const failed = Object.entries(f.finalFailed).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  t.comment(`${what}: final image status of the ${f.imageAlarms} accepted alarms with snapshots on — delivered ${f.finalDelivered}, failed ${failed}; without one ${f.withoutFinalStatus.length}, conflicting ${f.conflictingFinalStatus.length}; repeated final statuses (at least once) ${f.finalStatusRepeats}; statuses for an alarm the broker never got (kill between marker and event) ${f.statusWithoutAlarm}; capture markers: most on flash after a kill ${ledger.maxMarkers}, left after the drain ${ledger.markersLeft}`);
}

export function assertAlarms(t: Test, tally: KillTally, f: DrainFigures, ledger: AlarmLedger): void {
  // CAMERA_AGENT_KILL_KEEP_LOGS=1 keeps them from a passing run too.
  if (f.lost.length || f.imagesLost.length || tally.torn.length || ledger.leftInSpool || f.withoutFinalStatus.length || f.conflictingFinalStatus.length || process.env.CAMERA_AGENT_KILL_KEEP_LOGS === '1') {
    keepEvidence(t, ledger, `lost alarms ${JSON.stringify(f.lost)}, lost images ${JSON.stringify(f.imagesLost)}, without final image status ${JSON.stringify(f.withoutFinalStatus)}, conflicting ${JSON.stringify(f.conflictingFinalStatus)}`);
  }
  t.same(tally.torn, [], 'no torn file after any kill');
  t.same(tally.leftovers, [], 'every temp file and half-written spool entry a kill left was removed by the next start');
  t.same(f.lost, [], 'every acknowledged alarm reached the broker');
  t.same(f.imagesLost, [], 'every acknowledged (spooled) image was uploaded');
  t.ok(f.acceptedAlarms > 0, 'alarms were raised at all');
  t.equal(ledger.spoolCorrupt, 0, 'no agent found a damaged spool entry');
  t.equal(ledger.leftInSpool, 0, 'the spool is empty after the drain');
  t.same(f.withoutFinalStatus, [], 'every accepted alarm with snapshots on ended with a final image status at the broker (delivered, or failed with a code)');
  t.same(f.conflictingFinalStatus, [], 'no alarm got two different final image statuses');
  t.equal(ledger.markersLeft, 0, 'no capture marker is left on flash after the drain');
  t.ok(ledger.maxMarkers <= DEFAULT_PENDING_CAPTURE_LIMIT, `capture markers on flash stayed within their bound of ${DEFAULT_PENDING_CAPTURE_LIMIT}`);
}

/** Keep every agent life's log (stdout + stderr) outside the test's temp folder, and say where. */
export function keepEvidence(t: Test, ledger: AlarmLedger, why: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'kill-evidence-'));
  ledger.logs.forEach((l, i) => writeFileSync(join(dir, `agent-${String(i + 1).padStart(3, '0')}.log`), l));
  t.comment(`${why}; agent logs kept in ${dir}`);
}
