import { FactoryError } from './factory-error.js';

/**
 * Serial, model and hardware-revision rules. They are strict because each
 * value ends up in the QR alphanumeric set, a certificate subject, a file
 * name and an SSID.
 */
export const SERIAL_PATTERN = /^[A-Z0-9]{6,20}$/;
/** Upper-case letters, digits and "-": QR alphanumeric, URL-path and SSID safe. */
export const MODEL_PATTERN = /^[A-Z0-9](?:[A-Z0-9-]{0,14}[A-Z0-9])?$/;
export const HW_REV_PATTERN = /^[A-Za-z0-9._-]{1,16}$/;

export function checkSerial(serial: string): void {
  if (!SERIAL_PATTERN.test(serial)) {
    throw new FactoryError('bad_serial', `serial must match ${SERIAL_PATTERN.source} (upper-case letters and digits, 6–20)`);
  }
}

export function checkModel(model: string): void {
  if (!MODEL_PATTERN.test(model)) {
    throw new FactoryError('bad_model', `model must be 1–16 of A–Z, 0–9 and "-" (not at either end), e.g. CAM100`);
  }
}

export function checkHardwareRevision(rev: string): void {
  if (!HW_REV_PATTERN.test(rev)) throw new FactoryError('bad_hw_rev', `hardware revision must match ${HW_REV_PATTERN.source}`);
}

/**
 * The serial `offset` places after `from`: the trailing digits are the
 * counter and keep their width (AC0099 + 1 = AC0100). Overflowing the
 * width would change the serial's shape, so it is an error.
 */
export function nthSerial(from: string, offset: number): string {
  const match = /^(.*?)(\d+)$/.exec(from);
  if (!match) throw new FactoryError('bad_serial', 'the --from serial must end in digits (the counter)');
  const [, prefix, digits] = match as unknown as [string, string, string];
  const next = BigInt(digits) + BigInt(offset);
  const text = next.toString().padStart(digits.length, '0');
  if (text.length > digits.length) {
    throw new FactoryError('serial_overflow', `${from} + ${offset} overflows the ${digits.length}-digit counter`);
  }
  return prefix + text;
}
