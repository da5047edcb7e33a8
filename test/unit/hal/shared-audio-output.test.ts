import t from 'tap';
import { pino } from 'pino';
import { isHalError } from '../../../src/hal/hal-error.js';
import { MAX_DEFERRED_PROMPTS, SharedAudioOutput } from '../../../src/hal/shared-audio-output.js';
import type { PromptId } from '../../../src/hal/types.js';

const logger = pino({ level: 'silent' });

/** A speaker whose prompts play until the test ends them, cut by stopAll like AplaySpeaker's. */
function fakeSpeaker() {
  const log: string[] = [];
  const playing = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  return {
    log,
    playing,
    playPrompt(id: PromptId, language: string): Promise<void> {
      log.push(`play ${id}/${language}`);
      return new Promise<void>((resolve, reject) => playing.set(id, { resolve, reject }));
    },
    finish(id: string): void {
      playing.get(id)?.resolve();
      playing.delete(id);
    },
    async stopAll(): Promise<void> {
      log.push('stopAll');
      for (const [id, p] of playing) p.reject(Object.assign(new Error(`${id} cut`), { code: 'speaker_stopped' }));
      playing.clear();
    },
  };
}

function fakeTone() {
  const log: string[] = [];
  let end: (() => void) | null = null;
  return {
    log,
    playTone(hz: number): Promise<void> {
      log.push(`tone ${hz}`);
      return new Promise<void>((resolve) => (end = resolve));
    },
    async stopAll(): Promise<void> {
      log.push('stopAll');
      end?.();
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

t.test('without a session prompts and tones go straight to the speaker', async (t) => {
  const speaker = fakeSpeaker();
  const tone = fakeTone();
  const out = new SharedAudioOutput({ speaker, tone, logger });
  const p = out.speaker.playPrompt('connected', 'de');
  t.same(speaker.log, ['play connected/de']);
  speaker.finish('connected');
  await p;
  void out.tone.playTone(880, 100, 16_000);
  t.same(tone.log, ['tone 880']);
  t.equal(out.isHeldBySession(), false);
});

t.test('a session cuts the prompt being played and the tone, and holds the speaker until released', async (t) => {
  const speaker = fakeSpeaker();
  const tone = fakeTone();
  const out = new SharedAudioOutput({ speaker, tone, logger });
  const cut = out.speaker.playPrompt('connecting', 'en');
  const beep = out.tone.playTone(440, 300, 16_000);
  const release = await out.acquireForSession();
  t.equal(out.isHeldBySession(), true);
  await t.rejects(cut, { code: 'speaker_stopped' }, 'the cut prompt rejects as AplaySpeaker does');
  await beep; // the fake tone ends when stopped
  t.same(speaker.log, ['play connecting/en', 'stopAll']);
  t.same(tone.log, ['tone 440', 'stopAll']);

  await t.rejects(out.acquireForSession(), { code: 'audio_busy' }, 'one session at a time');
  await t.rejects(out.tone.playTone(1760, 150, 16_000), { code: 'audio_busy' }, 'a beep is refused, not deferred');
  t.same(tone.log, ['tone 440', 'stopAll']);

  release();
  release(); // idempotent
  t.equal(out.isHeldBySession(), false);
  const again = await out.acquireForSession();
  again();
});

t.test('prompts asked for during a session play after it, latest few only, repeats once', async (t) => {
  const speaker = fakeSpeaker();
  const out = new SharedAudioOutput({ speaker, tone: fakeTone(), logger });
  const release = await out.acquireForSession();
  const settled: string[] = [];
  const ask = (id: PromptId) =>
    out.speaker.playPrompt(id, 'en').then(
      () => settled.push(`${id} played`),
      (err: unknown) => settled.push(`${id} ${isHalError(err, 'speaker_stopped') ? 'dropped' : 'failed'}`),
    );
  const asked = (['connecting', 'wrong-password', 'connecting', 'connected', 'bound'] as PromptId[]).map(ask);
  await settle();
  t.equal(MAX_DEFERRED_PROMPTS, 3);
  t.same(speaker.log, ['stopAll'], 'nothing plays during the session');
  t.same(settled, ['wrong-password dropped'], 'the oldest beyond the limit is dropped');

  release();
  t.same(speaker.log, ['stopAll', 'play connecting/en', 'play connected/en', 'play bound/en'], 'in order, the repeat moved to its latest place');
  for (const id of ['connecting', 'connected', 'bound']) speaker.finish(id);
  await Promise.all(asked);
  t.same(settled.sort(), ['bound played', 'connected played', 'connecting played', 'connecting played', 'wrong-password dropped']);
});

t.test('a deferred prompt that fails after the session rejects its callers with the speaker error', async (t) => {
  const speaker = fakeSpeaker();
  const out = new SharedAudioOutput({ speaker, tone: { playTone: async () => undefined }, logger });
  const release = await out.acquireForSession();
  const p = out.speaker.playPrompt('bound', 'en');
  release();
  speaker.playing.get('bound')!.reject(Object.assign(new Error('no file'), { code: 'prompt_missing' }));
  await t.rejects(p, { code: 'prompt_missing' });
});

t.test('acquiring waits until the cut prompt has let go of the device', async (t) => {
  let letGo: () => void = () => undefined;
  const order: string[] = [];
  const speaker = {
    playPrompt: () => new Promise<void>((_, reject) => (letGo = () => reject(new Error('cut')))),
    // Like AplaySpeaker: stopAll returns once the signal is sent; the process exit comes later.
    stopAll: async () => {
      order.push('stopAll');
      setTimeout(() => {
        order.push('exited');
        letGo();
      }, 20);
    },
  };
  const out = new SharedAudioOutput({ speaker, tone: { playTone: async () => undefined }, logger });
  out.speaker.playPrompt('identify', 'en').catch(() => undefined);
  const release = await out.acquireForSession();
  order.push('acquired');
  t.same(order, ['stopAll', 'exited', 'acquired']);
  release();
});
