/**
 * Firmware version ordering, for the downgrade and same-version checks
 * (SWUpdate `-N`/`-R`, RAUC `min-bundle-version`, AWS OTA
 * DowngradeNotAllowed / SameFirmwareVersion). Pure.
 *
 * Firmware versions are looser than SemVer: any number of dot-separated
 * numeric parts (`1.2`, `2024.05.1`), leading zeros allowed (`05` = 5),
 * missing parts count as 0 (`1.2` = `1.2.0`). The pre-release (`-rc.1`)
 * and build (`+g1234`) parts follow SemVer 2.0.0 §9–§11: a pre-release
 * sorts before its release, build metadata is ignored.
 */

export interface FirmwareVersion {
  /** Numeric dot parts, as written (no padding with zeros). */
  release: number[];
  /** Pre-release identifiers; digit-only ones as numbers. Empty = a release. */
  prerelease: Array<string | number>;
  /** Build metadata after `+`, or null; never affects ordering. */
  build: string | null;
}

const IDENT = '[0-9A-Za-z-]+';
const VERSION = new RegExp(`^(\\d+(?:\\.\\d+)*)(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?$`);
/** As OTA_VERSION_PATTERN's length limit: longer strings are not versions. */
const MAX_LENGTH = 64;

/** Null for anything that is not a firmware version (empty, `v1.2`, `1..2`, `1.2-`, parts beyond 2^53). */
export function parseVersion(s: string): FirmwareVersion | null {
  if (typeof s !== 'string' || s.length > MAX_LENGTH) return null;
  const m = VERSION.exec(s);
  if (!m) return null;
  const release = m[1]!.split('.').map(Number);
  if (!release.every(Number.isSafeInteger)) return null;
  const prerelease: Array<string | number> = [];
  for (const id of m[2]?.split('.') ?? []) {
    if (/^\d+$/.test(id)) {
      const n = Number(id);
      if (!Number.isSafeInteger(n)) return null;
      prerelease.push(n);
    } else prerelease.push(id);
  }
  return { release, prerelease, build: m[3] ?? null };
}

type Order = -1 | 0 | 1;

const sign = (n: number): Order => (n < 0 ? -1 : n > 0 ? 1 : 0);

/**
 * Orders two versions. A string that is not a version sorts before every
 * version (and such strings among themselves by code point), so the
 * function is a total order usable with Array.prototype.sort and a device
 * with an unreadable version can still be updated.
 */
export function compareVersions(a: string, b: string): Order {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (!va || !vb) {
    if (va) return 1;
    if (vb) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const n = Math.max(va.release.length, vb.release.length);
  for (let i = 0; i < n; i++) {
    const d = sign((va.release[i] ?? 0) - (vb.release[i] ?? 0));
    if (d !== 0) return d;
  }
  return comparePrerelease(va.prerelease, vb.prerelease);
}

/** SemVer §11.3–§11.4. */
function comparePrerelease(a: Array<string | number>, b: Array<string | number>): Order {
  // §11.3: a version without pre-release has higher precedence.
  if (a.length === 0 || b.length === 0) return sign(b.length - a.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    // §11.4.1–§11.4.3: numbers numerically, numbers before alphanumerics, strings in ASCII order.
    if (typeof x === 'number' && typeof y === 'number') return sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  // §11.4.4: a larger set of identifiers wins when all preceding ones are equal.
  return sign(a.length - b.length);
}

export type UpdateDirection = 'upgrade' | 'same' | 'downgrade-allowed' | 'downgrade-refused';

/**
 * What installing `target` over `running` would be. `same` is always
 * refused (reinstalling the running version is never useful and would burn
 * a boot attempt), even when downgrades are allowed; the service reports
 * it as same_version.
 */
export function updateDirection(running: string, target: string, downgradeAllowed: boolean): UpdateDirection {
  const order = compareVersions(target, running);
  if (order > 0) return 'upgrade';
  if (order === 0) return 'same';
  return downgradeAllowed ? 'downgrade-allowed' : 'downgrade-refused';
}

/** The error code for a refused direction, or null when the update may go ahead. */
export function directionRefusal(direction: UpdateDirection): 'same_version' | 'downgrade_not_allowed' | null {
  if (direction === 'same') return 'same_version';
  if (direction === 'downgrade-refused') return 'downgrade_not_allowed';
  return null;
}
