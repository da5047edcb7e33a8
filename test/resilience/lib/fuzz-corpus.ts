import fc from 'fast-check';
import { injectionStrings } from '../../helpers/injection-corpus.js';

/**
 * The bad-input corpus of shared/reference/security.md §5.2 as fast-check
 * arbitraries, plus the mixers every fuzz target uses: (1) valid inputs with
 * one field mutated, (2) corpus values, (3) arbitrary strings and bytes.
 * Injection strings touch a sentinel under /tmp that the tests check for.
 */
export const SENTINEL_DIR = '/tmp';
export const SENTINEL_PREFIX = 'INJ_fuzz_';

const inj = (n: number) => `${SENTINEL_DIR}/${SENTINEL_PREFIX}${n}`;

/** Command / argument injection (every string that could reach a subprocess). */
export const INJECTION: readonly string[] = injectionStrings(inj);

/** SSID / text-field traps: format strings, markup, config and log injection, traversal, NUL, bad Unicode. */
export const TEXT_TRAPS: readonly string[] = [
  '',
  'A'.repeat(32),
  'A'.repeat(33),
  '\x00abc',
  'abc\x00def',
  '\xff\xfe',
  '%p%s%s%s%s%n',
  '%x%x%x%x',
  '%1$n',
  '%.9999999d',
  '%s',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '","admin":true,"x":"',
  'a"\n}\nnetwork={\nssid="evil"\nkey_mgmt=NONE\n}',
  '\r\nSet-Cookie: admin=1',
  '\x1b[2J\x1b[1;1H[INFO] ok',
  '../../etc/passwd',
  '${jndi:ldap://x/a}',
  '\ud800',
  'a\udfffb',
  '\ud83d',
  '\ufeffBOM',
  '\u202eevil',
  'Cafe\u0301',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  ' ',
  '\t',
  '📷'.repeat(8),
  '📷'.repeat(9),
];

