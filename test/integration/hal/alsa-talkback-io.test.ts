import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { isHalError } from '../../../src/hal/hal-error.js';
import { defaultHalConfig } from '../../../src/hal/config.js';
import { AplayPlayback } from '../../../src/hal/linux/aplay-playback.js';
import { SimHal } from '../../../src/hal/sim/sim-hal.js';
import { ArecordMicrophone } from '../../../src/hal/linux/arecord-microphone.js';
import { startAlsaRig, type AlsaRig, type AlsaRigOptions } from '../../helpers/alsa-rig.js';
import { durationSeconds, rmsDbfs, toneDbfs, trimSilence } from '../../helpers/audio-measure.js';
import { captureLogger, tempDir } from './fixtures/hal-test-kit.js';

/**
 * Talkback audio I/O through the real ALSA path: aplay and arecord, on the
 * PulseAudio null-sink rig (test/helpers/alsa-rig.ts), which paces like a DAC
 * and tees the exact bytes played.
 */

const RATE = 16_000;
const CHUNK = (RATE / 1000) * 20 * 2; // 20 ms of S16LE mono
const TIMING = { sampleRate: RATE, periodMs: 10, bufferMs: 40 };

type T = Parameters<typeof tempDir>[0];

/** The rig, with this process's ALSA configuration pointed at it (aplay/arecord inherit process.env). */
async function rig(t: T, opts: AlsaRigOptions = {}): Promise<AlsaRig> {
  const r = await startAlsaRig(join(tempDir(t, 'alsa-rig-'), 'audio'), opts);
  const old = process.env.ALSA_CONFIG_PATH;
  process.env.ALSA_CONFIG_PATH = r.env.ALSA_CONFIG_PATH;
  t.teardown(async () => {
    if (old === undefined) delete process.env.ALSA_CONFIG_PATH;
    else process.env.ALSA_CONFIG_PATH = old;
    await r.stop();
  });
  return r;
}

/** A spoken sentence as raw S16LE 16 kHz mono: espeak-ng, then ffmpeg to the talkback format. */
let utteranceCache: Buffer | null = null;
function utterance(t: T): Buffer {
  if (utteranceCache) return utteranceCache;
  const dir = tempDir(t, 'utterance-');
  const wav = join(dir, 'utt.wav');
  execFileSync('espeak-ng', ['-w', wav, 'The camera is listening. Please leave the parcel at the door.']);
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', wav, '-ac', '1', '-ar', String(RATE), '-f', 's16le', '-acodec', 'pcm_s16le', join(dir, 'utt.raw')]);
  utteranceCache = readFileSync(join(dir, 'utt.raw'));
  return utteranceCache;
}

function sine(hz: number, seconds: number, amplitude: number): Buffer {
  const n = Math.round(seconds * RATE);
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / RATE)), i * 2);
  return out;
}

t.test('an utterance written in 20 ms chunks reaches the speaker byte for byte, paced like a DAC', async (t) => {
  const r = await rig(t);
  const pcm = utterance(t);
  const seconds = durationSeconds(pcm, RATE);
  t.ok(durationSeconds(trimSilence(pcm), RATE) > 2, 'the fixture is a few seconds of speech');
  const out = new AplayPlayback({ alsaDevice: r.speakerDevice, clock: systemClock, logger: captureLogger().logger });
  const playback = await out.openPlayback(TIMING);

  const started = performance.now();
  for (let at = 0; at < pcm.length; at += CHUNK) await playback.write(pcm.subarray(at, at + CHUNK));
  const lastWriteS = (performance.now() - started) / 1000;
  await playback.drain();
  const elapsedS = (performance.now() - started) / 1000;
  t.equal(await playback.ended, null, 'clean end');
  t.comment(`${seconds.toFixed(2)} s of audio: last write accepted after ${lastWriteS.toFixed(2)} s, drained after ${elapsedS.toFixed(2)} s`);

  const played = await r.readSpeaker();
  t.ok(played.subarray(0, pcm.length).equals(pcm), 'every sample reached the device unchanged');
  t.ok(played.subarray(pcm.length).every((b) => b === 0), 'aplay pads the last period with silence only');
  t.ok(elapsedS >= 0.9 * seconds, 'playback took about real time');
  // The writer may run at most buffer + headroom (140 ms) ahead of the device, whatever the socket would take.
  t.ok(lastWriteS >= seconds - 0.2, 'writes were held back by the device, not queued seconds ahead');
});

