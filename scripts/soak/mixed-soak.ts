/**
 * `npm run soak -- --hours N` (or `--minutes N`): the compiled agent on the
 * alarm rig (real Mosquitto over mutual TLS, the scripted MJPEG camera, the
 * local HTTPS upload server, real sharp and ffmpeg) plus the talkback relay
 * and the real ALSA path, under mixed load for the whole run (soak-load.ts):
 * motion every 20–60 s (alarms with snapshots, alarm.maxPerMinute at its
 * default 10), a 20–60 s talkback session every 2–4 min (relay and MQTT in
 * turn), an authenticated local-API GET every 2–5 s, and a cloud request
 * every 30–90 s. Samples the agent every minute (every 10 s for runs under
 * 10 min) and judges growth after the warm-up (soak-metrics.ts), the alarms'
 * delivery after a drain wait, the load's own failures and agent restarts.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { alarmRig, waitReady } from '../../test/helpers/alarm-rig.js';
import { startAlsaRig } from '../../test/helpers/alsa-rig.js';
import { startTalkRelay } from '../../test/helpers/talk-relay.js';
import { encodeTalk, frameTalk, utteranceWav } from '../../test/helpers/talk-audio.js';
import { tempDir } from '../../test/helpers/tmp.js';
import { ROOT } from '../../test/helpers/daemon.js';
import { parseCodecSpec } from '../../src/talkback/codec.js';
import { mulberry32 } from '../../src/core/seeded-random.js';
import { apiLoop, cloudLoop, counts, motionLoop, stopSignal, talkbackLoop, type TalkbackState } from './soak-load.js';
import { formatGrowth, growth, procFdCount, procRssBytes, samplesCsv, type Sample } from './soak-metrics.js';

export interface MixedSoakOptions {
  seconds: number;
  /** Where samples.csv and summary.json go; a fresh temp folder by default. */
  out?: string;
  /** Overrides the warm-up (default: 10 min for runs of 30 min or more, else a third of the run). */
  warmUpS?: number;
}

