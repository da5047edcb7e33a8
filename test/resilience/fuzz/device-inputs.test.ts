import fc from 'fast-check';
import t from 'tap';
import { settingAt, settings } from '../../../src/config/schema.js';
import { setPath } from '../../../src/config/paths.js';
import { validateLayer } from '../../../src/config/validate.js';
import { joinFailureFor, nmcliReason } from '../../../src/network/nmcli-errors.js';
import { parseDevices, parseRadio } from '../../../src/network/nmcli-status.js';
import { escapeTerseValue, splitTerseLine } from '../../../src/network/nmcli-terse.js';
import { parseWifiList } from '../../../src/network/nmcli-wifi-list.js';
import type { AccessPoint } from '../../../src/network/wifi-scan.js';
import { canonicalManifest, parseOtaJob } from '../../../src/ota/ota-job.js';
import { compareVersions, parseVersion } from '../../../src/ota/version.js';
import { encodeTalkFrame, parseTalkFrame, type TalkFrame } from '../../../src/talkback/talk-frame.js';
import { ACCEPTED, expect, fuzzTarget, rejected } from '../lib/fuzz-harness.js';
import { hostileBytes, hostileJsonValue, hostileString, INJECTION, mutatedObject, mutatedString, NAME_TRAPS, rawJson, rawNumber } from '../lib/fuzz-corpus.js';
import { CONFIG_LAYER_CODES, OTA_JOB_CODES, TALK_FRAME_CODES } from '../lib/fuzz-codes.js';

/**
 * Fuzzing the remaining parsers that take outside input: talkback wire
 * frames (relay, local WebSocket, MQTT), the cloud's OTA job document and
 * firmware version strings, runtime configuration layers (API PATCH,
 * config/desired, files on the data partition), and nmcli's terse output
 * (a program's output is outside input too: SSIDs in it are chosen by
 * whoever runs an access point nearby).
 */
const SHORT = 500;

const audioFrame = fc.record({
  type: fc.constant('audio' as const),
  codec: fc.constantFrom('pcmu' as const, 'pcma' as const, 'opus' as const, 'aac' as const),
  seq: fc.nat({ max: 2 ** 32 - 1 }),
  timestamp: fc.nat({ max: 2 ** 32 - 1 }),
  marker: fc.boolean(),
  payload: fc.uint8Array({ minLength: 1, maxLength: 1500 }),
});
const controlFrame = fc.record({ type: fc.constantFrom('keepalive' as const, 'end' as const), seq: fc.nat({ max: 2 ** 32 - 1 }), timestamp: fc.nat({ max: 2 ** 32 - 1 }) });

t.test('talkback wire frames: valid frames round-trip, any other bytes refused with a frame code', async (t) => {
  const frame: fc.Arbitrary<TalkFrame> = fc.oneof(audioFrame, controlFrame);
  const input = fc.oneof(
    frame.map((f) => ({ bytes: encodeTalkFrame(f), valid: f as TalkFrame | undefined })),
    fc.tuple(frame, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([f, at, x]) => {
      const b = encodeTalkFrame(f);
      const i = at % Math.min(b.length, 12);
      b[i] = b[i]! ^ x;
      return { bytes: b, valid: undefined };
    }),
    fc.tuple(frame, fc.nat()).map(([f, cut]) => ({ bytes: encodeTalkFrame(f).subarray(0, cut % 13), valid: undefined })),
    fc.tuple(controlFrame, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([f, extra]) => ({ bytes: Uint8Array.from([...encodeTalkFrame(f), ...extra]), valid: undefined })),
    fc.constant({ bytes: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...new Uint8Array(1501)]), valid: undefined }),
    hostileBytes(64).map((bytes) => ({ bytes, valid: undefined })),
  );
  await fuzzTarget(
    t,
    'talk-frame',
    input,
    ({ bytes, valid }) => {
      // A transport hands over views into larger buffers: parse at an offset too.
      const padded = new Uint8Array(bytes.length + 3);
      padded.set(bytes, 3);
      const r = parseTalkFrame(padded.subarray(3));
      if (valid) {
        expect(r.ok, `a valid frame was refused: ${r.ok ? '' : r.code}`);
        const back = encodeTalkFrame(r.frame);
        expect(Buffer.from(back).equals(Buffer.from(bytes)), 'frame does not re-encode to the same bytes');
      }
      return r.ok ? ACCEPTED : rejected(r.code);
    },
    { shortRuns: SHORT, codes: TALK_FRAME_CODES },
  );
});

