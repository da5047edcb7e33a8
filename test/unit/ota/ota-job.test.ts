import t from 'tap';
import { checkJson } from '../../../src/cloud/json-check.js';
import { OTA_JOB_ARGS_SCHEMA, canonicalManifest, jobProblem, parseOtaJob } from '../../../src/ota/ota-job.js';

const NOW = 1_700_000_000_000;
const CTX = { now: NOW, maxImageBytes: 64 * 1024 * 1024 };
const SHA = 'a'.repeat(64);

function args(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobId: 'job-42',
    version: '1.4.0',
    size: 10_000_000,
    sha256: SHA,
    compatible: ['CAM-100', 'CAM-100W'],
    url: 'https://images.example.com/fw/1.4.0.bin?X-Amz-Signature=abc',
    signature: 'c2lnbmF0dXJl',
    deadline: NOW + 3_600_000,
    ...over,
  };
}

function without(key: string): Record<string, unknown> {
  const a = args();
  delete a[key];
  return a;
}

t.test('a valid job is accepted, downgrade defaults to false and optional fields are kept only when given', async (t) => {
  const r = parseOtaJob(args(), CTX);
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.job, { ...args(), downgrade: false });
  t.notOk('keyId' in r.job);
  t.notOk('minFreeBytes' in r.job);
  const full = parseOtaJob(args({ downgrade: true, keyId: '0123456789abcdef', minFreeBytes: 0, minBatteryPercent: 30 }), CTX);
  t.ok(full.ok);
  if (full.ok) {
    t.equal(full.job.downgrade, true);
    t.equal(full.job.keyId, '0123456789abcdef');
    t.equal(full.job.minFreeBytes, 0);
    t.equal(full.job.minBatteryPercent, 30);
  }
});

t.test('the parsed job does not share the compatible array with the input', async (t) => {
  const a = args();
  const r = parseOtaJob(a, CTX);
  (a.compatible as string[]).push('X');
  t.ok(r.ok && r.job.compatible.length === 2);
});

t.test('schema problems are invalid_job and the message names the field', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'x', '(root)'],
    ['null', null, '(root)'],
    ['an array', [], '(root)'],
    ['missing jobId', without('jobId'), 'jobId'],
    ['jobId with a slash', args({ jobId: 'a/b' }), 'jobId'],
    ['jobId too long', args({ jobId: 'j'.repeat(65) }), 'jobId'],
    ['missing version', without('version'), 'version'],
    ['empty version', args({ version: '' }), 'version'],
    ['version with a space', args({ version: '1.2 beta' }), 'version'],
    ['version 65 chars', args({ version: '1'.repeat(65) }), 'version'],
    ['version of allowed characters but not a version', args({ version: '1..2' }), 'version'],
    ['size 0', args({ size: 0 }), 'size'],
    ['size fractional', args({ size: 1.5 }), 'size'],
    ['size a string', args({ size: '10' }), 'size'],
    ['size beyond 2^53', args({ size: 2 ** 60 }), 'size'],
    ['sha256 upper-case', args({ sha256: 'A'.repeat(64) }), 'sha256'],
    ['sha256 short', args({ sha256: 'a'.repeat(63) }), 'sha256'],
    ['compatible empty', args({ compatible: [] }), 'compatible'],
    ['compatible 17 models', args({ compatible: Array.from({ length: 17 }, (_, i) => `M${i}`) }), 'compatible'],
    ['compatible with an empty model', args({ compatible: [''] }), 'compatible[0]'],
    ['compatible with a padded model', args({ compatible: ['CAM-1 '] }), 'compatible[0]'],
    ['compatible with a non-ASCII model', args({ compatible: ['CAMÉRA'] }), 'compatible[0]'],
    ['compatible with duplicates', args({ compatible: ['A', 'A'] }), 'compatible'],
    ['compatible a string', args({ compatible: 'CAM-100' }), 'compatible'],
    ['downgrade a string', args({ downgrade: 'yes' }), 'downgrade'],
    ['url too long', args({ url: `https://x.example/${'a'.repeat(4096)}` }), 'url'],
    ['url not parseable', args({ url: 'https://exa mple.com/x' }), 'url'],
    ['signature not base64', args({ signature: 'not base64!' }), 'signature'],
    ['signature base64url', args({ signature: 'ab-_' }), 'signature'],
    ['signature without padding', args({ signature: 'YWJjZA' }), 'signature'],
    ['signature empty', args({ signature: '' }), 'signature'],
    ['signature too long', args({ signature: 'A'.repeat(516) }), 'signature'],
    ['keyId upper-case', args({ keyId: '0123456789ABCDEF' }), 'keyId'],
    ['keyId short', args({ keyId: '0123' }), 'keyId'],
    ['deadline missing', without('deadline'), 'deadline'],
    ['deadline fractional', args({ deadline: NOW + 0.5 }), 'deadline'],
    ['minFreeBytes negative', args({ minFreeBytes: -1 }), 'minFreeBytes'],
    ['minBatteryPercent 101', args({ minBatteryPercent: 101 }), 'minBatteryPercent'],
    ['an unknown field', args({ priority: 1 }), 'priority'],
  ];
  for (const [name, value, field] of cases) {
    const r = parseOtaJob(value, CTX);
    t.notOk(r.ok, name);
    if (r.ok) continue;
    t.equal(r.code, 'invalid_job', `${name}: code`);
    t.ok(r.message.startsWith(`${field}:`), `${name}: message names ${field} (${r.message})`);
  }
});