t.test('abort cuts a playback mid-way: clean end, later writes refused, the speaker free again', async (t) => {
  const r = await rig(t);
  const pcm = utterance(t);
  const { logger, lines } = captureLogger();
  const out = new AplayPlayback({ alsaDevice: r.speakerDevice, clock: systemClock, logger });
  const playback = await out.openPlayback(TIMING);
  let written = 0;
  const pump = (async () => {
    for (let at = 0; at < pcm.length; at += CHUNK) {
      await playback.write(pcm.subarray(at, at + CHUNK));
      written = at + CHUNK;
      if (written >= RATE * 2) break; // one second in
    }
  })();
  await pump;
  await playback.abort();
  t.equal(await playback.ended, null, 'an abort is not a failure');
  await t.rejects(playback.write(pcm.subarray(0, CHUNK)), { code: 'playback_closed' });
  await playback.abort(); // idempotent
  t.notOk(lines.some((l) => Number(l.level) >= 40), 'nothing logged as a failure');

  const cut = await r.readSpeaker();
  t.ok(cut.length > 0 && cut.length < pcm.length, `only part of the utterance was played (${cut.length} of ${pcm.length} bytes)`);
  t.ok(cut.equals(pcm.subarray(0, cut.length)), 'what was played is the start of the utterance');

  const again = await out.openPlayback(TIMING);
  await again.write(pcm.subarray(0, CHUNK * 5));
  await again.drain();
  t.equal(await again.ended, null, 'a new playback opens after the abort');
});

t.test('one playback at a time: a second open is refused with audio_busy until the first ends', async (t) => {
  const r = await rig(t);
  const out = new AplayPlayback({ alsaDevice: r.speakerDevice, clock: systemClock, logger: captureLogger().logger });
  const first = await out.openPlayback(TIMING);
  await t.rejects(out.openPlayback(TIMING), { code: 'audio_busy' });
  await first.write(sine(440, 0.2, 8000));
  await first.drain();
  const second = await out.openPlayback(TIMING);
  await out.stopAll();
  t.equal(await second.ended, null, 'stopAll aborts the open playback');
  await t.rejects(out.openPlayback({ sampleRate: RATE, periodMs: 20, bufferMs: 20 }), RangeError, 'buffer below two periods');
});

t.test('a PCM aplay cannot open ends the playback with audio_device_failed and logs its stderr', async (t) => {
  await rig(t);
  const { logger, lines } = captureLogger();
  const out = new AplayPlayback({ alsaDevice: 'no_such_pcm', clock: systemClock, logger });
  const playback = await out.openPlayback(TIMING);
  const ended = await playback.ended;
  t.ok(isHalError(ended, 'audio_device_failed'), 'ended with the failure');
  t.ok(lines.some((l) => l.msg === 'aplay failed during talkback playback' && String(l.stderr).includes('no_such_pcm')), 'stderr tail logged');
  await t.rejects(playback.write(Buffer.alloc(CHUNK)), { code: 'audio_device_failed' });
  await playback.drain(); // resolves: the failure is reported by `ended`
  const next = await out.openPlayback(TIMING);
  t.ok(isHalError(await next.ended, 'audio_device_failed'), 'the speaker is free again after a failure');
});

