import { decodeLabelPayload } from '../../factory/label-payload.js';
import type { ProvisioningPayload } from '../provisioning-payload.js';
import type { QrPayloadErrorCode } from './payload-error.js';
import { parsePrv1 } from './prv1.js';
import { parseWifiUri, WIFI_PREFIX } from './wifi-uri.js';

/**
 * What the provisioning scanner does with one decoded QR text. Every text a
 * camera sees (our PRV1, a foreign WIFI: code, our own label in the frame,
 * a URL on a poster, noise) maps to exactly one outcome, cheaply and
 * without throwing, so the scan loop just keeps going (provisioning.md
 * §7.3 Q13, Q19).
 */
export type QrReadResult =
  | { kind: 'provisioning'; payload: ProvisioningPayload }
  /** The camera's own label (§6.3), e.g. beside the phone in the frame: never a provisioning code. */
  | { kind: 'own-label' }
  | { kind: 'unrelated'; what: UnrelatedQr }
  /** A provisioning code (PRV*, WIFI:) we refuse; the message never carries the password or token. */
  | { kind: 'rejected'; code: QrPayloadErrorCode; message: string };

/** Coarse kind of a QR that is none of ours, for the log. */
export type UnrelatedQr = 'empty' | 'url' | 'uri' | 'vcard' | 'mecard' | 'dpp' | 'xml' | 'json' | 'binary' | 'text';

const BOM = '\uFEFF';

export function classifyQrText(text: string): QrReadResult {
  try {
    return classify(text.startsWith(BOM) ? text.slice(1) : text);
  } catch {
    // The parsers are total; this only keeps a bug from stopping the scan loop.
    return { kind: 'rejected', code: 'malformed', message: 'the QR text could not be parsed' };
  }
}

function classify(text: string): QrReadResult {
  if (text === '') return { kind: 'unrelated', what: 'empty' };
  // Any PRV<n>: goes to the PRV1 parser, which refuses other versions with unsupported_version.
  if (/^PRV\d+:/.test(text)) return fromParse(parsePrv1(text));
  if (text.slice(0, WIFI_PREFIX.length).toUpperCase() === WIFI_PREFIX) return fromParse(parseWifiUri(text));
  if (isOwnLabel(text)) return { kind: 'own-label' };
  return { kind: 'unrelated', what: unrelatedKind(text) };
}

function fromParse(result: ReturnType<typeof parsePrv1>): QrReadResult {
  return result.ok ? { kind: 'provisioning', payload: result.value } : { kind: 'rejected', ...result.error };
}

/**
 * A label QR is a valid format-1 label payload (src/factory/label-payload.ts).
 * The station's --label-host is not known on the device, so the URL's own
 * host is used: the fragment (`#1*S:…*C:…*W:…*F:…`) is what makes it ours.
 */
function isOwnLabel(text: string): boolean {
  const host = /^https:\/\/([^/#]+)\/D\//i.exec(text);
  return host !== null && decodeLabelPayload(text, { host: host[1]! }).ok;
}

function unrelatedKind(text: string): UnrelatedQr {
  // Control characters other than tab/CR/LF, or U+FFFD from a decoder's failed charset guess.
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFD]/.test(text)) return 'binary';
  if (/^https?:\/\//i.test(text)) return 'url';
  if (/^BEGIN:VCARD/i.test(text)) return 'vcard';
  if (/^MECARD:/i.test(text)) return 'mecard';
  // Wi-Fi Easy Connect bootstrapping: would need DPP in the supplicant (provisioning.md §1.3).
  if (/^DPP:/i.test(text)) return 'dpp';
  // Reolink-style `<QR><S>…</S>…` (§7.3 Q16) and other markup.
  if (/^\s*</.test(text)) return 'xml';
  if (/^\s*[{[]/.test(text)) return 'json';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) return 'uri';
  return 'text';
}