const NOW = Date.UTC(2026, 5, 1);
const validJob = fc.record(
  {
    jobId: fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/),
    version: fc.tuple(fc.array(fc.nat({ max: 9999 }), { minLength: 1, maxLength: 4 }), fc.option(fc.stringMatching(/^[0-9A-Za-z-]{1,8}(\.[0-9A-Za-z-]{1,8}){0,2}$/))).map(([r, pre]) => `${r.join('.')}${pre ? `-${pre}` : ''}`).filter((v) => v.length <= 64 && parseVersion(v) !== null),
    size: fc.integer({ min: 1, max: 64 * 1024 * 1024 }),
    sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    compatible: fc.uniqueArray(fc.stringMatching(/^[A-Z0-9][A-Z0-9-]{0,14}[A-Z0-9]$/), { minLength: 1, maxLength: 4 }),
    downgrade: fc.boolean(),
    url: fc.webUrl({ validSchemes: ['https'], withQueryParameters: true }).filter((u) => u.length <= 4096 && !new URL(u).username && !new URL(u).password),
    signature: fc.base64String({ minLength: 4, maxLength: 128 }),
    deadline: fc.integer({ min: NOW + 1, max: NOW + 86_400_000 }),
    minBatteryPercent: fc.integer({ min: 0, max: 100 }),
  },
  { requiredKeys: ['jobId', 'version', 'size', 'sha256', 'compatible', 'url', 'signature', 'deadline'] },
);

t.test('OTA job documents: valid jobs accepted with a signable manifest, others refused with a job code', async (t) => {
  const hostileUrl = fc.constantFrom('http://x/a', 'file:///etc/shadow', 'https://169.254.169.254/latest/meta-data/', 'https://evil.example@bucket.s3.amazonaws.com/', 'https://u:p@x/a', 'HTTPS://x/a', 'https://', 'https://bucket.s3.amazonaws.com.evil.example/', 'https:// /', 'https://[::1/');
  const input = fc.oneof(
    { weight: 2, arbitrary: validJob.map((job) => ({ job: job as unknown, valid: true })) },
    {
      weight: 4,
      arbitrary: mutatedObject(validJob, (k) => (k === 'url' ? fc.oneof(hostileUrl, hostileString()) : k === 'version' ? fc.oneof(mutatedString(fc.constant('1.2.3')), hostileString(), fc.constant('1.2.3+build')) : fc.oneof(hostileJsonValue(), rawNumber()))).map((job) => ({
        job: JSON.parse(rawJson(job).replace(/\b1e309\b/g, '1e308')) as unknown,
        valid: false,
      })),
    },
    { weight: 1, arbitrary: hostileJsonValue().map((job) => ({ job, valid: false })) },
  );
  await fuzzTarget(
    t,
    'ota-job',
    input,
    ({ job, valid }) => {
      const r = parseOtaJob(job, { now: NOW, maxImageBytes: 128 * 1024 * 1024 });
      if (valid) expect(r.ok, `a valid job was refused: ${r.ok ? '' : `${r.code} ${r.message}`}`);
      if (!r.ok) return rejected(r.code);
      // Everything parseOtaJob accepts can be turned into the signed bytes (canonicalManifest throws on anything else).
      const bytes = canonicalManifest(r.job);
      expect(JSON.parse(Buffer.from(bytes).toString('utf8')).version === r.job.version, 'manifest lost the version');
      const url = new URL(r.job.url);
      expect(url.protocol === 'https:' && url.username === '' && url.password === '', 'a non-HTTPS or credential URL accepted');
      return ACCEPTED;
    },
    { shortRuns: SHORT, codes: OTA_JOB_CODES },
  );
});

