import { groupForPrint } from './crockford.js';
import type { LabelPayload } from './label-payload.js';

/**
 * The human-readable lines printed beside the QR (provisioning.md §6.3), for
 * a person who types the code instead of scanning it, and for the service
 * desk reading a serial over the phone.
 */
export interface LabelLines {
  serial: string;
  setupCode: string;
  wifi: string;
}

/** SSID of the unit's soft AP: <MODEL>-<last 4 of serial> (provisioning.md §6.5). */
export function apSsid(model: string, serial: string): string {
  return `${model}-${serial.slice(-4)}`;
}

export function labelLines(p: LabelPayload): LabelLines {
  return {
    serial: `S/N ${groupForPrint(p.serial)}`,
    setupCode: `Setup code ${groupForPrint(p.code)}`,
    wifi: `Wi-Fi ${apSsid(p.model, p.serial)} / key ${groupForPrint(p.passphrase)}`,
  };
}
