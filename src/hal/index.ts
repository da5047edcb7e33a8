import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { HalConfig } from './config.js';
import { LinuxHal } from './linux/linux-hal.js';
import { SimHal } from './sim/sim-hal.js';
import { SimKeySource } from './sim/sim-key-source.js';
import { FactoryKeySource } from './linux/factory-key-source.js';

export type { HalConfig } from './config.js';
export { defaultHalConfig, defaultEvdevLayout } from './config.js';
export type { ObservableResetButton } from './gesture-button.js';
export type { ButtonEvent } from './button-gesture.js';
export { HalError, isHalError, type HalErrorCode } from './hal-error.js';
export { SimHal } from './sim/sim-hal.js';
export { LinuxHal } from './linux/linux-hal.js';
export { SimKeySource } from './sim/sim-key-source.js';
export { FactoryKeySource } from './linux/factory-key-source.js';

/**
 * The board the agent runs on. `mode` discriminates, so the local API can
 * reach the simulator's controls (`if (hal.mode === 'sim') hal.simulatePress(…)`).
 */
export type AgentHal = SimHal | LinuxHal;

/** Where the device key sources read from: data.dir (sim secret) and identity.dir (factory device-secret). */
export interface HalPaths {
  dataDir: string;
  identityDir: string;
}

/**
 * Builds the HAL for hal.mode; no I/O happens until start(). Without
 * `paths` (HAL-only tests) hal.keys rejects with key_source_unconfigured.
 */
export function createHal(config: HalConfig, deps: { logger: Logger; clock: Clock; paths?: HalPaths }): AgentHal {
  const { paths, ...rest } = deps;
  if (config.mode === 'linux') {
    const keys = paths ? new FactoryKeySource({ identityDir: paths.identityDir }) : undefined;
    return new LinuxHal(config, keys ? { ...rest, keys } : rest);
  }
  const keys = paths ? new SimKeySource({ dataDir: paths.dataDir }) : undefined;
  return new SimHal(config, keys ? { ...rest, keys } : rest);
}
