import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import { SimAudioLoop } from '../../../src/hal/sim/sim-audio-loop.js';
import { SimAudioOut } from '../../../src/hal/sim/sim-audio-out.js';
import { SimMicrophone } from '../../../src/hal/sim/sim-microphone.js';
import { SimAmplifier } from '../../../src/hal/sim/sim-amplifier.js';
import { toneDbfs } from '../../helpers/audio-measure.js';

const RATE = 16_000;
const TIMING = { sampleRate: RATE, periodMs: 10, bufferMs: 40 };
const logger = pino({ level: 'silent' });
const flush = () => new Promise((r) => setImmediate(r));

function sine(hz: number, ms: number, amplitude = 16000): Buffer {
  const n = (ms * RATE) / 1000;
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)), i * 2);
  return out;
}

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-audio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function rig(recordingPath = '') {
  const clock = new ManualClock();
  const loop = new SimAudioLoop({ clock });
  return { clock, loop, out: new SimAudioOut({ loop, clock, logger, recordingPath }), mic: new SimMicrophone({ loop, clock }) };
}

t.test('write() resolves once the simulated buffer has room: the writer is paced at the sample rate', async (t) => {
  const { clock, out } = rig();
  const playback = await out.openPlayback(TIMING);
  let done = false;
  // 100 ms of audio into a 40 ms buffer: room for it after 60 ms played.
  const write = playback.write(sine(440, 100)).then(() => (done = true));
  clock.advance(50);
  await flush();
  t.equal(done, false, 'not yet: 50 ms consumed');
  clock.advance(10);
  await write;
  t.equal(done, true, 'after 60 ms');
  t.resolves(playback.write(Buffer.alloc(0)), 'an empty write is a no-op');
  await t.rejects(playback.write(Buffer.alloc(3)), RangeError, 'half a sample is refused');
});

t.test('drain plays out the queue in clock time, then the playback ends cleanly and the speaker is free', async (t) => {
  const { clock, out } = rig();
  const playback = await out.openPlayback(TIMING);
  await playback.write(sine(440, 40));
  let drained = false;
  const drain = playback.drain().then(() => (drained = true));
  await t.rejects(playback.write(sine(440, 20)), { code: 'playback_closed' });
  clock.advance(30);
  await flush();
  t.equal(drained, false);
  clock.advance(10);
  await drain;
  t.equal(await playback.ended, null);
  t.equal(clock.pendingTimers(), 0, 'the DAC timer stopped');
  const next = await out.openPlayback(TIMING);
  await next.abort();
});

t.test('a second playback while one is open is refused with audio_busy; abort drops the queue at once', async (t) => {
  const { clock, out } = rig();
  const playback = await out.openPlayback(TIMING);
  await t.rejects(out.openPlayback(TIMING), { code: 'audio_busy' });
  const pending = playback.write(sine(440, 1000));
  await playback.abort();
  await pending;
  t.equal(await playback.ended, null);
  await playback.abort();
  t.equal(clock.pendingTimers(), 0);
  await t.rejects(out.openPlayback({ sampleRate: 1000, periodMs: 10, bufferMs: 40 }), RangeError);
});

t.test('what is played is heard by the simulated microphone, in real time', async (t) => {
  const { clock, out, mic } = rig();
  const capture = await mic.open({ sampleRate: RATE });
  const heard: Buffer[] = [];
  capture.onData((pcm) => heard.push(pcm));
  const playback = await out.openPlayback(TIMING);
  const tone = sine(1000, 200);
  const write = playback.write(tone);
  for (let i = 0; i < 30; i++) clock.advance(10);
  await write;
  const drained = playback.drain();
  clock.advance(100);
  await drained;
  await capture.stop();
  t.equal(await capture.ended, null);
  t.ok(heard.length >= 14 && heard.every((c) => c.length === 640), '20 ms chunks, one per 20 ms of clock time');
  const pcm = Buffer.concat(heard);
  t.equal(pcm.length, 0.4 * RATE * 2, 'exactly 400 ms of audio for 400 ms of clock time');
  const during = pcm.subarray(0.05 * RATE * 2, 0.15 * RATE * 2);
  const after = pcm.subarray(0.3 * RATE * 2);
  t.ok(toneDbfs(during, 1000, RATE) > -25, 'the tone reaches the microphone, attenuated by the room');
  t.ok(toneDbfs(after, 1000, RATE) < -60, 'and stops when the playback has played out');
});

t.test('with speakerRecording each playback is kept as a WAV, replaced atomically when it ends', async (t) => {
  const dir = tmp(t);
  const path = join(dir, 'speaker.wav');
  const { clock, out } = rig(path);
  const tone = sine(440, 100);
  const playback = await out.openPlayback(TIMING);
  const w = playback.write(tone);
  clock.advance(100);
  await w;
  t.notOk(existsSync(path), 'nothing written while playing');
  const d = playback.drain();
  clock.advance(20);
  await d;
  const wav = readFileSync(path);
  t.equal(wav.toString('ascii', 0, 4), 'RIFF');
  t.equal(wav.readUInt32LE(24), RATE, 'sample rate in the header');
  t.equal(wav.readUInt32LE(40), tone.length);
  t.ok(wav.subarray(44).equals(tone), 'the samples exactly as played');
  t.same(readdirSync(dir), ['speaker.wav'], 'no temp file left behind');

  const second = await out.openPlayback(TIMING);
  const w2 = second.write(sine(880, 100));
  clock.advance(30);
  await second.abort();
  await w2;
  const cut = readFileSync(path);
  t.equal(cut.readUInt32LE(40), 30 * (RATE / 1000) * 2, 'an aborted playback keeps what was played before the abort');
});

t.test('the simulated amplifier tracks its state and logs each switch', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const amp = new SimAmplifier(pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) }));
  await amp.set(true);
  await amp.set(true);
  t.equal(amp.isOn(), true);
  await amp.set(false);
  t.equal(amp.isOn(), false);
  t.same(lines.map((l) => l.msg), ['amplifier on', 'amplifier off']);
});
