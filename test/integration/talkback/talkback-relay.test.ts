/**
 * Talkback end to end on the real ALSA path: the cloud asks for a session
 * over MQTT, the compiled agent connects to a local WSS relay, the test
 * sends an espeak-ng utterance as the app would (framed, paced in real
 * time), and what the agent handed to ALSA (an ALSA file PCM in front of a
 * PulseAudio null sink, test-rigs.md §5) is compared with a plain ffmpeg
 * decode of the same audio: same duration (±2 %) and level (±1 dB).
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseCodecSpec, type CodecSpec } from '../../../src/talkback/codec.js';
import { encodeTalkFrame, parseTalkFrame } from '../../../src/talkback/talk-frame.js';
import { talkbackRig, waitOnline, type TalkbackRig } from '../../helpers/talkback-rig.js';
import { encodeTalk, frameTalk, sendPaced, utteranceWav, type EncodedTalk } from '../../helpers/talk-audio.js';
import { durationSeconds, rmsDbfs, trimSilence } from '../../helpers/audio-measure.js';
import { toneSamples } from '../../../src/hal/linux/aplay-tone.js';
import type { Daemon } from '../../helpers/daemon.js';

const run = promisify(execFile);

function spec(v: Record<string, unknown>): CodecSpec {
  const r = parseCodecSpec(v);
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

/** Plays `talk` through a session and returns what reached ALSA, with the session's end event. */
async function playThrough(
  rig: TalkbackRig,
  sessionId: string,
  talk: EncodedTalk,
  order?: number[],
): Promise<{ played: Buffer; ended: Record<string, any> }> {
  const { response, peer } = await rig.startSession(sessionId, { name: talk.codec.name, sampleRate: talk.codec.sampleRate });
  if (!peer) throw new Error(`talkback.start failed: ${JSON.stringify(response)}`);
  const frames = frameTalk(talk, 0x7fff_f000); // near 2^31: the wrap of a random start is no problem
  await sendPaced((b) => peer.send(b), frames, talk.codec.clockRate, order);
  peer.send(encodeTalkFrame({ type: 'end', seq: 0, timestamp: 0 }));
  const stop = await rig.request('talkback.stop', { sessionId });
  if (stop.status !== 'ok') throw new Error(`talkback.stop failed: ${JSON.stringify(stop)}`);
  const ended = await rig.waitForEvent((d) => d.sessionId === sessionId && d.state === 'ended', `${sessionId} ended`);
  return { played: await rig.alsa.readSpeaker(), ended };
}

const DEFAULT_GAIN_DB = 20 * Math.log10(0.8);

function compare(t: Test, played: Buffer, reference: Buffer, rate: number, gainDb = DEFAULT_GAIN_DB, ended?: Record<string, any>): void {
  const p = trimSilence(played);
  const r = trimSilence(reference);
  const dp = durationSeconds(p, rate);
  const dr = durationSeconds(r, rate);
  // The session's own account, so a failure says whether frames were late, lost or dropped at the device.
  const stats = ended ? ` (session: ${JSON.stringify(ended.stats)})` : '';
  t.ok(Math.abs(dp - dr) / dr <= 0.02, `duration ${dp.toFixed(3)} s vs reference ${dr.toFixed(3)} s (±2 %)${stats}`);
  const lp = rmsDbfs(p);
  const lr = rmsDbfs(r) + gainDb;
  t.ok(Math.abs(lp - lr) <= 1, `level ${lp.toFixed(2)} dBFS vs expected ${lr.toFixed(2)} dBFS (±1 dB)`);
}

