/**
 * The shipped templates (firmware-overlay/etc/camera-agent/ap/) rendered by
 * the agent and checked by the real programs (Debian 12: hostapd 2.10,
 * dnsmasq 2.90):
 *
 * - dnsmasq: `dnsmasq --test --conf-file=<file>` (its syntax check), and the
 *   rendered file actually served in a network namespace pair made here:
 *   a DHCPDISCOVER from the "phone" side gets an offer in .10–.50, with a
 *   router and a DNS server only in portal mode, and the wildcard DNS
 *   answers every name with 192.168.4.1 only in portal mode.
 * - hostapd has no syntax-check mode (`-t` adds timestamps; `hostapd -h`
 *   lists no test flag). It reads and checks the whole file
 *   (hostapd_config_read + hostapd_config_check: every "Line N: …" error,
 *   then "N errors found in configuration file") before it touches the
 *   driver. So each file is run as `hostapd -dd <file>` inside a fresh
 *   network namespace — no Wi-Fi device, no nl80211 there, nothing can
 *   start — and passes when hostapd got past the parser: it printed
 *   "Configuration file: <file>", no "Line N:" and no "errors found", and
 *   failed only at driver initialisation. A deliberately broken file shows
 *   the check catches parser errors.
 *
 * It also shows why the renderer validates: hostapd's parser accepts
 * channel=99 (only the driver setup would refuse it) and a second `wpa=0`
 * line (an open AP), so both must be stopped before a file is written.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { softApConfig, type SoftApConfig } from '../../../src/network/soft-ap.js';
import { TEMPLATE_FILES, dnsmasqValues, hostapdValues, nmDnsmasqValues, renderTemplate } from '../../../src/network/soft-ap-template.js';
import { interfaceWithAddress, loopbackNamespace, vethPair, type TestNamespace } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
const TEMPLATES = fileURLToPath(new URL('../../../firmware-overlay/etc/camera-agent/ap/', import.meta.url));
const template = (name: keyof typeof TEMPLATE_FILES) => readFileSync(join(TEMPLATES, TEMPLATE_FILES[name]), 'utf8');
const HOSTAPD = '/usr/sbin/hostapd';
const DNSMASQ = '/usr/sbin/dnsmasq';
const root = process.getuid?.() === 0;
const noHostapd = !existsSync(HOSTAPD) && 'hostapd is not installed';
const noDnsmasq = !existsSync(DNSMASQ) && 'dnsmasq is not installed';
const noNetns = !root && 'network namespaces need root';

function config(extra: Partial<SoftApConfig> = {}): SoftApConfig {
  return { ...softApConfig({ ifname: 'ap0', model: 'CAM100', serial: 'AC10022345677890', passphrase: 'K7QM2XH9PZ4D', countryCode: 'DE' }), ...extra };
}

/** Configs that must all pass: both modes, no country, the awkward passphrases, every channel, one client. */
const VARIANTS: Array<[string, Partial<SoftApConfig>]> = [
  ['app mode, DE', {}],
  ['portal mode', { captiveDns: true }],
  ['no country code, no isolation, channel 1', { countryCode: null, clientIsolation: false, channel: 1 }],
  ['channel 11, one client', { channel: 11, maxClients: 1, countryCode: 'US' }],
  ['passphrase with \\ # = quotes and edge spaces', { passphrase: ' a\\b#c=d"e\'f ' }],
  ['63-character passphrase', { passphrase: '~'.repeat(63) }],
  ['8-character passphrase', { passphrase: '12345678' }],
  ['32-byte SSID', { ssid: 'A'.repeat(27) + '-7890' }],
];

// ---- dnsmasq --------------------------------------------------------------------

