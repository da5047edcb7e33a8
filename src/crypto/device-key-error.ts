import type { DeviceKeySource } from '../hal/types.js';

/**
 * Failures of the device key source (hal.keys). The personal-data store maps
 * any of them to "store unavailable" instead of guessing a key.
 */
export type DeviceKeyErrorCode =
  /** The factory partition has no device-secret file (unit not provisioned, or wrong identity.dir). */
  | 'device_secret_missing'
  /** The secret file exists but is shorter than 32 bytes or unreadable. */
  | 'device_secret_invalid'
  /** The HAL was built without paths (tests that never touch keys). */
  | 'key_source_unconfigured';

export class DeviceKeyError extends Error {
  readonly code: DeviceKeyErrorCode;

  constructor(code: DeviceKeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeviceKeyError';
    this.code = code;
  }
}

export function isDeviceKeyError(err: unknown, code?: DeviceKeyErrorCode): err is DeviceKeyError {
  return err instanceof DeviceKeyError && (code === undefined || err.code === code);
}

/** Minimum input key material: HKDF-SHA256 gains nothing from more, and less would weaken the KEK. */
export const DEVICE_SECRET_MIN_BYTES = 32;

/**
 * Stand-in when a HAL is constructed without paths: fails loudly on use
 * rather than inventing a key that would not survive a restart.
 */
export const UNCONFIGURED_KEY_SOURCE: DeviceKeySource = {
  keyMaterial: () =>
    Promise.reject(new DeviceKeyError('key_source_unconfigured', 'no device key source: the HAL was created without paths')),
};
