import { randomCrockford, type RandomBytes } from './crockford.js';

/**
 * The device id (factory-layout.ts FactoryIdentity.deviceId): "cam-" + 16
 * lower-case Crockford characters = 80 random bits. Random rather than
 * derived from the serial, because it appears in MQTT topics and the
 * certificate CN, which must not reveal the serial printed on the label.
 */
export const DEVICE_ID_PATTERN = /^cam-[0-9a-hjkmnp-tv-z]{16}$/;

export function generateDeviceId(random: RandomBytes): string {
  return `cam-${randomCrockford(16, random).toLowerCase()}`;
}