async function dnsmasqTest(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(DNSMASQ, ['--test', `--conf-file=${file}`]);
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

t.test('dnsmasq --test accepts every rendered dnsmasq.conf and NM drop-in', { skip: noDnsmasq }, async (t) => {
  const dir = await tempDir(t);
  for (const [name, extra] of VARIANTS) {
    const file = join(dir, 'dnsmasq.conf');
    await writeFile(file, renderTemplate(template('dnsmasq'), dnsmasqValues(config(extra), { leaseFile: join(dir, 'dnsmasq.leases') })));
    t.same(await dnsmasqTest(file), { code: 0, output: 'dnsmasq: syntax check OK.\n' }, name);
    const dropIn = join(dir, 'nm.conf');
    await writeFile(dropIn, renderTemplate(template('nmDnsmasq'), nmDnsmasqValues(config(extra))));
    t.same(await dnsmasqTest(dropIn), { code: 0, output: 'dnsmasq: syntax check OK.\n' }, `${name} (NM drop-in)`);
  }
  // The check has teeth: a bad directive fails it.
  const bad = join(dir, 'bad.conf');
  await writeFile(bad, 'interface=ap0\ndhcp-range=192.168.4.10\nno-such-option\n');
  t.match(await dnsmasqTest(bad), { code: 1, output: /bad (option|dhcp-range) at line/ });
});

// ---- hostapd --------------------------------------------------------------------

interface HostapdCheck {
  code: number | null;
  output: string;
  parsed: boolean;
  errors: string[];
}

/** `hostapd -dd <file>` in a namespace without Wi-Fi: did the file get through hostapd's parser and config check? */
async function hostapdParse(ns: TestNamespace, file: string): Promise<HostapdCheck> {
  const { code, stdout, stderr } = await ns.exec(HOSTAPD, ['-dd', file], { timeoutMs: 10_000 });
  const output = stdout + stderr;
  const errors = output.split('\n').filter((l) => /^Line \d+: |errors found in configuration file/.test(l));
  return { code, output, parsed: output.includes(`Configuration file: ${file}`) && errors.length === 0, errors };
}

const DRIVER_FAILURE = /nl80211: 'nl80211' generic netlink not found|Failed to initialize driver 'nl80211'|nl80211 driver initialization failed|Could not read interface ap0 flags/;

t.test('hostapd parses every rendered hostapd.conf and fails only at the driver', { skip: noHostapd || noNetns }, async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const dir = await tempDir(t);
  for (const [name, extra] of VARIANTS) {
    const file = join(dir, 'hostapd.conf');
    await writeFile(file, renderTemplate(template('hostapd'), hostapdValues(config(extra))), { mode: 0o600 });
    const check = await hostapdParse(ns, file);
    t.ok(check.parsed, `${name}: parsed without errors${check.errors.length ? ` (${check.errors.join('; ')})` : ''}`);
    t.equal(check.code, 1, `${name}: exits 1 without a radio`);
    t.match(check.output, DRIVER_FAILURE, `${name}: stopped at the driver, after the config`);
    const passphrase = config(extra).passphrase;
    t.notOk(check.output.includes(passphrase), `${name}: -dd without -K prints no key`);
  }
});

t.test('the hostapd check catches what hostapd\'s parser catches', { skip: noHostapd || noNetns }, async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const dir = await tempDir(t);
  const good = renderTemplate(template('hostapd'), hostapdValues(config()));
  const cases: Array<[string, string, RegExp]> = [
    ['short passphrase', good.replace('wpa_passphrase=K7QM2XH9PZ4D', 'wpa_passphrase=short'), /Line \d+: invalid WPA passphrase length 5/],
    ['unknown directive', `${good}no_such_item=1\n`, /Line \d+: unknown configuration item 'no_such_item'/],
    ['bad hex SSID', good.replace(/^ssid2=.*$/m, 'ssid2=zz'), /Line \d+: invalid SSID 'zz'/],
  ];
  for (const [name, text, error] of cases) {
    const file = join(dir, 'bad.conf');
    await writeFile(file, text);
    const check = await hostapdParse(ns, file);
    t.notOk(check.parsed, name);
    t.match(check.errors.join('\n'), error, name);
  }
});

t.test('what hostapd would not catch, the renderer does', { skip: noHostapd || noNetns }, async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const dir = await tempDir(t);
  const good = renderTemplate(template('hostapd'), hostapdValues(config()));

  // channel=99 on 2.4 GHz: hostapd's parser accepts it; only a radio would refuse.
  const file = join(dir, 'hostapd.conf');
  await writeFile(file, good.replace('channel=6', 'channel=99'));
  t.ok((await hostapdParse(ns, file)).parsed, 'hostapd parses channel=99');
  t.throws(() => hostapdValues(config({ channel: 99 as 1 })), { code: 'unsafe_value', message: /channel/ }, 'the renderer refuses it');

  // A passphrase with a line break, if it were written raw, adds a directive: wpa=0 is an open AP.
  const injected = 'goodpass1\nwpa=0';
  await writeFile(file, good.replace('wpa_passphrase=K7QM2XH9PZ4D', `wpa_passphrase=${injected}`));
  const check = await hostapdParse(ns, file);
  t.ok(check.parsed, 'hostapd takes the injected line as a directive of its own');
  t.throws(() => hostapdValues(config({ passphrase: injected })), { code: 'unsafe_value', message: /passphrase/ }, 'the renderer refuses it');
  t.throws(() => renderTemplate(template('hostapd'), { ...hostapdValues(config()), passphrase: injected }), { code: 'unsafe_value' }, 'and so does renderTemplate itself');
});