t.test('talkback over the WebSocket relay on the real ALSA path', async (t) => {
  // The default volume (80 %) applies: played audio is 1.9 dB below the reference.
  const rig = await talkbackRig(t);
  const wav = await utteranceWav(rig.dir);
  const d: Daemon = rig.start();
  await waitOnline(rig);

  await t.test('a µ-law utterance plays out with the same duration and level, the amplifier around it', async (t) => {
    const talk = await encodeTalk(rig.dir, wav, spec({ name: 'pcmu' }));
    const { played, ended } = await playThrough(rig, 'sess-pcmu-0001', talk);
    compare(t, played, talk.reference, talk.rate, DEFAULT_GAIN_DB, ended);
    t.equal(ended.reason, 'stopped');
    t.equal(ended.stats.lost, 0, 'nothing lost on loopback');
    t.ok(ended.stats.framesIn >= talk.payloads.length, 'every frame arrived');
    const started = rig.events().find((e) => e.sessionId === 'sess-pcmu-0001' && e.state === 'started');
    t.match(started, { origin: 'cloud', transport: 'relay', codec: { name: 'pcmu', sampleRate: 8000 }, duplex: 'half' });
    // The amplifier came on before the first sample and went off after the last.
    const log = d.stdout();
    const on = log.indexOf('amplifier on');
    const off = log.lastIndexOf('amplifier off');
    t.ok(on >= 0 && off > on, 'amplifier on, then off');
  });

  await t.test('A-law plays the same way', async (t) => {
    const talk = await encodeTalk(rig.dir, wav, spec({ name: 'pcma' }));
    const { played, ended } = await playThrough(rig, 'sess-pcma-0001', talk);
    compare(t, played, talk.reference, talk.rate, DEFAULT_GAIN_DB, ended);
  });

  await t.test('Opus 48 kHz at half volume: same duration, 6 dB down', async (t) => {
    t.match(await rig.request('config.set', { patch: { talkback: { volume: 50 } } }), { status: 'ok', data: { applied: ['talkback.volume'] } });
    const talk = await encodeTalk(rig.dir, wav, spec({ name: 'opus', sampleRate: 48000 }));
    const { played, ended } = await playThrough(rig, 'sess-opus-0001', talk);
    compare(t, played, talk.reference, talk.rate, 20 * Math.log10(0.5), ended);
    await rig.request('config.set', { patch: { talkback: { volume: 80 } } });
  });

  await t.test('Opus 16 kHz', async (t) => {
    const talk = await encodeTalk(rig.dir, wav, spec({ name: 'opus', sampleRate: 16000 }));
    const { played, ended } = await playThrough(rig, 'sess-opus-0002', talk);
    compare(t, played, talk.reference, talk.rate, DEFAULT_GAIN_DB, ended);
  });

  await t.test('AAC-LC 16 kHz', async (t) => {
    const talk = await encodeTalk(rig.dir, wav, spec({ name: 'aac', sampleRate: 16000 }));
    const { played, ended } = await playThrough(rig, 'sess-aac-00001', talk);
    compare(t, played, talk.reference, talk.rate, DEFAULT_GAIN_DB, ended);
  });

  await t.test('reordered, duplicated and lost frames: duration kept, counted, no crash', async (t) => {
    const talk = await encodeTalk(rig.dir, wav, spec({ name: 'pcmu' }));
    const n = talk.payloads.length;
    // Deterministic mess: swap every 7th pair, send every 11th twice, drop every 29th.
    const order: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 29 === 28) continue;
      order.push(i);
      if (i % 11 === 5) order.push(i);
    }
    for (let k = 0; k + 1 < order.length; k += 7) {
      const a = order[k] as number;
      order[k] = order[k + 1] as number;
      order[k + 1] = a;
    }
    const { played, ended } = await playThrough(rig, 'sess-mess-0001', talk, order);
    const dropped = Math.floor(n / 29);
    t.ok(ended.stats.lost >= dropped - 1, `lost ${ended.stats.lost} (dropped ${dropped})`);
    t.ok(ended.stats.duplicates >= 1, `duplicates ${ended.stats.duplicates}`);
    t.ok(ended.stats.reordered + ended.stats.late >= 1, `reordered ${ended.stats.reordered}, late ${ended.stats.late}`);
    const dp = durationSeconds(trimSilence(played), talk.rate);
    const dr = durationSeconds(trimSilence(talk.reference), talk.rate);
    t.ok(Math.abs(dp - dr) / dr <= 0.02, `duration kept: ${dp.toFixed(3)} s vs ${dr.toFixed(3)} s`);
  });

  await t.test('one talker at a time: a second start is busy', async (t) => {
    const first = await rig.startSession('sess-busy-0001', { name: 'pcmu' });
    t.equal(first.response.status, 'ok');
    const second = await rig.request('talkback.start', { sessionId: 'sess-busy-0002', codec: { name: 'pcmu' }, relay: { url: rig.relay.url, token: rig.relay.token } });
    t.match(second, { status: 'error', error: { code: 'busy' } });
    await rig.waitForEvent((e) => e.sessionId === 'sess-busy-0002' && e.state === 'refused' && e.reason === 'busy', 'busy refusal');
    await rig.request('talkback.stop', { sessionId: 'sess-busy-0001' });
    await rig.waitForEvent((e) => e.sessionId === 'sess-busy-0001' && e.state === 'ended', 'first ended');
    const unknown = await rig.request('talkback.stop', { sessionId: 'sess-busy-0001' });
    t.match(unknown, { status: 'error', error: { code: 'not_found' } });
  });

  await t.test('silence from the far end ends the session at the idle timeout', async (t) => {
    await rig.request('config.set', { patch: { talkback: { idleTimeoutS: 5 } } });
    const { peer } = await rig.startSession('sess-idle-0001', { name: 'pcmu' });
    t.ok(peer);
    const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-idle-0001' && e.state === 'ended', 'idle end', 15_000);
    t.equal(ended.reason, 'idle_timeout');
    t.ok(ended.durationMs >= 4_900 && ended.durationMs < 9_000, `ended after ${ended.durationMs} ms`);
    const closed = await peer?.closed;
    t.ok(closed, 'the relay connection was closed by the camera');
    await rig.request('config.set', { patch: { talkback: { idleTimeoutS: 30 } } });
  });

  await t.test('a session kept alive ends at the hard cap', async (t) => {
    await rig.request('config.set', { patch: { talkback: { maxSessionS: 10 } } });
    const { peer } = await rig.startSession('sess-max-00001', { name: 'pcmu' });
    const keepalive = setInterval(() => peer?.send(encodeTalkFrame({ type: 'keepalive', seq: 0, timestamp: 0 })), 2000);
    t.teardown(() => clearInterval(keepalive));
    const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-max-00001' && e.state === 'ended', 'cap end', 20_000);
    clearInterval(keepalive);
    t.equal(ended.reason, 'max_duration');
    t.ok(ended.durationMs >= 9_900 && ended.durationMs < 13_000, `ended after ${ended.durationMs} ms`);
    await rig.request('config.set', { patch: { talkback: { maxSessionS: 600 } } });
  });

  await t.test('privacy mode refuses a start and ends a running session', async (t) => {
    const { peer } = await rig.startSession('sess-priv-0001', { name: 'pcmu' });
    t.ok(peer);
    await rig.request('config.set', { patch: { privacy: { mode: true } } });
    const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-priv-0001' && e.state === 'ended', 'privacy end');
    t.equal(ended.reason, 'privacy_mode');
    const refused = await rig.request('talkback.start', { sessionId: 'sess-priv-0002', codec: { name: 'pcmu' }, relay: { url: rig.relay.url, token: rig.relay.token } });
    t.match(refused, { status: 'error', error: { code: 'privacy_mode' } });
    await rig.request('config.set', { patch: { privacy: { mode: false } } });
  });

  await t.test('losing the relay ends the session with transport_lost', async (t) => {
    const { peer } = await rig.startSession('sess-lost-0001', { name: 'pcmu' });
    peer?.socket.terminate();
    const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-lost-0001' && e.state === 'ended', 'relay loss end');
    t.equal(ended.reason, 'transport_lost');
  });

  await t.test('a wrong relay token is refused and reported', async (t) => {
    const r = await rig.request('talkback.start', { sessionId: 'sess-deny-0001', codec: { name: 'pcmu' }, relay: { url: rig.relay.url, token: 'not-the-relay-token-at-all' } });
    t.match(r, { status: 'error', error: { code: 'relay_rejected' } });
    t.notOk(d.stdout().includes('not-the-relay-token-at-all'), 'the token is never logged');
  });

  await t.test('malformed frames are counted and ignored; the session lives on', async (t) => {
    const { peer } = await rig.startSession('sess-junk-0001', { name: 'pcmu' });
    peer?.send(Buffer.from('not a frame'));
    peer?.send(encodeTalkFrame({ type: 'audio', codec: 'opus', seq: 1, timestamp: 0, marker: false, payload: new Uint8Array([0xf8, 0xff, 0xfe]) }));
    peer?.send(encodeTalkFrame({ type: 'keepalive', seq: 0, timestamp: 0 }));
    await rig.request('talkback.stop', { sessionId: 'sess-junk-0001' });
    const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-junk-0001' && e.state === 'ended', 'junk end');
    t.equal(ended.reason, 'stopped');
    t.equal(ended.stats.badFrames, 2);
  });
});