t.test('firmware versions: parsing never throws and compareVersions is a total order', async (t) => {
  const version = fc.oneof(
    fc.tuple(fc.array(fc.nat({ max: 30 }), { minLength: 1, maxLength: 4 }), fc.option(fc.array(fc.oneof(fc.nat({ max: 5 }).map(String), fc.constantFrom('rc', 'alpha', 'beta', 'a-b')), { minLength: 1, maxLength: 3 })), fc.option(fc.constantFrom('g1234', 'build.5'))).map(
      ([r, pre, build]) => `${r.join('.')}${pre ? `-${pre.join('.')}` : ''}${build ? `+${build}` : ''}`,
    ),
    mutatedString(fc.constant('1.10.0-rc.1+g1')),
    fc.constantFrom('', 'v1.2', '1..2', '1.2-', '9007199254740993.0', '1.' + '1'.repeat(70), '0'.repeat(64), '1.2.3-' + '.a'.repeat(30)),
    hostileString(70),
  );
  await fuzzTarget(
    t,
    'firmware-version',
    fc.tuple(version, version, version),
    ([a, b, c]) => {
      const ab = compareVersions(a, b);
      expect(ab === -compareVersions(b, a) || (ab === 0 && compareVersions(b, a) === 0), `antisymmetry broken for ${JSON.stringify([a, b])}`);
      expect(compareVersions(a, a) === 0, `${JSON.stringify(a)} is not equal to itself`);
      if (ab <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c) <= 0, `transitivity broken for ${JSON.stringify([a, b, c])}`);
      return parseVersion(a) === null ? rejected('not_a_version') : ACCEPTED;
    },
    { shortRuns: SHORT, codes: new Set(['not_a_version']) },
  );
});

const changeable = settings().filter(([, s]) => !s.bootOnly);
const validLayer = fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 5 }).map((picks) => {
  const layer: Record<string, unknown> = {};
  for (const [i, j] of picks) {
    const [path, s] = changeable[i % changeable.length]!;
    setPath(layer, path, structuredClone(Array.isArray(s.format) ? s.format[j % s.format.length] : s.default));
  }
  return layer;
});