/** Wi-Fi passwords: §5.2 PSK list. */
export const PSK_TRAPS: readonly string[] = [
  '1234567',
  'f'.repeat(63) + 'g',
  'a'.repeat(64),
  '0123456789abcdef'.repeat(4),
  '`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\\'`$"\\',
  'pass\x00word',
  'x'.repeat(63),
  'x'.repeat(129),
];

/** Hostnames / NTP servers, time zones, traversal (§5.2). */
export const NAME_TRAPS: readonly string[] = [
  'pool.ntp.org;reboot',
  '$(id)',
  '127.0.0.1 -c /etc/shadow',
  '-q',
  '::ffff:127.0.0.1',
  '[::1]',
  'a..b',
  '.',
  '-leadingdash.example',
  'a'.repeat(256),
  'xn--80ak6aa92e.com',
  '169.254.169.254',
  '../../../../dev/random',
  '/etc/shadow',
  'Europe/../../etc/passwd',
  'UTC%00',
  'UTC\x00',
  'Europe/Paris;reboot',
  '..%2f..%2fetc%2fshadow',
  '%2e%2e/%2e%2e/etc/shadow',
  '..%252f..%252fetc%252fshadow',
  '..\\..\\etc\\shadow',
  '....//....//etc/shadow',
  'logs/..;/config',
  'logs%00.txt',
  '%c0%ae%c0%ae/etc/shadow',
];

/** MQTT topic / id injection (§5.2). */
export const TOPIC_TRAPS: readonly string[] = ['+', '#', 'a/b', '$aws/things/other/shadow/update', '', '\x00', 'x'.repeat(300), '../', 'a/+/b', 'cam/#'];

/** Auth header traps (§5.2 "Authentication / authorisation bypass"). */
export const AUTH_TRAPS: readonly string[] = [
  '',
  'Basic ',
  'Basic Og==',
  'Basic YWRtaW46YWRtaW4=',
  'Bearer ',
  'Bearer null',
  'Bearer undefined',
  'Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiYWRtaW4ifQ.',
  'bearer  x',
  `Bearer ${'A'.repeat(600)}`,
  'Bearer a.b',
  'Bearer ..',
  'Prov1 ',
  'Prov1 AAAAAAAAAAAAAAAAAAAAAA==',
];

/** Every corpus string. */
export const CORPUS_STRINGS: readonly string[] = [...INJECTION, ...TEXT_TRAPS, ...PSK_TRAPS, ...NAME_TRAPS, ...TOPIC_TRAPS, ...AUTH_TRAPS];

/**
 * Number spellings that JSON.parse turns into edge values: 1e309 → Infinity,
 * -0, 2^53 + 1 (rounds), and the strings a sloppy parser coerces.
 */
export const RAW_NUMBERS: readonly string[] = ['1e309', '-1e309', '-0', '0', '9007199254740993', '9007199254740991', '-9007199254740993', '1.5', '-1', '1e-400', '4294967296', '0.1e1', '1E2'];
export const NUMBER_STRINGS: readonly string[] = ['"NaN"', '"Infinity"', '"-0"', '"1"', '"0x10"', '"1e3"', '" 1"'];

/** Whole JSON bodies that break naive handlers (§5.2 resource limits, type confusion). */
export const JSON_TRAPS: readonly string[] = [
  '',
  ' ',
  'null',
  'true',
  '1',
  '"x"',
  '[]',
  '["x"]',
  '{}',
  '{',
  '}',
  '{"a":1,"a":2}',
  '{"__proto__":{"admin":true,"polluted":1}}',
  '{"constructor":{"prototype":{"admin":true,"polluted":1}}}',
  '{"__proto__":null}',
  '[{"__proto__":{"x":1}}]',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
  `[${'0,'.repeat(20000)}0]`,
  '\ufeff{}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":1e309}',
  '{"a":-0}',
  '{"a":9007199254740993}',
  '{"a":NaN}',
  '{"a":Infinity}',
  "{'a':1}",
  '{"a":1,}',
  '\x00',
];

export const corpusString = (): fc.Arbitrary<string> => fc.constantFrom(...CORPUS_STRINGS);

/** A lone or mis-ordered surrogate somewhere in a string (no exact UTF-8 form). */
export const loneSurrogateString = (): fc.Arbitrary<string> =>
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff', '\udc00\ud800'), fc.string({ maxLength: 8 })).map(([a, s, b]) => a + s + b);

/** (2) + (3): corpus strings, arbitrary Unicode (all planes), lone surrogates, control characters, long runs. */
export function hostileString(maxLength = 80): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: corpusString() },
    { weight: 2, arbitrary: fc.string({ maxLength }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength }) },
    { weight: 1, arbitrary: loneSurrogateString() },
    { weight: 1, arbitrary: fc.stringMatching(/^[\x00-\x1f\x7f-\x9f]{1,4}$/) },
    { weight: 1, arbitrary: fc.tuple(corpusString(), fc.string({ maxLength: 16 })).map(([a, b]) => a + b) },
  );
}

/** `valid` with a corpus or random fragment spliced in at a random place. */
export function spliced(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.nat(), hostileString(24)).map(([v, at, frag]) => {
    const i = v.length === 0 ? 0 : at % (v.length + 1);
    return v.slice(0, i) + frag + v.slice(i);
  });
}

/** Small edits of a valid string: drop, duplicate, replace or flip one character, truncate. */
export function mutatedString(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.nat(), fc.integer({ min: 0, max: 5 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })).map(([v, at, op, c]) => {
    if (v.length === 0) return c;
    const i = at % v.length;
    switch (op) {
      case 0:
        return v.slice(0, i) + v.slice(i + 1);
      case 1:
        return v.slice(0, i + 1) + v.slice(i);
      case 2:
        return v.slice(0, i) + c + v.slice(i + 1);
      case 3:
        return v.slice(0, i) + String.fromCharCode(v.charCodeAt(i) ^ (1 << (at % 7))) + v.slice(i + 1);
      case 4:
        return v.slice(0, i);
      default:
        return v + v.slice(i);
    }
  });
}

/** Any JSON value a peer could send (parsed), including the hostile shapes. */
export function hostileJsonValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 2, arbitrary: hostileString(40) },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -0, 1, -1, 1.5, Infinity, -Infinity, NaN, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 4294967296, [], {}, [null], ['x'], { x: 1 }) },
    { weight: 1, arbitrary: fc.constantFrom(...JSON_TRAPS.filter((s) => isJson(s) && s.length < 200)).map((s) => JSON.parse(s) as unknown) },
  );
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

/** Keys that attack object handling when they arrive as own properties (JSON.parse makes them so). */
export const HOSTILE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', 'a.b', '\x00', '\ud800'];

/**
 * (1): a valid object with one field mutated — deleted, set to a hostile
 * value, or joined by an unknown/hostile key — or two such mutations.
 * Built through JSON so `__proto__` is an own key, as a parser would make it.
 */
export function mutatedObject<T extends Record<string, unknown>>(valid: fc.Arbitrary<T>, fieldValue: (key: string) => fc.Arbitrary<unknown> = () => hostileJsonValue()): fc.Arbitrary<Record<string, unknown>> {
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), seed: fc.nat() }),
    fc.record({ kind: fc.constant('add' as const), key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 })), value: hostileJsonValue() }),
  );
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 2 }), fc.nat()).chain(([obj, muts]) => {
    const keys = Object.keys(obj);
    const sets = muts.map((m) => (m.kind === 'set' && keys.length ? fieldValue(keys[m.pick % keys.length]!) : fc.constant(undefined)));
    return fc.tuple(...sets).map((values) => {
      const out = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
      muts.forEach((m, i) => {
        if (m.kind === 'delete' && keys.length) delete out[keys[m.pick % keys.length]!];
        else if (m.kind === 'set' && keys.length) out[keys[m.pick % keys.length]!] = values[i];
        else if (m.kind === 'add') Object.defineProperty(out, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      });
      return out;
    });
  });
}

/**
 * JSON text of `value`, where strings of the form RAW(<text>) are written as
 * bare <text>: how a test sends `1e309` or `-0` exactly as spelled.
 */
export function rawJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"RAW\(([^"]*)\)"/g, '$1');
}

export const rawNumber = (): fc.Arbitrary<string> => fc.constantFrom(...RAW_NUMBERS).map((n) => `RAW(${n})`);

/** (3): any bytes, with some biased towards the start of valid text. */
export function hostileBytes(maxLength = 256): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength });
}
