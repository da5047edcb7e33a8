/**
 * The personal data a camera keeps about its owner: everything here is
 * encrypted at rest (PersonalDataStore) and destroyed on unbind/factory
 * reset (erasePersonalData). Anything personal that is added later belongs
 * in this document, not in a new plaintext file.
 */

/** Same vocabulary as the provisioning API's `auth` (provisioning.md §6.5). */
export type WifiSecurity = 'nopass' | 'WPA' | 'SAE';

export interface WifiCredentials {
  /** Base64 of the raw SSID bytes (1-32 bytes; SSIDs need not be UTF-8). */
  ssid: string;
  /** WPA: 8-63 ASCII characters or 64 hex digits; SAE: 1-128 characters; nopass: "". */
  password: string;
  hidden: boolean;
  security: WifiSecurity;
}

export interface CloudBinding {
  /** Runtime credential returned by /v1/devices/activate. Never logged. */
  token: string;
  /** Region code from the cloud's allow-list, e.g. "EU". */
  region: string;
  /** ISO 8601 time of binding. */
  boundAt: string;
}

export interface PersonalData {
  wifi?: WifiCredentials;
  binding?: CloudBinding;
  /** Name the owner gave the camera in the app. */
  deviceName?: string;
}

export type PersonalDataKey = keyof PersonalData;

/** Keys holding plain text, which a configuration setting can live under (config/personal-settings.ts). */
export type PersonalTextKey = { [K in PersonalDataKey]-?: NonNullable<PersonalData[K]> extends string ? K : never }[PersonalDataKey];

export const PERSONAL_DATA_KEYS: readonly PersonalDataKey[] = ['wifi', 'binding', 'deviceName'];

export function isPersonalDataKey(key: string): key is PersonalDataKey {
  return (PERSONAL_DATA_KEYS as readonly string[]).includes(key);
}

/** Why a value is not acceptable, or null. Pure; messages name fields, never values. */
export type ValueCheck = string | null;

const CONTROL = /[\u0000-\u001f\u007f]/;

function checkWifi(v: unknown): ValueCheck {
  if (!isRecord(v)) return 'wifi is not an object';
  const extra = Object.keys(v).filter((k) => !['ssid', 'password', 'hidden', 'security'].includes(k));
  if (extra.length) return `wifi has unknown field(s) ${extra.join(', ')}`;
  if (typeof v.ssid !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v.ssid)) return 'wifi.ssid is not base64';
  const ssidBytes = Buffer.from(v.ssid, 'base64').length;
  if (ssidBytes < 1 || ssidBytes > 32) return 'wifi.ssid is not 1-32 bytes';
  if (typeof v.hidden !== 'boolean') return 'wifi.hidden is not a boolean';
  if (typeof v.password !== 'string') return 'wifi.password is not a string';
  const p = v.password;
  switch (v.security) {
    case 'nopass':
      return p === '' ? null : 'wifi.password must be empty for an open network';
    case 'WPA': {
      // IEEE 802.11i: 8-63 characters (counted in bytes: phones send UTF-8 passphrases,
      // provisioning.md P7), or a raw 256-bit PSK in hex.
      const bytes = Buffer.byteLength(p, 'utf8');
      return (bytes >= 8 && bytes <= 63 && !CONTROL.test(p)) || /^[0-9A-Fa-f]{64}$/.test(p) ? null : 'wifi.password is not a valid WPA passphrase';
    }
    case 'SAE': {
      const bytes = Buffer.byteLength(p, 'utf8');
      return bytes >= 1 && bytes <= 128 && !CONTROL.test(p) ? null : 'wifi.password is not a valid SAE password';
    }
    default:
      return 'wifi.security is not nopass, WPA or SAE';
  }
}

function checkBinding(v: unknown): ValueCheck {
  if (!isRecord(v)) return 'binding is not an object';
  const extra = Object.keys(v).filter((k) => !['token', 'region', 'boundAt'].includes(k));
  if (extra.length) return `binding has unknown field(s) ${extra.join(', ')}`;
  if (typeof v.token !== 'string' || v.token.length < 1 || v.token.length > 4096 || CONTROL.test(v.token)) return 'binding.token is not 1-4096 printable characters';
  if (typeof v.region !== 'string' || !/^[A-Z0-9-]{2,16}$/.test(v.region)) return 'binding.region is not a region code';
  if (typeof v.boundAt !== 'string' || Number.isNaN(Date.parse(v.boundAt)) || !/^\d{4}-\d{2}-\d{2}T/.test(v.boundAt)) return 'binding.boundAt is not an ISO 8601 time';
  return null;
}

function checkDeviceName(v: unknown): ValueCheck {
  if (typeof v !== 'string') return 'deviceName is not a string';
  // The name comes from the setting alarm.snapshot.overlay.deviceName (config/personal-settings.ts), whose rule it follows.
  if (v.length < 1 || [...v].length > 64 || CONTROL.test(v)) return 'deviceName is not 1-64 characters without control characters';
  return null;
}

const CHECKS: Record<PersonalDataKey, (v: unknown) => ValueCheck> = {
  wifi: checkWifi,
  binding: checkBinding,
  deviceName: checkDeviceName,
};

export function checkPersonalValue(key: PersonalDataKey, value: unknown): ValueCheck {
  return CHECKS[key](value);
}

/** Check a whole decoded document; unknown keys are rejected. */
export function checkPersonalData(doc: unknown): ValueCheck {
  if (!isRecord(doc)) return 'document is not an object';
  for (const [k, v] of Object.entries(doc)) {
    if (!isPersonalDataKey(k)) return `unknown key ${k}`;
    const why = checkPersonalValue(k, v);
    if (why) return why;
  }
  return null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
