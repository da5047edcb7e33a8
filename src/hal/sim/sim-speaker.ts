import type { Logger } from '../../log/logger.js';
import type { PromptId, Speaker } from '../types.js';

export interface SpokenPrompt {
  prompt: PromptId;
  language: string;
}

/** The speaker on a development machine: logs the prompt instead of playing it. */
export class SimSpeaker implements Speaker {
  readonly #logger: Logger;
  #last: SpokenPrompt | null = null;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  async playPrompt(id: PromptId, language: string): Promise<void> {
    this.#last = { prompt: id, language };
    this.#logger.info({ prompt: id, language }, 'voice prompt');
  }

  lastPrompt(): SpokenPrompt | null {
    return this.#last;
  }

  /** Same surface as the linux speaker; nothing ever plays here. */
  async stopAll(): Promise<void> {}
}
