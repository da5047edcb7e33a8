import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { HalConfig } from './config.js';
import { LinuxHal } from './linux/linux-hal.js';
import { SimHal } from './sim/sim-hal.js';

export type { HalConfig } from './config.js';
export { defaultHalConfig, defaultEvdevLayout } from './config.js';
export type { ObservableResetButton } from './gesture-button.js';
export type { ButtonEvent } from './button-gesture.js';
export { HalError, isHalError, type HalErrorCode } from './hal-error.js';
export { SimHal } from './sim/sim-hal.js';
export { LinuxHal } from './linux/linux-hal.js';

/**
 * The board the agent runs on. `mode` discriminates, so the local API can
 * reach the simulator's controls (`if (hal.mode === 'sim') hal.simulatePress(…)`).
 */
export type AgentHal = SimHal | LinuxHal;

/** Builds the HAL for hal.mode; no I/O happens until start(). */
export function createHal(config: HalConfig, deps: { logger: Logger; clock: Clock }): AgentHal {
  return config.mode === 'linux' ? new LinuxHal(config, deps) : new SimHal(config.sim, deps);
}
