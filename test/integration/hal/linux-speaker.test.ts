import { chmodSync, existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { isHalError } from '../../../src/hal/hal-error.js';
import { AplaySpeaker } from '../../../src/hal/linux/aplay-speaker.js';
import { captureLogger, nextEvent, processAlive, tempDir } from './fixtures/hal-test-kit.js';

/** A minimal PCM WAV (RIFF, 16-bit mono), so no binary fixture is needed. */
function wav(pcm: Buffer, rate = 8000): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

function tone(samples: number, seed: number): Buffer {
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((i * seed) / 10)), i * 2);
  return pcm;
}

/**
 * ALSA configured to "play" into files: the `file` plugin writes the raw
 * stream and forwards it to the `null` plugin, so no sound card is needed.
 * ALSA_CONFIG_PATH replaces the system alsa.conf, so `null` is defined here too.
 */
function alsaToFile(t: Parameters<typeof tempDir>[0], dir: string): (name: string) => string {
  const conf = join(dir, 'asound.conf');
  const outs = ['a', 'b'].map((n) => `pcm.cap_${n} { type file slave.pcm "null" file "${join(dir, `${n}.raw`)}" format "raw" }`);
  writeFileSync(conf, ['pcm.null { type null }', ...outs].join('\n') + '\n');
  const old = process.env.ALSA_CONFIG_PATH;
  process.env.ALSA_CONFIG_PATH = conf;
  t.teardown(() => {
    if (old === undefined) delete process.env.ALSA_CONFIG_PATH;
    else process.env.ALSA_CONFIG_PATH = old;
  });
  return (name) => join(dir, `${name}.raw`);
}

/** aplay pads the last period with silence; everything before it must be the WAV's samples. */
function playedExactly(written: Buffer, pcm: Buffer): { allSamples: boolean; bytesEqual: boolean; onlySilenceAfter: boolean } {
  return {
    allSamples: written.length >= pcm.length,
    bytesEqual: written.subarray(0, pcm.length).equals(pcm),
    onlySilenceAfter: written.subarray(pcm.length).every((b) => b === 0),
  };
}

const PLAYED = { allSamples: true, bytesEqual: true, onlySilenceAfter: true };

t.test('a prompt is played through aplay and reaches the ALSA device byte for byte', async (t) => {
  const dir = tempDir(t);
  const out = alsaToFile(t, dir);
  const prompts = join(dir, 'prompts');
  mkdirSync(join(prompts, 'en'), { recursive: true });
  mkdirSync(join(prompts, 'de'), { recursive: true });
  const en = tone(1600, 3);
  const de = tone(2400, 5);
  writeFileSync(join(prompts, 'en', 'connected.wav'), wav(en));
  writeFileSync(join(prompts, 'de', 'connected.wav'), wav(de));
  writeFileSync(join(prompts, 'en', 'qr-read.wav'), wav(en));

  const speaker = new AplaySpeaker({ alsaDevice: 'cap_a', promptsDir: prompts, clock: systemClock, logger: captureLogger().logger });
  await speaker.playPrompt('connected', 'de');
  t.same(playedExactly(readFileSync(out('a')), de), PLAYED, 'German prompt');

  const fallback = new AplaySpeaker({ alsaDevice: 'cap_b', promptsDir: prompts, clock: systemClock, logger: captureLogger().logger });
  await fallback.playPrompt('qr-read', 'de');
  t.same(playedExactly(readFileSync(out('b')), en), PLAYED, 'no German file: English');
});

t.test('a missing prompt and a failing device are errors with codes', async (t) => {
  const dir = tempDir(t);
  alsaToFile(t, dir);
  const prompts = join(dir, 'prompts');
  mkdirSync(join(prompts, 'en'), { recursive: true });
  writeFileSync(join(prompts, 'en', 'bound.wav'), wav(tone(800, 1)));
  const { logger, lines } = captureLogger();
  const speaker = new AplaySpeaker({ alsaDevice: 'no_such_pcm', promptsDir: prompts, clock: systemClock, logger });
  await t.rejects(speaker.playPrompt('identify', 'fr'), { code: 'prompt_missing' });
  await t.rejects(speaker.playPrompt('bound', 'en'), { code: 'audio_device_failed' });
  t.ok(lines.some((l) => l.msg === 'aplay failed' && typeof l.stderr === 'string'), 'aplay stderr logged');
  t.equal(await speaker.resolvePrompt('bound', '../../etc'), join(prompts, 'en', 'bound.wav'), 'a path-like language falls back to en');
});

/** A stand-in aplay that records start/end order and waits until told, to observe queueing. */
function fakeAplay(dir: string): string {
  const bin = join(dir, 'fake-aplay');
  writeFileSync(
    bin,
    `#!/bin/sh\nfor last; do :; done\necho "start $(basename "$last") $$" >> "${dir}/log"\n` +
      `while [ ! -e "${dir}/release-$(basename "$last")" ]; do sleep 0.01; done\necho "end $(basename "$last")" >> "${dir}/log"\n`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

t.test('prompts never overlap: later ones wait their turn, stopAll cuts and drops', async (t) => {
  const dir = tempDir(t);
  const prompts = join(dir, 'prompts');
  mkdirSync(join(prompts, 'en'), { recursive: true });
  for (const id of ['connecting', 'connected', 'bound']) writeFileSync(join(prompts, 'en', `${id}.wav`), wav(tone(80, 1)));
  const { logger } = captureLogger();
  const speaker = new AplaySpeaker({ alsaDevice: 'x', promptsDir: prompts, clock: systemClock, logger, command: fakeAplay(dir) });
  const log = () => readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');

  const first = speaker.playPrompt('connecting', 'en');
  const second = speaker.playPrompt('connected', 'en');
  writeFileSync(join(dir, 'release-connecting.wav'), '');
  writeFileSync(join(dir, 'release-connected.wav'), '');
  await first;
  await second;
  t.same(
    log().map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['start connecting.wav', 'end connecting.wav', 'start connected.wav', 'end connected.wav'],
    'strictly one after the other',
  );

  const playing = speaker.playPrompt('bound', 'en');
  const queued = speaker.playPrompt('connected', 'en');
  const rejectedPlaying = t.rejects(playing, { code: 'speaker_stopped' });
  const rejectedQueued = t.rejects(queued, { code: 'speaker_stopped' });
  // Wait (on directory events, with a timeout) until the fake aplay has started.
  const started = () => existsSync(join(dir, 'log')) && log().some((l) => l.startsWith('start bound.wav'));
  await nextEvent<unknown>((cb) => {
    const w = watch(dir, () => started() && cb(true));
    if (started()) queueMicrotask(() => cb(true));
    return () => w.close();
  }, 5000, 'fake aplay to start');
  const pid = Number(log().find((l) => l.startsWith('start bound.wav'))?.split(' ')[2]);
  await speaker.stopAll();
  await rejectedPlaying;
  await rejectedQueued;
  t.notOk(processAlive(pid), 'aplay killed, no leftover child');
  t.same(log().slice(4).map((l) => l.split(' ')[1]), ['bound.wav'], 'the queued prompt never started');
});