t.test('runtime configuration layers: every field error coded, valid layers accepted, secrets never echoed', async (t) => {
  const input = fc.oneof(
    { weight: 2, arbitrary: validLayer.map((layer) => ({ layer: layer as unknown, valid: true })) },
    {
      weight: 4,
      arbitrary: fc.tuple(fc.nat(), fc.oneof(hostileJsonValue(), fc.constantFrom<unknown>(...INJECTION, ...NAME_TRAPS), rawNumber())).map(([i, value]) => {
        const layer: Record<string, unknown> = {};
        setPath(layer, settings()[i % settings().length]![0], value);
        return { layer: JSON.parse(rawJson(layer).replace(/\b1e309\b/g, '1e308')) as unknown, valid: false };
      }),
    },
    { weight: 2, arbitrary: mutatedObject(validLayer).map((layer) => ({ layer: layer as unknown, valid: false })) },
    { weight: 1, arbitrary: hostileJsonValue().map((layer) => ({ layer, valid: false })) },
  );
  await fuzzTarget(
    t,
    'config-layer',
    input,
    ({ layer, valid }) => {
      const errors = validateLayer(layer, { runtime: true });
      if (valid) expect(errors.length === 0, `a valid layer was refused: ${JSON.stringify(errors[0])}`);
      for (const e of errors) {
        expect(CONFIG_LAYER_CODES.has(e.code), `field code ${e.code} undocumented`);
        const setting = settingAt(e.path);
        if (setting?.sensitive && e.shown !== '""') {
          // Fully secret keys show "[redacted]"; URL keys (mask url-credentials) may show the URL, never its userinfo or query.
          if (setting.mask === 'url-credentials') expect(!/\/\/[^/?#@]*[^*/?#@][^/?#@]*@|\?(?!\*\*\*)/.test(e.shown), `URL credentials echoed for ${e.path}: ${e.shown}`);
          else expect(e.shown === '"[redacted]"', `a secret value echoed for ${e.path}: ${e.shown}`);
        }
        expect(e.shown.length <= 80, 'a shown value longer than 80 characters');
      }
      return errors.length ? rejected(errors[0]!.code) : ACCEPTED;
    },
    { shortRuns: SHORT, codes: CONFIG_LAYER_CODES },
  );
});

/** An SSID as a nearby AP can choose it (any bytes that decode as UTF-8); a leading newline is excluded, see the issue note. */
const ssid = fc.oneof(fc.string({ maxLength: 32 }), fc.constantFrom(':', '\\', 'a:b\\c', 'x\ny', '\\:', 'a\\', '::::', 'a\n\nb', 'x:y:z:w:v\nq'), hostileString(32)).filter((s) => !s.startsWith('\n'));
const ap = fc.record({
  ssid,
  bssid: fc.stringMatching(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/),
  signal: fc.integer({ min: 0, max: 100 }),
  channel: fc.integer({ min: 1, max: 196 }),
  security: fc.uniqueArray(fc.constantFrom('WPA1', 'WPA2', 'WPA3', 'WEP', '802.1X', 'OWE'), { maxLength: 3 }),
});

function terseList(aps: AccessPoint[]): string {
  return aps.map((a) => [a.ssid, a.bssid, String(a.signal), String(a.channel), a.security.join(' ')].map(escapeTerseValue).join(':')).join('\n') + '\n';
}

t.test('nmcli terse output: what nmcli prints for any SSID parses back to the same access points; garbage is counted, not thrown', async (t) => {
  const input = fc.oneof(
    { weight: 3, arbitrary: fc.array(ap, { maxLength: 6 }).map((aps) => ({ stdout: terseList(aps.map((a) => ({ ...a, hidden: a.ssid === '' }))), aps: aps as typeof aps | null })) },
    { weight: 2, arbitrary: mutatedString(fc.array(ap, { minLength: 1, maxLength: 4 }).map((aps) => terseList(aps.map((a) => ({ ...a, hidden: a.ssid === '' }))))).map((stdout) => ({ stdout, aps: null })) },
    { weight: 1, arbitrary: hostileString(300).map((stdout) => ({ stdout, aps: null })) },
    { weight: 1, arbitrary: hostileBytes(300).map((b) => ({ stdout: Buffer.from(b).toString('utf8'), aps: null })) },
  );
  await fuzzTarget(
    t,
    'nmcli-output',
    input,
    ({ stdout, aps }) => {
      const list = parseWifiList(stdout);
      if (aps) {
        expect(list.malformed === 0 && list.accessPoints.length === aps.length, `${aps.length} APs printed, ${list.accessPoints.length} parsed, ${list.malformed} malformed`);
        list.accessPoints.forEach((p, i) => expect(p.ssid === aps[i]!.ssid && p.bssid === aps[i]!.bssid && p.signal === aps[i]!.signal && p.security.join(' ') === aps[i]!.security.join(' '), `AP ${i} changed`));
      }
      for (const p of list.accessPoints) expect(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/.test(p.bssid) && p.signal >= 0 && p.signal <= 100, 'an AP with an impossible BSSID or signal');
      // The other nmcli answers the agent reads: never a throw, always a known value.
      const radio = parseRadio(stdout);
      expect(['enabled', 'disabled', 'missing', 'unknown'].includes(radio.hardware) && ['enabled', 'disabled', 'unknown'].includes(radio.software), 'radio state outside its set');
      for (const d of parseDevices(stdout)) expect(typeof d.device === 'string' && typeof d.state === 'string', 'device row without fields');
      const join = joinFailureFor(4, stdout);
      expect(['auth_failed', 'ap_not_found', 'dhcp_timeout', 'join_timeout', 'no_wifi_device', 'join_failed'].includes(join.reason), `join failure ${join.reason}`);
      expect(nmcliReason(stdout).length <= 300, 'nmcli reason not bounded');
      for (const line of stdout.split('\n').slice(0, 3)) {
        const fields = splitTerseLine(line);
        expect(fields.map(escapeTerseValue).join(':') === line || /\\[^:\\]|\\$/.test(line), 'a terse line does not re-escape to itself');
      }
      return list.malformed ? rejected('malformed_records') : ACCEPTED;
    },
    { shortRuns: SHORT, codes: new Set(['malformed_records']) },
  );
});