t.test('the URL must be https and carry no credentials', async (t) => {
  for (const url of ['http://images.example.com/fw.bin', 'ftp://images.example.com/fw.bin', 'HTTPS://images.example.com/fw.bin', 'file:///tmp/fw.bin', '//images.example.com/fw.bin']) {
    const r = parseOtaJob(args({ url }), CTX);
    t.same(r.ok ? null : r.code, 'url_not_https', url);
  }
  for (const url of ['https://alice:s3cr3t@images.example.com/fw.bin', 'https://alice@images.example.com/fw.bin', 'https://:s3cr3t@images.example.com/fw.bin']) {
    const r = parseOtaJob(args({ url }), CTX);
    t.same(r.ok ? null : r.code, 'url_has_credentials', url);
    if (!r.ok) t.notMatch(r.message, /alice|s3cr3t/, 'the message does not echo the credentials');
  }
  t.ok(parseOtaJob(args({ url: 'https://images.example.com/a@b.bin?sig=x@y' }), CTX).ok, 'an @ in the path or query is not userinfo');
});

t.test('a job past its deadline is job_expired; one bigger than the device takes is image_too_large', async (t) => {
  const expired = parseOtaJob(args({ deadline: NOW }), CTX);
  t.same(expired.ok ? null : expired.code, 'job_expired', 'deadline == now is expired');
  t.ok(parseOtaJob(args({ deadline: NOW + 1 }), CTX).ok);
  const big = parseOtaJob(args({ size: CTX.maxImageBytes + 1 }), CTX);
  t.same(big.ok ? null : big.code, 'image_too_large');
  if (!big.ok) t.match(big.message, /^size:/);
  t.ok(parseOtaJob(args({ size: CTX.maxImageBytes }), CTX).ok, 'exactly the maximum fits');
});

t.test('a malformed job is reported as malformed even when it is also stale or too big', async (t) => {
  const r = parseOtaJob(args({ deadline: 0, size: 2 ** 40, sha256: 'x' }), CTX);
  t.same(r.ok ? null : r.code, 'invalid_job');
  const u = parseOtaJob(args({ deadline: 0, url: 'http://x.example/' }), CTX);
  t.same(u.ok ? null : u.code, 'url_not_https');
});