// ---- dnsmasq serving, in namespaces ---------------------------------------------

/** DHCPDISCOVER broadcast from the phone's interface; prints {offer:{yiaddr,router,dns,netmask}|null}. */
const DHCP_PROBE = `
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
const xid = randomBytes(4);
const p = Buffer.alloc(300);
p[0] = 1; p[1] = 1; p[2] = 6; xid.copy(p, 4); p.writeUInt16BE(0x8000, 10);
Buffer.from([2, 0, 0, 0xaa, 0xbb, 0xcc]).copy(p, 28);
p.writeUInt32BE(0x63825363, 236);
Buffer.from([53, 1, 1, 55, 3, 1, 3, 6, 255]).copy(p, 240);
const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
const timer = setTimeout(() => { console.log(JSON.stringify({ offer: null })); process.exit(0); }, 5000);
s.on('message', (m) => {
  if (m[0] !== 2 || !m.subarray(4, 8).equals(xid)) return;
  const opts = {};
  for (let i = 240; i < m.length && m[i] !== 255; ) {
    if (m[i] === 0) { i++; continue; }
    opts[m[i]] = [...m.subarray(i + 2, i + 2 + m[i + 1])]; i += 2 + m[i + 1];
  }
  const ip = (a) => (a ? a.join('.') : null);
  console.log(JSON.stringify({ offer: { yiaddr: [...m.subarray(16, 20)].join('.'), router: ip(opts[3]), dns: ip(opts[6]), netmask: ip(opts[1]) } }));
  clearTimeout(timer); s.close();
});
s.bind(68, () => { s.setBroadcast(true); s.send(p, 67, '255.255.255.255'); });
`;

/** An A query for argv[1] to 192.168.4.1:53; prints {answer:"a.b.c.d"|null, error}. */
const DNS_PROBE = `
import dgram from 'node:dgram';
const name = process.argv[1];
const q = [Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
for (const label of name.split('.')) q.push(Buffer.from([label.length]), Buffer.from(label));
q.push(Buffer.from([0, 0, 1, 0, 1]));
const s = dgram.createSocket('udp4');
const timer = setTimeout(() => { console.log(JSON.stringify({ answer: null, error: 'timeout' })); process.exit(0); }, 3000);
s.on('error', (e) => { clearTimeout(timer); console.log(JSON.stringify({ answer: null, error: e.code })); process.exit(0); });
s.on('message', (m) => {
  clearTimeout(timer);
  const answers = m.readUInt16BE(6);
  console.log(JSON.stringify({ answer: answers > 0 ? [...m.subarray(m.length - 4)].join('.') : null, error: null, rcode: m[3] & 15 }));
  s.close();
});
s.connect(53, '192.168.4.1', () => s.send(Buffer.concat(q)));
`;

interface Served {
  dhcp(): Promise<{ offer: { yiaddr: string; router: string | null; dns: string | null; netmask: string } | null }>;
  dns(name: string): Promise<{ answer: string | null; error: string | null }>;
}

