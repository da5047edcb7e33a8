import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { HalError } from '../hal-error.js';
import type { PromptId, Speaker } from '../types.js';
import { startProgram, type RunningProgram } from './child-process.js';

/** Prompts are a few seconds long; past this, aplay is wedged on the device. */
const MAX_PLAY_MS = 60_000;
const FALLBACK_LANGUAGE = 'en';
/** BCP 47-ish tags only, so a language from the cloud can never walk out of promptsDir. */
const LANGUAGE = /^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$/;

/**
 * Voice prompts through ALSA's aplay, one at a time: a prompt asked for
 * while another plays waits its turn, because two aplay processes would
 * either fail on a non-mixing device or talk over each other.
 */
export class AplaySpeaker implements Speaker {
  readonly #cfg: { alsaDevice: string; promptsDir: string; command: string };
  readonly #clock: Clock;
  readonly #logger: Logger;
  #queue: Promise<void> = Promise.resolve();
  /** Bumped by stopAll(); prompts queued under an older generation are dropped. */
  #generation = 0;
  #playing: RunningProgram | null = null;

  constructor(deps: { alsaDevice: string; promptsDir: string; clock: Clock; logger: Logger; command?: string }) {
    this.#cfg = { alsaDevice: deps.alsaDevice, promptsDir: deps.promptsDir, command: deps.command ?? 'aplay' };
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  playPrompt(id: PromptId, language: string): Promise<void> {
    const generation = this.#generation;
    const turn = this.#queue.then(() => this.#play(id, language, generation));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  /** Cut the current prompt and drop the queued ones (shutdown, or a newer state to announce). */
  async stopAll(): Promise<void> {
    this.#generation++;
    await this.#playing?.stop(500);
    await this.#queue;
  }

  /** The file for a prompt: the language's, else English's, else null. */
  async resolvePrompt(id: PromptId, language: string): Promise<string | null> {
    const languages = LANGUAGE.test(language) && language !== FALLBACK_LANGUAGE ? [language, FALLBACK_LANGUAGE] : [FALLBACK_LANGUAGE];
    for (const lang of languages) {
      const file = join(this.#cfg.promptsDir, lang, `${id}.wav`);
      try {
        await access(file);
        return file;
      } catch {
        // try the next language
      }
    }
    return null;
  }

  async #play(id: PromptId, language: string, generation: number): Promise<void> {
    if (generation !== this.#generation) throw new HalError('speaker_stopped', `prompt ${id} dropped: speaker stopped`);
    const file = await this.resolvePrompt(id, language);
    if (!file) throw new HalError('prompt_missing', `no audio for prompt ${id} in ${language} or ${FALLBACK_LANGUAGE}`);
    if (generation !== this.#generation) throw new HalError('speaker_stopped', `prompt ${id} dropped: speaker stopped`);

    const program = startProgram(this.#cfg.command, ['-q', '-D', this.#cfg.alsaDevice, file]);
    this.#playing = program;
    let timedOut = false;
    const watchdog: Timer = this.#clock.setTimeout(() => {
      timedOut = true;
      void program.stop(500);
    }, MAX_PLAY_MS);
    try {
      const exit = await program.exited;
      if (generation !== this.#generation) throw new HalError('speaker_stopped', `prompt ${id} cut: speaker stopped`);
      if (exit.code !== 0 || timedOut) {
        this.#logger.warn(
          { prompt: id, file, code: exit.code, signal: exit.signal, err: exit.spawnError ?? undefined, stderr: exit.stderrTail || undefined, timedOut },
          'aplay failed',
        );
        throw new HalError('audio_device_failed', `aplay failed for prompt ${id}`, { cause: exit.spawnError ?? undefined });
      }
    } finally {
      watchdog.cancel();
      if (this.#playing === program) this.#playing = null;
    }
  }
}