t.test('parseOtaJob never throws', async (t) => {
  const weird: unknown[] = [undefined, 0, true, Symbol('x'), () => 1, new Map(), Object.create(null), { __proto__: { jobId: 'x' } }, args({ compatible: [1, 2] }), args({ url: 42 })];
  for (const w of weird) t.doesNotThrow(() => parseOtaJob(w, CTX));
});

t.test('the schema itself agrees with the parser on valid input and carries descriptions for the docs', async (t) => {
  t.same(checkJson(OTA_JOB_ARGS_SCHEMA, args({ downgrade: true, keyId: '0123456789abcdef', minFreeBytes: 1, minBatteryPercent: 0 })), []);
  t.ok(OTA_JOB_ARGS_SCHEMA.description.length > 20);
  for (const [name, prop] of Object.entries(OTA_JOB_ARGS_SCHEMA.properties)) t.ok(typeof prop.description === 'string' && prop.description.length > 5, `${name} is described`);
  t.equal(jobProblem(args()), null);
});

t.test('the canonical manifest is fixed-order, sorted, whitespace-free JSON with the type field', async (t) => {
  const bytes = canonicalManifest({ version: '1.4.0', size: 10_000_000, sha256: SHA, compatible: ['CAM-200', 'CAM-100W', 'CAM-100'], downgrade: false });
  const text = new TextDecoder().decode(bytes);
  t.equal(text, `{"compatible":["CAM-100","CAM-100W","CAM-200"],"downgrade":false,"sha256":"${SHA}","size":10000000,"type":"camera-agent-firmware","version":"1.4.0"}`);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  t.same(Object.keys(parsed), [...Object.keys(parsed)].sort(), 'keys are in sorted order (RFC 8785)');
});

t.test('the manifest does not depend on the order of compatible nor on fields outside it', async (t) => {
  const a = canonicalManifest({ version: '2.0.0', size: 5, sha256: SHA, compatible: ['b', 'a'], downgrade: true });
  const b = canonicalManifest({ ...{ version: '2.0.0', size: 5, sha256: SHA, compatible: ['a', 'b'], downgrade: true }, ...{ url: 'https://x', jobId: 'j' } } as never);
  t.same(Buffer.from(a), Buffer.from(b));
});

t.test('every signed field changes the manifest', async (t) => {
  const base = { version: '2.0.0', size: 5, sha256: SHA, compatible: ['a'], downgrade: false };
  const ref = Buffer.from(canonicalManifest(base)).toString();
  for (const change of [{ version: '2.0.1' }, { size: 6 }, { sha256: 'b'.repeat(64) }, { compatible: ['a', 'b'] }, { downgrade: true }]) {
    t.not(Buffer.from(canonicalManifest({ ...base, ...change })).toString(), ref, JSON.stringify(change));
  }
});

t.test('canonicalManifest refuses values a valid job cannot have', async (t) => {
  const base = { version: '2.0.0', size: 5, sha256: SHA, compatible: ['a'], downgrade: false };
  t.throws(() => canonicalManifest({ ...base, size: 0 }), RangeError);
  t.throws(() => canonicalManifest({ ...base, size: 1.5 }), RangeError);
  t.throws(() => canonicalManifest({ ...base, size: Number.NaN }), RangeError);
  t.throws(() => canonicalManifest({ ...base, version: 'é' }), RangeError);
  t.throws(() => canonicalManifest({ ...base, compatible: ['a\nb'] }), RangeError);
  t.throws(() => canonicalManifest({ ...base, downgrade: 'false' as unknown as boolean }), RangeError);
  t.doesNotThrow(() => canonicalManifest({ ...base, compatible: ['say "hi" \\'] }), 'quotes and backslashes are escaped, not refused');
  t.match(new TextDecoder().decode(canonicalManifest({ ...base, compatible: ['say "hi" \\'] })), '["say \\"hi\\" \\\\"]');
});
