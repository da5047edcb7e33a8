import type { EventBus } from '../core/bus.js';
import type { DeviceState } from '../core/device-state.js';
import type { Service } from '../core/service.js';
import type { Hal, LedPattern, PromptId } from '../hal/types.js';
import type { ButtonEvent } from '../hal/button-gesture.js';
import type { Logger } from '../log/logger.js';

/** What the LED shows in each device state. */
export const LED_FOR_STATE: Record<DeviceState, LedPattern> = {
  'factory-new': 'provisioning',
  provisioning: 'provisioning',
  joining: 'joining',
  online: 'online',
  bound: 'online',
  degraded: 'error',
  privacy: 'privacy',
};

/**
 * The prompt a person hears when the device enters a state, given where it
 * came from and why. Pure, so every spoken sentence is testable.
 */
export function promptFor(from: DeviceState, to: DeviceState, reason: string): PromptId | null {
  if (to === 'provisioning' && reason.includes('(button)')) return 'reset-provisioning';
  // Leaving privacy resumes what was there; the person already heard it.
  if (from === to || from === 'privacy') return null;
  switch (to) {
    case 'provisioning':
      if (from === 'joining') {
        if (/auth_failed/.test(reason)) return 'wrong-password';
        if (/ap_not_found/.test(reason)) return 'network-not-found';
        return 'connection-failed';
      }
      return 'waiting-for-wifi';
    case 'factory-new':
      return 'factory-reset';
    case 'joining':
      return 'connecting';
    case 'online':
      return from === 'joining' ? 'connected' : null;
    case 'bound':
      return from === 'online' ? 'bound' : from === 'joining' ? 'connected' : null;
    default:
      return null;
  }
}

/**
 * While the reset button is held, the LED says what letting go would do: a
 * rapid blink once 5 s (network reset) are reached, red once 15 s (factory
 * reset) are. Without it nobody knows when to release.
 */
export function ledWhileHeld(event: ButtonEvent): LedPattern | 'state' | null {
  switch (event.type) {
    case 'threshold':
      return event.threshold === 'factory-reset' ? 'error' : 'identify';
    case 'gesture':
    case 'stuck':
    case 'stuck-released':
      return 'state';
    default:
      return null;
  }
}

/** Shows the device state on the LED and speaks the prompts for its changes. */
export class Indicator implements Service {
  readonly name = 'indicator';
  #off: Array<() => void> = [];
  #language: () => string;
  #statePattern: LedPattern = 'off';
  /** An activity the LED must show over the state (the open talkback microphone); null = the state. */
  #activity: LedPattern | null = null;

  constructor(private readonly deps: { bus: EventBus; hal: Hal; logger: Logger; language: () => string }) {
    this.#language = deps.language;
  }

  async start(): Promise<void> {
    this.#off.push(
      this.deps.bus.on('state.changed', ({ from, to, reason }) => {
        this.#statePattern = LED_FOR_STATE[to];
        void this.#show(this.#activity ?? this.#statePattern);
        const prompt = promptFor(from, to, reason);
        if (prompt) void this.#say(prompt);
      }),
      this.deps.hal.button.onButtonEvent((event) => {
        const led = ledWhileHeld(event);
        if (led) void this.#show(led === 'state' ? (this.#activity ?? this.#statePattern) : led);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.#off.splice(0)) off();
  }

  /**
   * Show an activity over the state until cleared with null. A live
   * microphone must be visible whatever the link does meanwhile, so state
   * changes do not replace it; the reset button's hold feedback still does,
   * because the person holding it needs to know when to let go.
   */
  showActivity(pattern: LedPattern | null): void {
    this.#activity = pattern;
    void this.#show(pattern ?? this.#statePattern);
  }

  async #show(pattern: LedPattern): Promise<void> {
    if (this.deps.hal.led.current() === pattern) return;
    try {
      await this.deps.hal.led.show(pattern);
    } catch (err) {
      this.deps.logger.warn({ err, pattern }, 'status LED failed');
    }
  }

  async #say(prompt: PromptId): Promise<void> {
    try {
      await this.deps.hal.speaker.playPrompt(prompt, this.#language());
    } catch (err) {
      this.deps.logger.warn({ err, prompt }, 'prompt failed');
    }
  }
}
