/**
 * The sentinel scanner of the privacy test: unique marker values, every
 * encoding in which a program could leak them (raw, base64 at each
 * alignment and base64url, hex, percent-encoding, UTF-16), and an
 * allow-list that says per sentinel where the design lets it appear and why.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export type SentinelKind = 'secret' | 'personal';

export interface Sentinel {
  name: string;
  value: string;
  kind: SentinelKind;
}

/** `SNTL-<TAG>-<hex>`: only [A-Za-z0-9-], unique per run, never a substring of anything else. */
export function sentinelValue(tag: string, hexBytes = 6): string {
  return `SNTL-${tag}-${randomBytes(hexBytes).toString('hex')}`;
}

/** 26 random Crockford base32 characters: the binding-token format, unique per run. */
export function crockfordToken(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

/** The encodings searched for, each named so a finding says how the value leaked. */
export function encodedForms(value: string): Array<{ form: string; bytes: Buffer }> {
  const raw = Buffer.from(value, 'utf8');
  const out: Array<{ form: string; bytes: Buffer }> = [{ form: 'utf8', bytes: raw }];
  // Base64 of a value inside a longer text depends on its offset mod 3: the
  // characters that cover only the value's bytes are the same for each offset.
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k, 0x20), raw]).toString('base64');
    const inner = b64.slice(k === 0 ? 0 : 4, b64.length - 4);
    out.push({ form: `base64+${k}`, bytes: Buffer.from(inner) });
    out.push({ form: `base64url+${k}`, bytes: Buffer.from(inner.replace(/\+/g, '-').replace(/\//g, '_')) });
  }
  out.push({ form: 'hex', bytes: Buffer.from(raw.toString('hex')) });
  out.push({ form: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase()) });
  const pct = encodeURIComponent(value);
  if (pct !== value) out.push({ form: 'percent', bytes: Buffer.from(pct) });
  out.push({ form: 'utf16le', bytes: Buffer.from(value, 'utf16le') });
  out.push({ form: 'utf16be', bytes: Buffer.from(value, 'utf16le').swap16() });
  return out;
}

const MIN_NEEDLE_BYTES = 8;

export interface Finding {
  sentinel: string;
  kind: SentinelKind;
  where: string;
  form: string;
}

/** Every occurrence (one per sentinel, place and form) of any sentinel in `bytes`. */
export function scanBytes(where: string, bytes: Buffer, sentinels: readonly Sentinel[]): Finding[] {
  const out: Finding[] = [];
  for (const s of sentinels) {
    for (const f of encodedForms(s.value)) {
      // Too short a run would match by chance in megabytes of ciphertext.
      if (f.bytes.length < MIN_NEEDLE_BYTES) continue;
      if (bytes.indexOf(f.bytes) !== -1) out.push({ sentinel: s.name, kind: s.kind, where, form: f.form });
    }
  }
  return out;
}

/** Every regular file under `dir`, recursively (relative names). */
export async function filesUnder(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function walk(d: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.set(relative(dir, p), await readFile(p).catch(() => Buffer.alloc(0)));
    }
  }
  await walk(dir);
  return out;
}

export interface Allowance {
  sentinel: string;
  /** Matched against Finding.where. */
  where: RegExp;
  why: string;
}

/** Findings no allowance covers. */
export function violations(findings: readonly Finding[], allow: readonly Allowance[]): Finding[] {
  return findings.filter((f) => !allow.some((a) => a.sentinel === f.sentinel && a.where.test(f.where)));
}

export function describe(f: Finding): string {
  return `${f.kind} ${f.sentinel} in ${f.where} (${f.form})`;
}
