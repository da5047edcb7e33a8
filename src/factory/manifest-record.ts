/**
 * One manifest line for the cloud registry import: public facts and the
 * slow hash of the verification code. Never the code, the AP passphrase or
 * any key — a manifest travels by e-mail and USB stick.
 */
export interface ManifestRecord {
  serial: string;
  model: string;
  hardwareRevision: string;
  mac: string;
  deviceId: string;
  /** Hex SHA-256 of the device public key SPKI DER (as identity.json). */
  publicKeyFingerprint: string;
  /** Hex serial of device.crt, or "" when only a CSR was made. */
  certificateSerial: string;
  /** scrypt PHC string of the verification code (code-hash.ts). */
  codeHash: string;
  labelFormat: number;
  manufacturedAt: string;
}

export const MANIFEST_COLUMNS: readonly (keyof ManifestRecord)[] = [
  'serial', 'model', 'hardwareRevision', 'mac', 'deviceId', 'publicKeyFingerprint',
  'certificateSerial', 'codeHash', 'labelFormat', 'manufacturedAt',
];

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const MANIFEST_CSV_HEADER = `${MANIFEST_COLUMNS.join(',')}\n`;

export function manifestCsvLine(r: ManifestRecord): string {
  return `${MANIFEST_COLUMNS.map((c) => csvField(r[c])).join(',')}\n`;
}

export function manifestJsonLine(r: ManifestRecord): string {
  return `${JSON.stringify(Object.fromEntries(MANIFEST_COLUMNS.map((c) => [c, r[c]])))}\n`;
}

/** Serials in a CSV manifest (serial is the first column and never quoted). */
export function csvSerials(text: string): string[] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.length > 0)
    .map((l) => l.slice(0, l.indexOf(',')));
}

export function jsonRecords(text: string): ManifestRecord[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as ManifestRecord);
}
