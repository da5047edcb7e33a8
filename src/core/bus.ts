import { EventEmitter } from 'node:events';
import type { DeviceState } from './device-state.js';
import type { ButtonGesture } from '../hal/types.js';

/**
 * Everything one service tells the others, by name, with its payload type.
 * Services never call each other directly for notifications; they publish
 * here, which keeps the data flow one way and each service testable alone.
 */
export interface BusEvents {
  'state.changed': { from: DeviceState; to: DeviceState; reason: string; at: number };
  'button.gesture': { gesture: ButtonGesture; heldMs: number };
  'config.changed': { changed: string[]; restartRequired: string[] };
  'health.changed': { healthy: boolean; failing: string[] };
  /** Motion began: `at` wall-clock ms, `t` frame time, `score` changed area in percent of the frame. */
  'motion.started': { at: number; t: number; score: number; zones: string[] };
  'motion.ended': { at: number; t: number; score: number; zones: string[]; durationMs: number; reason: 'quiet' | 'disarmed' | 'flush' };
}

export type BusEventName = keyof BusEvents;

export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    // Many services may observe the same event; this is not a leak.
    this.#emitter.setMaxListeners(100);
  }

  emit<K extends BusEventName>(name: K, payload: BusEvents[K]): void {
    this.#emitter.emit(name, payload);
  }

  /** Subscribe; returns the unsubscribe function so stop() can undo start(). */
  on<K extends BusEventName>(name: K, listener: (payload: BusEvents[K]) => void): () => void {
    this.#emitter.on(name, listener);
    return () => this.#emitter.off(name, listener);
  }

  once<K extends BusEventName>(name: K): Promise<BusEvents[K]> {
    return new Promise((resolve) => this.#emitter.once(name, resolve));
  }
}