const say = (line: string) => process.stdout.write(`soak: ${line}\n`);
const mb = (b: number | null) => (b === null ? '-' : `${(b / 1048576).toFixed(1)} MB`);
const clockOf = (s: number) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.round(s % 60)).padStart(2, '0')}`;

/**
 * The process environment the shipped unit gives the agent: its Environment=
 * and the node flags of its ExecStart= (as NODE_OPTIONS). The glibc arena cap
 * and the heap cap decide how RSS behaves over hours, so a soak without them
 * would measure a different process (docs/snapshots.md: 200+ MB vs 158 MB).
 */
async function unitEnvironment(): Promise<Record<string, string>> {
  const text = await readFile(join(ROOT, 'systemd/camera-agent.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^Environment=(.*)$/gm)) {
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  const exec = /^ExecStart=\S*node\s+((?:--\S+\s+)*)/m.exec(text);
  const flags = exec?.[1]?.trim();
  if (flags) env.NODE_OPTIONS = flags;
  return env;
}

export async function mixedSoak(opts: MixedSoakOptions): Promise<boolean> {
  const runS = opts.seconds;
  // 10 min of warm-up for real runs; a third of a shorter trial. Measured (6-min trial, unit environment):
  // RSS climbs from ~118 MB to a plateau of ~130 MB in the first 3–4 minutes of load (allocator arenas,
  // libvips and TLS buffers, the first sessions' pipes), then stays within ±1 MB.
  const warmUpS = opts.warmUpS ?? (runS >= 1800 ? 600 : Math.round(runS / 3));
  const sampleS = runS < 600 ? 10 : 60;
  const out = opts.out ?? (await mkdtemp(join(tmpdir(), 'camera-agent-soak-')));
  await mkdir(out, { recursive: true });
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void cleanups.push(fn), comment: () => undefined } as unknown as Test;
  try {
    const r = await alarmRig(t, { maxPerMinute: 10 });
    const alsa = await startAlsaRig(join(await tempDir(t, 'camera-agent-soak-audio-'), 'audio'));
    t.teardown(() => alsa.stop());
    const relay = await startTalkRelay(t, r.broker.pki.server);
    // The alarm rig's config, plus what talkback needs and health at its shortest period (the heap/handles source).
    const cfg = JSON.parse(await readFile(r.config, 'utf8')) as Record<string, any>;
    cfg.cloud.healthIntervalS = 30;
    cfg.hal = { mode: 'sim', sim: { alsaAudio: true }, speaker: { alsaDevice: alsa.speakerDevice }, microphone: { alsaDevice: alsa.micDevice } };
    cfg.talkback = { relay: { caFile: r.broker.pki.caPath } };
    await writeFile(r.config, JSON.stringify(cfg));

    const spec = parseCodecSpec({ name: 'pcmu' });
    if (!spec.ok) throw new Error(spec.message);
    const talk = await encodeTalk(r.dir, await utteranceWav(r.dir), spec.spec);
    const utterance = frameTalk(talk)
      .filter((f) => f.bytes.length === 12 + 160)
      .map((f) => f.bytes.subarray(12));

    // What the cloud sees, kept as counters so the recorder's message list can be trimmed.
    const health: { heap: number | null; handles: number | null; uptimeS: number } = { heap: null, handles: null, uptimeS: 0 };
    // A sample taken while a talkback session is open (or within 3 s of its end, while it tears down)
    // counts the session's sockets, pipes and buffers: such samples are shown but not judged.
    const talkState: TalkbackState = { active: false, endedAt: 0 };
    const quiet = () => !talkState.active && Date.now() - talkState.endedAt > 3000;
    let restarts = 0;
    const alarmEvents = new Map<string, string>();
    r.cloud.client.on('message', (topic, payload) => {
      if (topic === `cam/${r.deviceId}/health`) {
        const h = JSON.parse(payload.toString()) as { uptimeS: number; memory: { heapUsedBytes: number }; handles?: number };
        if (h.uptimeS < health.uptimeS) restarts++;
        health.uptimeS = h.uptimeS;
        if (!quiet()) return;
        health.heap = h.memory.heapUsedBytes;
        health.handles = h.handles ?? null;
      } else if (topic === `cam/${r.deviceId}/event/alarm`) {
        const e = JSON.parse(payload.toString()) as { data: { alarmId: string; snapshot: { state: string } } };
        alarmEvents.set(e.data.alarmId, e.data.snapshot.state);
      }
    });

    const unit = await unitEnvironment();
    say(`agent environment from systemd/camera-agent.service: ${Object.entries(unit).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const d = r.start({ ...alsa.env, ...unit });
    await waitReady(r, d);
    const listening = await d.waitForLog('local API and console listening', 30_000);
    const base = String(listening.url);
    const pid = d.child.pid ?? 0;
    const stop = stopSignal();
    let exited: string | null = null;
    void d.exited.then((e) => {
      exited = `agent exited (code ${e.code}, signal ${e.signal})`;
      restarts++;
      stop.stop();
    });
    say(`agent pid ${pid}, ${runS / 60} min run, warm-up ${warmUpS} s, a sample every ${sampleS} s; output in ${out}`);

    // The agent's own account of raised alarms, read incrementally from its stdout.
    const raised = new Set<string>();
    let suppressed = 0;
    let readTo = 0;
    const readLog = () => {
      const text = d.stdout();
      const end = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(readTo, end).split('\n')) {
        if (!line.startsWith('{')) continue;
        const rec = JSON.parse(line) as { msg?: string; alarmId?: string };
        if (rec.msg === 'alarm raised' && rec.alarmId) raised.add(rec.alarmId);
        else if (rec.msg === 'alarm suppressed: per-minute cap reached') suppressed++;
      }
      readTo = end;
    };
    const uploaded = new Set<string>();
    const readUploads = () => {
      // Bodies are ~100 KB each: note the alarm id and drop them.
      for (const u of r.uploads.uploads.splice(0)) {
        const m = /\/snapshots\/([0-9a-f]+)\.jpg$/.exec(u.path);
        if (m) uploaded.add(m[1]!);
      }
    };
    const delivered = (id: string) => alarmEvents.has(id) && (alarmEvents.get(id) === 'off' || uploaded.has(id));

    const talkbackCounts = counts();
    const apiCounts = counts();
    const cloudCounts = counts();
    const short = runS < 600;
    const loops = [
      motionLoop(r, stop, mulberry32(1), [20, 60]),
      talkbackLoop(r, relay, utterance, stop, mulberry32(2), short ? [30, 60] : [120, 240], short ? [20, 30] : [20, 60], talkbackCounts, talkState),
      apiLoop(r, base, Math.min(8 * 3600, runS + 3600), stop, mulberry32(3), [2, 5], apiCounts),
      cloudLoop(r, stop, mulberry32(4), short ? [15, 30] : [30, 90], cloudCounts),
    ];

    const samples: Sample[] = [];
    const csv = join(out, 'samples.csv');
    const t0 = Date.now();
    for (let k = 1; !stop.stopped; k++) {
      await stop.sleep(t0 + k * sampleS * 1000 - Date.now());
      if (stop.stopped) break;
      readLog();
      readUploads();
      // The recorder keeps every message (MQTT talkback frames too); a minute is all the waits need.
      const keepFrom = r.cloud.messages.findIndex((m) => m.receivedAt > Date.now() - 60_000);
      r.cloud.messages.splice(0, keepFrom < 0 ? r.cloud.messages.length : keepFrom);
      const s: Sample = {
        t: Math.round((Date.now() - t0) / 1000),
        quiet: quiet(),
        rssBytes: procRssBytes(pid),
        fds: procFdCount(pid),
        heapUsedBytes: health.heap,
        handles: health.handles,
        alarmsRaised: raised.size,
        talkbackOk: talkbackCounts.ok,
        apiOk: apiCounts.ok,
      };
      samples.push(s);
      await writeFile(csv, samplesCsv(samples));
      say(
        `${clockOf(s.t)}${s.quiet ? ' ' : '*'} rss ${mb(s.rssBytes)}, fds ${s.fds}, heap ${mb(s.heapUsedBytes)}, handles ${s.handles ?? '-'} | ` +
          `alarms ${raised.size}, talkback ${talkbackCounts.ok}/${talkbackCounts.ok + talkbackCounts.failed}, api ${apiCounts.ok}/${apiCounts.ok + apiCounts.failed}, cloud ${cloudCounts.ok}/${cloudCounts.ok + cloudCounts.failed}`,
      );
      if (s.t >= runS) stop.stop();
    }
    const visits = await loops[0];
    await Promise.all(loops.slice(1));

    // Drain: every raised alarm gets up to 2 min to reach the broker with its snapshot.
    const drainUntil = Date.now() + 120_000;
    for (;;) {
      readLog();
      readUploads();
      if ([...raised].every(delivered) || Date.now() > drainUntil || exited) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const lost = [...raised].filter((id) => !delivered(id));
    const notRaisedButSent = [...alarmEvents.keys()].filter((id) => !raised.has(id));

    const rows = growth(samples, warmUpS);
    say(`growth from the warm-up's end (${warmUpS} s) to the end: median of the first 3 samples at or after it vs median of the last 3; samples during a talkback session (*) not judged; heap and handles from the agent's latest health message`);
    for (const g of rows) say(formatGrowth(g));
    say(`motion visits ${visits}; alarms raised ${raised.size}, delivered ${raised.size - lost.length}, lost ${lost.length}, suppressed by the rate limit ${suppressed}${notRaisedButSent.length ? `, published but not logged ${notRaisedButSent.length}` : ''}`);
    say(`talkback sessions ok ${talkbackCounts.ok}, failed ${talkbackCounts.failed}`);
    say(`local API requests ok ${apiCounts.ok}, failed ${apiCounts.failed}`);
    say(`cloud requests ok ${cloudCounts.ok}, failed ${cloudCounts.failed}`);
    say(`agent restarts ${restarts}${exited ? ` (${exited})` : ''}`);
    for (const e of [...talkbackCounts.errors, ...apiCounts.errors, ...cloudCounts.errors]) say(`  error: ${e}`);

    const reasons: string[] = [];
    for (const g of rows) if (!g.ok) reasons.push(`${g.metric} growth ${g.unit === 'MB' ? `${(g.growth / 1048576).toFixed(2)} MB` : g.growth} > ${g.unit === 'MB' ? `${g.limit / 1048576} MB` : g.limit}`);
    if (lost.length) reasons.push(`${lost.length} alarm(s) lost`);
    if (raised.size === 0) reasons.push('no alarm raised');
    if (talkbackCounts.failed) reasons.push(`${talkbackCounts.failed} talkback session(s) failed`);
    if (talkbackCounts.ok === 0) reasons.push('no talkback session completed');
    if (apiCounts.failed) reasons.push(`${apiCounts.failed} API request(s) failed`);
    if (apiCounts.ok === 0) reasons.push('no API request succeeded');
    if (cloudCounts.failed) reasons.push(`${cloudCounts.failed} cloud request(s) failed`);
    if (restarts) reasons.push(`${restarts} agent restart(s)`);

    await writeFile(
      join(out, 'summary.json'),
      JSON.stringify(
        {
          runS,
          warmUpS,
          sampleS,
          growth: rows,
          alarms: { visits, raised: raised.size, delivered: raised.size - lost.length, lost, suppressed },
          talkback: talkbackCounts,
          api: apiCounts,
          cloud: cloudCounts,
          restarts,
          pass: reasons.length === 0,
          reasons,
        },
        null,
        2,
      ),
    );
    await writeFile(join(out, 'agent-stdout.log'), d.stdout());
    say(`samples in ${csv}, summary in ${join(out, 'summary.json')}, the agent's log in ${join(out, 'agent-stdout.log')}`);
    if (!exited) {
      d.child.kill('SIGTERM');
      // The teardown SIGKILLs it if the clean stop hangs.
      await Promise.race([d.exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    }
    say(reasons.length === 0 ? 'PASS' : `FAIL ${reasons.join('; ')}`);
    return reasons.length === 0;
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}