t.test('the microphone uplink delivers a tone the far end can decode', async (t) => {
  const tone = toneSamples(1000, 3000, 8000);
  const micInput = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
  const rig = await talkbackRig(t, { micInput, micRate: 8000, talkback: { duplex: 'full' } });
  const d = rig.start();
  await waitOnline(rig);
  const { peer } = await rig.startSession('sess-mic-00001', { name: 'pcmu' });
  if (!peer) throw new Error('no session');
  // A keep-alive stream, as an app that only listens sends.
  const keepalive = setInterval(() => peer.send(encodeTalkFrame({ type: 'keepalive', seq: 0, timestamp: 0 })), 1000);
  t.teardown(() => clearInterval(keepalive));
  await peer.frames.waitFor(() => true, 75, 10_000, (n) => `${n} uplink frames`);
  clearInterval(keepalive);
  await rig.request('talkback.stop', { sessionId: 'sess-mic-00001' });
  const frames = peer.frames.items.map((f) => parseTalkFrame(f.bytes));
  t.ok(frames.every((f) => f.ok && f.frame.type === 'audio' && f.frame.codec === 'pcmu'), 'every uplink frame is a µ-law audio frame');
  const seqs = frames.map((f) => (f.ok && f.frame.type === 'audio' ? f.frame.seq : -1));
  t.same(seqs.slice(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'sequence numbers count up from 0');
  const ulaw = Buffer.concat(frames.map((f) => (f.ok && f.frame.type === 'audio' ? Buffer.from(f.frame.payload) : Buffer.alloc(0))));
  const file = join(rig.dir, 'uplink.ul');
  await import('node:fs/promises').then((fs) => fs.writeFile(file, ulaw));
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', file, '-f', 's16le', 'pipe:1'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  const pcm = new Int16Array(stdout.buffer, stdout.byteOffset, stdout.byteLength >> 1);
  const at1k = goertzel(pcm, 8000, 1000);
  const at3k = goertzel(pcm, 8000, 3000);
  t.ok(at1k > 100 * at3k, `1 kHz dominates (${at1k.toExponential(2)} vs ${at3k.toExponential(2)} at 3 kHz)`);
  const ended = await rig.waitForEvent((e) => e.sessionId === 'sess-mic-00001' && e.state === 'ended', 'mic session end');
  t.ok(ended.stats.framesOut >= 75);
  // The LED showed the open microphone, and went back to the state's pattern after.
  const leds = d
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"msg":"status LED"'))
    .map((l) => (JSON.parse(l) as { led: string }).led);
  const on = leds.lastIndexOf('talkback');
  t.ok(on >= 0, 'the talkback LED pattern was shown');
  t.equal(leds.at(-1), 'online', 'and the online pattern came back');
});

/** Signal power at `hz` (Goertzel). */
function goertzel(samples: Int16Array, rate: number, hz: number): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / rate)) as number;
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}
