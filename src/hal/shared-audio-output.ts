import type { Logger } from '../log/logger.js';
import { HalError } from './hal-error.js';
import type { PromptId, Speaker, TonePlayer } from './types.js';

type Stoppable = { stopAll?(): Promise<void> };

/**
 * Prompts asked for during a session that are kept to be played after it.
 * The latest ones matter (the state the camera is in now); a backlog of
 * stale announcements after a long call would only confuse. A prompt asked
 * for again while already waiting moves to the end instead of playing twice.
 */
export const MAX_DEFERRED_PROMPTS = 3;

interface DeferredPrompt {
  id: PromptId;
  language: string;
  /** Every caller that asked for this prompt while it waited. */
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

/**
 * The one speaker, shared by voice prompts, test tones and talkback: they
 * must never overlap, because the board has a single (usually non-mixing)
 * PCM and talking over a caller is worse than a late prompt.
 *
 * Prompts and tones go through the `speaker` and `tone` facades. A talkback
 * session takes the output with acquireForSession(): the prompt or tone
 * being played is cut, prompts asked for meanwhile wait until the session
 * releases it (at most MAX_DEFERRED_PROMPTS, latest kept), and tones asked
 * for meanwhile are refused with `audio_busy`: a beep is feedback for the
 * moment it is asked, meaningless seconds later.
 *
 * Prompts queued inside the speaker when a session starts are dropped with
 * it (stopAll), like the one being cut; only prompts asked for during the
 * session are deferred.
 */
export class SharedAudioOutput {
  readonly speaker: Speaker;
  readonly tone: TonePlayer;
  readonly #inner: { speaker: Speaker & Stoppable; tone: TonePlayer & Stoppable };
  readonly #logger: Logger;
  #held = false;
  #deferred: DeferredPrompt[] = [];
  /** Prompts and tones handed to the real output and not yet settled. */
  readonly #inFlight = new Set<Promise<void>>();

  constructor(deps: { speaker: Speaker & Stoppable; tone: TonePlayer & Stoppable; logger: Logger }) {
    this.#inner = { speaker: deps.speaker, tone: deps.tone };
    this.#logger = deps.logger;
    this.speaker = { playPrompt: (id, language) => this.#playPrompt(id, language) };
    this.tone = { playTone: (hz, ms, sampleRate) => this.#playTone(hz, ms, sampleRate) };
  }

  /**
   * Takes the speaker for a talkback session. Resolves, with the release
   * function, once the prompt or tone that was playing has been cut and its
   * player has let go of the device. Release is idempotent.
   */
  async acquireForSession(): Promise<() => void> {
    if (this.#held) throw new HalError('audio_busy', 'the speaker is held by another talkback session');
    this.#held = true;
    const cut = [...this.#inFlight];
    if (cut.length > 0) this.#logger.info({ cut: cut.length }, 'talkback session cuts the prompt being played');
    await Promise.all([this.#inner.speaker.stopAll?.(), this.#inner.tone.stopAll?.()].map((p) => p?.catch((err: unknown) => this.#logger.warn({ err }, 'stopping the prompt player failed'))));
    await Promise.allSettled(cut);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release();
    };
  }

  isHeldBySession(): boolean {
    return this.#held;
  }

  #release(): void {
    this.#held = false;
    const deferred = this.#deferred;
    this.#deferred = [];
    if (deferred.length > 0) this.#logger.info({ prompts: deferred.map((d) => d.id) }, 'playing prompts deferred during talkback');
    for (const d of deferred) {
      this.#forward(d.id, d.language).then(
        () => d.waiters.forEach((w) => w.resolve()),
        (err: unknown) => d.waiters.forEach((w) => w.reject(err)),
      );
    }
  }

  #playPrompt(id: PromptId, language: string): Promise<void> {
    if (!this.#held) return this.#forward(id, language);
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      const same = this.#deferred.findIndex((d) => d.id === id && d.language === language);
      if (same >= 0) {
        const [again] = this.#deferred.splice(same, 1);
        again!.waiters.push(waiter);
        this.#deferred.push(again!);
      } else {
        this.#deferred.push({ id, language, waiters: [waiter] });
      }
      while (this.#deferred.length > MAX_DEFERRED_PROMPTS) {
        const dropped = this.#deferred.shift()!;
        this.#logger.info({ prompt: dropped.id }, 'prompt dropped: too many waiting for the talkback session to end');
        const err = new HalError('speaker_stopped', `prompt ${dropped.id} dropped while talkback held the speaker`);
        dropped.waiters.forEach((w) => w.reject(err));
      }
    });
  }

  #playTone(hz: number, ms: number, sampleRate: number): Promise<void> {
    if (this.#held) return Promise.reject(new HalError('audio_busy', 'the speaker is held by a talkback session'));
    return this.#track(this.#inner.tone.playTone(hz, ms, sampleRate));
  }

  #forward(id: PromptId, language: string): Promise<void> {
    return this.#track(this.#inner.speaker.playPrompt(id, language));
  }

  #track(playing: Promise<void>): Promise<void> {
    this.#inFlight.add(playing);
    const forget = (): void => void this.#inFlight.delete(playing);
    playing.then(forget, forget);
    return playing;
  }
}