t.test('the microphone streams the room in real time: the rig\'s 1 kHz tone is found in the capture', async (t) => {
  const input = sine(1000, 1, 10_000);
  const r = await rig(t, { micInput: input, micRate: RATE });
  const mic = new ArecordMicrophone({ alsaDevice: r.micDevice, clock: systemClock, logger: captureLogger().logger });
  const chunks: Buffer[] = [];
  const opened = performance.now();
  const capture = await mic.open({ sampleRate: RATE });
  t.same(capture.format, { sampleRate: RATE });
  const want = 2 * RATE * 2; // two seconds
  let firstDataS = 0;
  const enough = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no 2 s of capture within 15 s')), 15_000);
    let bytes = 0;
    capture.onData((pcm) => {
      if (bytes === 0) firstDataS = (performance.now() - opened) / 1000;
      chunks.push(pcm);
      bytes += pcm.length;
      if (bytes >= want) {
        clearTimeout(timer);
        resolve((performance.now() - opened) / 1000);
      }
    });
  });
  const tookS = await enough;
  await capture.stop();
  t.equal(await capture.ended, null, 'stop is a clean end, though arecord exits 1 on SIGTERM');
  const countAtStop = chunks.length;
  t.comment(`first data after ${firstDataS.toFixed(2)} s, 2 s of audio after ${tookS.toFixed(2)} s`);

  t.ok(chunks.every((c) => c.length % 2 === 0), 'whole samples only');
  t.ok(tookS >= 1.8, 'two seconds of audio took about two seconds: a real-time capture');
  const pcm = Buffer.concat(chunks);
  t.ok(pcm.subarray(0, want).equals(Buffer.concat([input, input]).subarray(0, want)), 'captured exactly the rig\'s input');
  const tone = toneDbfs(pcm, 1000, RATE);
  t.ok(Math.abs(tone - rmsDbfs(input)) < 1, `the 1 kHz tone is there at its level (${tone.toFixed(1)} dBFS)`);
  t.ok(tone - toneDbfs(pcm, 1500, RATE) > 40, 'and nothing at 1.5 kHz');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(chunks.length, countAtStop, 'no data after stop');

  const recorded = await mic.record(250, RATE);
  t.equal(recorded.length, RATE / 4, 'record() still captures exactly the asked length');
});

t.test('a capture that arecord delivers in odd-sized pieces still yields whole samples; a dying arecord is a failure', async (t) => {
  const dir = tempDir(t);
  const fake = join(dir, 'fake-arecord');
  // Bytes 1..6 as 3 + 3, then wait to be killed (or exit 1 when told).
  writeFileSync(fake, `#!/bin/sh\nprintf '\\001\\002\\003'\nsleep 0.2\nprintf '\\004\\005\\006'\nif [ -e "${dir}/die" ]; then echo 'arecord: device gone' >&2; exit 1; fi\nexec sleep 30\n`);
  chmodSync(fake, 0o755);
  const { logger, lines } = captureLogger();
  const mic = new ArecordMicrophone({ alsaDevice: 'x', clock: systemClock, logger, command: fake });
  const capture = await mic.open({ sampleRate: RATE });
  const got: Buffer[] = [];
  const six = new Promise<void>((resolve) =>
    capture.onData((pcm) => {
      got.push(pcm);
      if (Buffer.concat(got).length === 6) resolve();
    }),
  );
  await six;
  t.same(got.map((b) => [...b]), [[1, 2], [3, 4, 5, 6]], 'the odd byte waits for its partner');
  await capture.stop();
  t.equal(await capture.ended, null, 'stopped: a clean end');

  writeFileSync(join(dir, 'die'), '');
  const dying = await mic.open({ sampleRate: RATE });
  t.ok(isHalError(await dying.ended, 'audio_device_failed'), 'arecord exiting by itself is a device failure');
  t.ok(lines.some((l) => l.msg === 'arecord capture ended unexpectedly' && l.stderr === 'arecord: device gone'), 'with its stderr logged');
});

t.test('the simulator with sim.alsaAudio plays talkback through the real ALSA speaker', async (t) => {
  const r = await rig(t);
  const hal = new SimHal(
    {
      sim: { ...defaultHalConfig.sim, alsaAudio: true },
      speaker: { alsaDevice: r.speakerDevice, promptsDir: tempDir(t) },
      microphone: { alsaDevice: r.micDevice },
    },
    { logger: captureLogger().logger, clock: systemClock },
  );
  t.ok(hal.audioOut instanceof AplayPlayback && hal.microphone instanceof ArecordMicrophone, 'the linux audio parts');
  const pcm = sine(440, 0.3, 8000);
  const playback = await hal.audioOut.openPlayback(TIMING);
  for (let at = 0; at < pcm.length; at += CHUNK) await playback.write(pcm.subarray(at, at + CHUNK));
  await playback.drain();
  t.ok((await r.readSpeaker()).subarray(0, pcm.length).equals(pcm), 'played byte for byte');
  await hal.amplifier.set(true);
  await hal.stop();
  t.equal(hal.amplifier.isOn(), false, 'stop switches the amplifier off');
});
