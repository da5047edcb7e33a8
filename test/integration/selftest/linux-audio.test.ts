/**
 * The linux microphone and tone against real arecord/aplay, with ALSA
 * stand-ins instead of a sound card (test-rigs.md §5): one `file` PCM whose
 * playback side writes the raw stream to a file (slave `null`) and whose
 * capture side reads a prepared raw file (`infile`). The null slave has no
 * clock, so capture and playback run faster than real time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { isHalError } from '../../../src/hal/hal-error.js';
import { AplayTone, toneSamples } from '../../../src/hal/linux/aplay-tone.js';
import { ArecordMicrophone } from '../../../src/hal/linux/arecord-microphone.js';
import { audioLoopbackCheck } from '../../../src/selftest/checks/audio-loopback.js';
import { detectTone } from '../../../src/selftest/tone-detector.js';
import { tempDir } from '../../helpers/tmp.js';

const RATE = 16_000;
const logger = pino({ level: 'silent' });

function rawPcm(samples: Int16Array): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

/** ALSA config with PCM `cam`: plays into `speaker.raw`, records from `mic.raw`. */
function alsaStandIn(t: { teardown(fn: () => void): void }, dir: string, micInput: Int16Array): { speakerFile: string } {
  const speakerFile = join(dir, 'speaker.raw');
  const micFile = join(dir, 'mic.raw');
  writeFileSync(micFile, rawPcm(micInput));
  const conf = join(dir, 'asound.conf');
  writeFileSync(conf, `pcm.null { type null }\npcm.cam { type file slave.pcm "null" file "${speakerFile}" infile "${micFile}" format "raw" }\n`);
  const old = process.env.ALSA_CONFIG_PATH;
  process.env.ALSA_CONFIG_PATH = conf;
  t.teardown(() => {
    if (old === undefined) delete process.env.ALSA_CONFIG_PATH;
    else process.env.ALSA_CONFIG_PATH = old;
  });
  return { speakerFile };
}

function micWith(seconds: number, hz: number | null): Int16Array {
  const n = seconds * RATE;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((hz ? 4000 * Math.sin((2 * Math.PI * hz * i) / RATE) : 0) + 60 * Math.sin(i * 0.7311) * Math.cos(i * 1.913));
  return out;
}

t.test('arecord captures exactly the requested samples, byte for byte', async (t) => {
  const dir = await tempDir(t);
  const input = micWith(2, 1000);
  alsaStandIn(t, dir, input);
  const mic = new ArecordMicrophone({ alsaDevice: 'cam', clock: systemClock, logger });
  const got = await mic.record(500, RATE);
  t.equal(got.length, 8000, '500 ms at 16 kHz');
  t.same(Array.from(got.subarray(0, 8000)), Array.from(input.subarray(0, 8000)));
  t.ok(detectTone(got, RATE, 1000).present);
});

t.test('aplay plays the generated tone WAV to the device byte for byte', async (t) => {
  const dir = await tempDir(t);
  const { speakerFile } = alsaStandIn(t, dir, micWith(1, null));
  const tone = new AplayTone({ alsaDevice: 'cam', clock: systemClock, logger, tmpDir: dir });
  await tone.playTone(1000, 300, RATE);
  const written = readFileSync(speakerFile);
  const expected = rawPcm(toneSamples(1000, 300, RATE));
  t.ok(written.length >= expected.length, 'every sample reached the device');
  t.ok(written.subarray(0, expected.length).equals(expected), 'same bytes');
  t.ok(written.subarray(expected.length).every((b) => b === 0), 'aplay only pads the last period with silence');
  const samples = new Int16Array(expected.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = written.readInt16LE(i * 2);
  t.ok(detectTone(samples, RATE, 1000).present);
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(dir).filter((f) => f.startsWith('camera-agent-tone-')), [], 'the temp WAV is removed');
});

t.test('the audio check with the linux parts passes when the microphone hears 1 kHz', async (t) => {
  const dir = await tempDir(t);
  alsaStandIn(t, dir, micWith(3, 1000));
  const check = audioLoopbackCheck({
    microphone: new ArecordMicrophone({ alsaDevice: 'cam', clock: systemClock, logger }),
    tone: new AplayTone({ alsaDevice: 'cam', clock: systemClock, logger, tmpDir: dir }),
  });
  const outcome = await check.run({ clock: systemClock, signal: new AbortController().signal, onCleanup: () => undefined, prompt: () => undefined });
  t.equal(outcome.pass, true, JSON.stringify(outcome));
});

t.test('…and fails with tone_not_heard when the microphone hears only noise', async (t) => {
  const dir = await tempDir(t);
  alsaStandIn(t, dir, micWith(3, null));
  const check = audioLoopbackCheck({
    microphone: new ArecordMicrophone({ alsaDevice: 'cam', clock: systemClock, logger }),
    tone: new AplayTone({ alsaDevice: 'cam', clock: systemClock, logger, tmpDir: dir }),
  });
  const outcome = await check.run({ clock: systemClock, signal: new AbortController().signal, onCleanup: () => undefined, prompt: () => undefined });
  t.equal(outcome.pass, false);
  t.equal(!outcome.pass && outcome.code, 'tone_not_heard');
});

t.test('an ALSA device that does not exist is audio_device_failed for both, and the check names the part', async (t) => {
  const dir = await tempDir(t);
  alsaStandIn(t, dir, micWith(1, null));
  const mic = new ArecordMicrophone({ alsaDevice: 'nosuchpcm', clock: systemClock, logger });
  const tone = new AplayTone({ alsaDevice: 'nosuchpcm', clock: systemClock, logger, tmpDir: dir });
  const micErr = await mic.record(100, RATE).then(() => null, (e: unknown) => e);
  t.ok(isHalError(micErr, 'audio_device_failed'), 'arecord');
  const toneErr = await tone.playTone(1000, 100, RATE).then(() => null, (e: unknown) => e);
  t.ok(isHalError(toneErr, 'audio_device_failed'), 'aplay');
  const outcome = await audioLoopbackCheck({ microphone: mic, tone }).run({ clock: systemClock, signal: new AbortController().signal, onCleanup: () => undefined, prompt: () => undefined });
  t.equal(!outcome.pass && outcome.code, 'speaker_failed');
  t.match(!outcome.pass && outcome.detail, /^audio_device_failed: /);
});
