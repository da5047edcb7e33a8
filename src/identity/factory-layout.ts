import { join } from 'node:path';

/**
 * The factory partition (`identity.dir`, read-only on the camera), written
 * once by `camera-agent factory provision` and read by the agent at every
 * start. This file is the contract between the two; docs/label.md and
 * docs/integration.md describe it for people.
 *
 *   identity.json    public facts about the unit (FactoryIdentity), 0444
 *   device.key       EC P-256 private key, PKCS#8 PEM, 0600 — never leaves the camera
 *   device.csr       certificate request (CN = deviceId) when no factory CA signed it, 0444
 *   device.crt       device certificate signed by the factory CA, PEM, 0444
 *   ca-chain.pem     the factory CA chain that issued device.crt, PEM, 0444
 *   ap-passphrase    soft-AP WPA2 passphrase from the label (hostapd needs it in clear), 0600
 *   srp-verifier.json  SRP-6a salt + verifier for I = serial, p = verification code, 0444
 *   device-secret    32 random bytes: input key material for the personal-data store key, 0600
 *   config.json      optional per-unit configuration layer (hardware variant), 0444
 */
export const FACTORY_FILES = {
  identity: 'identity.json',
  privateKey: 'device.key',
  csr: 'device.csr',
  certificate: 'device.crt',
  caChain: 'ca-chain.pem',
  apPassphrase: 'ap-passphrase',
  srpVerifier: 'srp-verifier.json',
  deviceSecret: 'device-secret',
  config: 'config.json',
} as const;

export type FactoryFile = keyof typeof FACTORY_FILES;

export function factoryPath(dir: string, file: FactoryFile): string {
  return join(dir, FACTORY_FILES[file]);
}

/** identity.json: public facts only, nothing secret. */
export interface FactoryIdentity {
  /** Layout version of this file. */
  formatVersion: 1;
  /**
   * Random, not derived from the serial: it is the certificate CN, the MQTT
   * client id and the {deviceId} in topics, so topics reveal no serial.
   * Pattern ^cam-[0-9a-hjkmnp-tv-z]{16}$ (Crockford base32, lower case).
   */
  deviceId: string;
  /** Upper-case letters and digits, as printed on the label. */
  serial: string;
  model: string;
  hardwareRevision: string;
  /** Lower-case aa:bb:cc:dd:ee:ff of the Wi-Fi interface. */
  mac: string;
  /** Version of the label QR payload (docs/label.md). */
  labelFormat: number;
  /** Hex SHA-256 of the device public key's SPKI DER. */
  publicKeyFingerprint: string;
  /** Hex serial number of device.crt, or null while only a CSR exists. */
  certificateSerial: string | null;
  /** ISO 8601 date of manufacture (YYYY-MM-DD). */
  manufacturedAt: string;
}

/** srp-verifier.json: what AP-mode pairing checks the label code against. */
export interface SrpVerifierFile {
  /** e.g. "srp6a-3072-sha512" (RFC 5054 group, hash). */
  suite: string;
  /** Base64 salt (16+ random bytes). */
  salt: string;
  /** Base64 big-endian verifier v = g^x mod N, left-padded to the group size. */
  verifier: string;
}
