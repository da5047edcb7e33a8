/**
 * The names in the camera's DNS-SD advertisement (provisioning.md §5.3):
 * the service type, the instance name people see in an app's device list
 * ("ACME CAM100 7890"), its renamed forms after a conflict, and the SRV
 * target host. Pure: no I/O.
 *
 * Rules and where they come from:
 * - Instance names are at most 63 bytes of UTF-8 (RFC 6763 §4.1.1, one DNS
 *   label). dns-packet 5.6 writes a label's length into one byte without a
 *   check, so a longer label would corrupt the packet, not fail.
 * - bonjour-service turns every '.' in a name into '-' (service.js); we do
 *   it first, so the name we log and report is the name on the wire.
 * - Conflict renames follow the DNS-SD convention "Name (2)", "Name (3)"…
 *   (RFC 6763 Appendix D); the base is shortened so the suffix still fits.
 * - Service types follow RFC 6335 §5.1: 1–15 characters, letters, digits
 *   and hyphens, at least one letter, no hyphen at either end or doubled.
 */

export const INSTANCE_NAME_MAX_BYTES = 63;
export const SERVICE_TYPE_MAX_LENGTH = 15;
/** Shown when there is nothing to build a name from; never expected on a provisioned unit. */
const FALLBACK_NAME = 'Camera';

export type ServiceTypeResult = { ok: true; type: string } | { ok: false; code: 'bad_service_type'; message: string };

/** `camera-agent` → ok (bonjour-service adds `_…._tcp`). Case-insensitive, returned in lower case. */
export function parseServiceType(value: string): ServiceTypeResult {
  const type = value.toLowerCase();
  const bad = (why: string): ServiceTypeResult => ({ ok: false, code: 'bad_service_type', message: `service type "${value}" ${why} (RFC 6335 §5.1)` });
  if (type.length < 1 || type.length > SERVICE_TYPE_MAX_LENGTH) return bad(`is not 1-${SERVICE_TYPE_MAX_LENGTH} characters`);
  if (!/^[a-z0-9-]+$/.test(type)) return bad('has characters other than letters, digits and hyphens');
  if (!/[a-z]/.test(type)) return bad('has no letter');
  if (type.startsWith('-') || type.endsWith('-')) return bad('begins or ends with a hyphen');
  if (type.includes('--')) return bad('has two hyphens in a row');
  return { ok: true, type };
}

/**
 * The last four characters of the serial, which the label and the app show;
 * null when the serial is not longer than that, so the full serial is never
 * advertised.
 */
export function serialSuffix(serial: string): string | null {
  const s = cleanText(serial);
  return s.length > 4 ? s.slice(-4) : null;
}

export interface NameFacts {
  /** Product brand put in front of the model; may be empty. */
  brand: string;
  model: string;
  serial: string;
}

/** "ACME CAM100 7890": brand, model and the serial's last four, whatever of them exists. */
export function baseInstanceName(facts: NameFacts): string {
  const parts = [facts.brand, facts.model, serialSuffix(facts.serial) ?? ''].map(cleanText).filter((p) => p !== '');
  const name = parts.join(' ');
  return name === '' ? FALLBACK_NAME : fitBytes(name, INSTANCE_NAME_MAX_BYTES).trimEnd();
}

/**
 * The name to probe on the given attempt: attempt 1 is the base name,
 * attempt n ≥ 2 is "base (n)", the base shortened to keep 63 bytes.
 */
export function instanceName(base: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  const clean = cleanText(base) || FALLBACK_NAME;
  if (attempt === 1) return fitBytes(clean, INSTANCE_NAME_MAX_BYTES).trimEnd();
  const suffix = ` (${attempt})`;
  const head = fitBytes(clean, INSTANCE_NAME_MAX_BYTES - Buffer.byteLength(suffix)).trimEnd();
  return `${head}${suffix}`;
}

/**
 * The SRV target's host label (without ".local"). bonjour-service defaults
 * to os.hostname() without ".local" (test-rigs.md §4), and it never probes
 * the host name, so it must be unique on its own: model plus the device
 * key tag (40 random-looking bits), or the serial's last four without one.
 */
export function hostLabel(facts: { model: string; serial: string; keyTag: string | null }): string {
  const ldh = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const model = ldh(facts.model).slice(0, 40).replace(/-+$/, '');
  const unit = ldh(facts.keyTag ?? serialSuffix(facts.serial) ?? '') || 'unit';
  return model ? `${model}-${unit}` : `camera-${unit}`;
}

/** Drop control characters, '.' → '-' (as bonjour-service does), collapse white space. */
export function cleanText(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\./g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, cut between code points. */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (used + n > maxBytes) break;
    out += ch;
    used += n;
  }
  return out;
}