/** A cam/phone namespace pair; the cam's end carries 192.168.4.1/24 and runs dnsmasq with `args`. */
async function serve(t: Test, args: (camIf: string) => Promise<string[]>): Promise<Served> {
  const pair = await vethPair();
  t.teardown(() => pair.delete());
  const camIf = await interfaceWithAddress(pair.cam, pair.camAddress);
  const phoneIf = await interfaceWithAddress(pair.phone, pair.phoneAddress);
  await run('ip', ['-n', pair.cam.name, 'addr', 'add', '192.168.4.1/24', 'dev', camIf]);
  // The phone has no address yet: DHCP broadcasts need a route out of its interface.
  await run('ip', ['-n', pair.phone.name, 'route', 'add', '255.255.255.255/32', 'dev', phoneIf]);
  const child = pair.cam.spawn(DNSMASQ, await args(camIf), { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => void child.kill('SIGTERM'));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dnsmasq did not start within 5 s')), 5_000);
    const lines: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      if (/started, version/.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dnsmasq exited with ${code}: ${lines.join(' | ')}`));
    });
  });
  let addressed = false;
  const node = async (script: string, arg: string) => {
    const { stdout, stderr } = await pair.phone.exec(process.execPath, ['--input-type=module', '-e', script, arg], { env: { PATH: process.env.PATH } });
    if (!stdout.trim()) throw new Error(`probe printed nothing: ${stderr}`);
    return JSON.parse(stdout);
  };
  return {
    dhcp: () => node(DHCP_PROBE, phoneIf),
    dns: async (name) => {
      if (!addressed) {
        // Outside the DHCP range, as a phone would have after its lease.
        await run('ip', ['-n', pair.phone.name, 'addr', 'add', '192.168.4.99/24', 'dev', phoneIf]);
        addressed = true;
      }
      return node(DNS_PROBE, name);
    },
  };
}

async function renderedDnsmasq(t: Test, extra: Partial<SoftApConfig>, ifname: string): Promise<string> {
  const dir = await tempDir(t);
  const file = join(dir, 'dnsmasq.conf');
  await writeFile(file, renderTemplate(template('dnsmasq'), dnsmasqValues(config({ ...extra, ifname }), { leaseFile: join(dir, 'dnsmasq.leases') })), { mode: 0o600 });
  return file;
}

t.test('dnsmasq serving the app-mode file: an address in .10-.50, no router, no DNS', { skip: noDnsmasq || noNetns }, async (t) => {
  const served = await serve(t, async (camIf) => ['--keep-in-foreground', `--conf-file=${await renderedDnsmasq(t, {}, camIf)}`]);
  const { offer } = await served.dhcp();
  t.ok(offer, 'an offer came');
  const last = Number(offer!.yiaddr.split('.')[3]);
  t.ok(offer!.yiaddr.startsWith('192.168.4.') && last >= 10 && last <= 50, `offered ${offer!.yiaddr}`);
  t.equal(offer!.netmask, '255.255.255.0');
  t.equal(offer!.router, null, 'no router: the phone keeps mobile data for the Internet');
  t.equal(offer!.dns, null, 'no DNS server');
  t.match(await served.dns('connectivitycheck.gstatic.com'), { answer: null }, 'port=0: nothing answers DNS');
});

t.test('dnsmasq serving the portal-mode file: router, DNS, and every name is the camera', { skip: noDnsmasq || noNetns }, async (t) => {
  const served = await serve(t, async (camIf) => ['--keep-in-foreground', `--conf-file=${await renderedDnsmasq(t, { captiveDns: true }, camIf)}`]);
  const { offer } = await served.dhcp();
  t.match(offer, { router: '192.168.4.1', dns: '192.168.4.1', netmask: '255.255.255.0' });
  for (const name of ['connectivitycheck.gstatic.com', 'captive.apple.com', 'www.msftconnecttest.com', 'evil.example']) {
    t.match(await served.dns(name), { answer: '192.168.4.1', error: null }, name);
  }
});

/**
 * NetworkManager's own dnsmasq for a shared connection, with the options
 * NM 1.42.4 passes (read from the option strings in Debian 12's
 * NetworkManager binary: --conf-file=/dev/null, --bind-interfaces,
 * --dhcp-option=option:router,<addr>, --dhcp-option=option:dns-server,…, --conf-dir=…/dnsmasq-shared.d …;
 * reconstructed, not captured from a running NM) plus our drop-in.
 */
async function nmLikeArgs(t: Test, camIf: string, extra: Partial<SoftApConfig>): Promise<string[]> {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'camera-agent-ap.conf'), renderTemplate(template('nmDnsmasq'), nmDnsmasqValues(config({ ...extra, ifname: camIf }))));
  return [
    '--conf-file=/dev/null', '--no-hosts', '--keep-in-foreground', '--bind-interfaces', '--except-interface=lo', '--clear-on-reload', '--strict-order',
    '--listen-address=192.168.4.1', '--dhcp-range=192.168.4.10,192.168.4.254,60m', '--dhcp-option=option:router,192.168.4.1', '--dhcp-option=option:dns-server,192.168.4.1',
    `--dhcp-leasefile=${join(dir, 'nm.leases')}`, '--pid-file=', '--no-resolv', '--log-facility=-', `--conf-dir=${dir}`,
  ];
}

t.test('the NM drop-in over NM-style dnsmasq options: app mode drops router and DNS, portal mode answers every name', { skip: noDnsmasq || noNetns }, async (t) => {
  const app = await serve(t, (camIf) => nmLikeArgs(t, camIf, {}));
  t.match((await app.dhcp()).offer, { router: null, dns: null }, 'the drop-in overrides the router and DNS server NM passes');
  const portal = await serve(t, (camIf) => nmLikeArgs(t, camIf, { captiveDns: true }));
  t.match((await portal.dhcp()).offer, { router: '192.168.4.1' });
  t.match(await portal.dns('captive.apple.com'), { answer: '192.168.4.1' });
});
