/**
 * The soft-AP's pure parts: the SSID from model and serial, the config
 * rules, the template renderer (no value can add a directive), the files
 * the shipped templates render to, and the NetworkManager profile argv.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { AP_NETWORK, passphraseProblem, softApConfig, softApConfigProblems, softApSsid, type SoftApConfig } from '../../../src/network/soft-ap.js';
import { addArgs } from '../../../src/network/soft-ap-nm.js';
import { apStaConcurrent } from '../../../src/network/soft-ap-radio.js';
import { TEMPLATE_FILES, TemplateError, dnsmasqValues, hostapdValues, nmDnsmasqValues, renderTemplate } from '../../../src/network/soft-ap-template.js';

const TEMPLATES = fileURLToPath(new URL('../../../firmware-overlay/etc/camera-agent/ap/', import.meta.url));
const template = (name: keyof typeof TEMPLATE_FILES) => readFileSync(`${TEMPLATES}${TEMPLATE_FILES[name]}`, 'utf8');
const LEASES = '/run/camera-agent/soft-ap/dnsmasq.leases';

function config(extra: Partial<SoftApConfig> = {}): SoftApConfig {
  return { ...softApConfig({ ifname: 'wlan0', model: 'CAM100', serial: 'AC10022345677890', passphrase: 'K7QM2XH9PZ4D', countryCode: 'de' }), ...extra };
}

/** The directive names of a rendered file, in order. */
const keys = (text: string) => text.trimEnd().split('\n').map((l) => l.split('=')[0]);

t.test('SSID: model and the last four of the serial, at most 32 bytes', async (t) => {
  t.equal(softApSsid('CAM100', 'AC10022345677890'), 'CAM100-7890');
  t.equal(softApSsid('CAM 100 Pro', 'ac10022345677890'), 'CAM-100-Pro-7890', 'spaces become single hyphens; the suffix is upper case');
  t.equal(softApSsid('Kamera Küche', 'X1234'), 'Kamera-K-che-1234', 'non-ASCII is not kept');
  t.equal(softApSsid('  --  ', '7890'), 'CAM-7890', 'nothing usable in the model');
  t.equal(softApSsid('CAM100', ''), 'CAM100', 'no serial: the model alone');
  const long = softApSsid('A'.repeat(40), 'AC10022345677890');
  t.equal(long, `${'A'.repeat(27)}-7890`);
  t.equal(Buffer.byteLength(long), 32);
  t.equal(softApSsid(`${'A'.repeat(26)}-B`, 'S7890'), `${'A'.repeat(26)}-7890`, 'no doubled hyphen where the model was cut');
  t.equal(softApConfig({ ifname: 'wlan0', model: 'CAM100', serial: 'AC10022345677890', passphrase: 'x' }).ssid, 'CAM100-7890');
});

t.test('defaults: 192.168.4.1/24, DHCP .10-.50, 2 clients, isolation, channel 6, no captive DNS', async (t) => {
  const c = config();
  t.same(c.network, { address: '192.168.4.1', prefixLength: 24, netmask: '255.255.255.0', dhcpStart: '192.168.4.10', dhcpEnd: '192.168.4.50', leaseTime: '10m' });
  t.match(c, { maxClients: 2, clientIsolation: true, channel: 6, captiveDns: false, countryCode: 'DE' });
  t.same(softApConfigProblems(c), []);
});

t.test('passphrase: 8-63 printable ASCII characters (IEEE 802.11 J.4.1)', async (t) => {
  t.equal(passphraseProblem('12345678'), null);
  t.equal(passphraseProblem('x'.repeat(63)), null);
  t.equal(passphraseProblem(' a\\b#c=d"e\' '), null, 'backslash, quotes, #, = and spaces are data');
  t.match(passphraseProblem('1234567'), /8-63/);
  t.match(passphraseProblem('x'.repeat(64)), /8-63/);
  t.match(passphraseProblem('good-pass\nssid=evil'), /printable ASCII/);
  t.match(passphraseProblem('good-pass\rx'), /printable ASCII/);
  t.match(passphraseProblem('good\u0000pass'), /printable ASCII/);
  t.match(passphraseProblem('pässwörd1'), /printable ASCII/);
});

t.test('every bad field is named; the passphrase never is quoted', async (t) => {
  const problems = softApConfigProblems(
    config({ ifname: 'wlan0;reboot', ssid: 'a'.repeat(33), passphrase: 'secret\n', countryCode: 'DEU', channel: 13 as 1, maxClients: 0, network: { ...AP_NETWORK, dhcpStart: '192.168.4.1' } }),
  );
  t.same(problems.map((p) => p.field), ['ifname', 'ssid', 'passphrase', 'countryCode', 'channel', 'maxClients', 'network']);
  t.notOk(JSON.stringify(problems).includes('secret'));
  t.same(softApConfigProblems(config({ channel: 1 })), []);
  t.same(softApConfigProblems(config({ channel: 11, countryCode: null })), []);
  t.same(softApConfigProblems(config({ ssid: 'Café' })).map((p) => p.field), ['ssid'], 'the AP SSID stays ASCII');
  t.same(softApConfigProblems(config({ ssid: 'a\nb' })).map((p) => p.field), ['ssid']);
  for (const network of [
    { ...AP_NETWORK, address: '192.168.4.256' },
    { ...AP_NETWORK, dhcpEnd: '192.168.5.50' },
    { ...AP_NETWORK, netmask: '255.255.0.0' },
    { ...AP_NETWORK, dhcpStart: '192.168.4.60' },
    { ...AP_NETWORK, leaseTime: '10m\nport=53' },
  ]) {
    t.same(softApConfigProblems(config({ network })).map((p) => p.field), ['network'], JSON.stringify(network));
  }
});

t.test('renderer: values, line flags, comments; unknown names are errors, not blanks', async (t) => {
  const text = '# comment {{nothing}}\na={{x}}\n{{?on}}b=1\n{{!on}}c=1\n\n{{?off}}d={{x}}\n';
  t.equal(renderTemplate(text, { x: 'v', on: true, off: false }), 'a=v\nb=1\n');
  t.throws(() => renderTemplate('a={{y}}\n', { x: 'v' }), new TemplateError('unknown_placeholder', 'unknown placeholder y'));
  t.throws(() => renderTemplate('{{?y}}a=1\n', {}), { code: 'unknown_placeholder' });
  t.throws(() => renderTemplate('{{?x}}a=1\n', { x: 'v' }), { code: 'bad_marker' }, 'a value used as a flag');
  t.throws(() => renderTemplate('a={{on}}\n', { on: true }), { code: 'bad_marker' }, 'a flag used as a value');
  t.throws(() => renderTemplate('a={{x}\n', { x: 'v' }), { code: 'bad_marker' });
  t.throws(() => renderTemplate('{{?}}a=1\n', {}), { code: 'bad_marker' });
});

t.test('renderer: a line break, NUL or any control character in a value is refused', async (t) => {
  for (const bad of ['a\nb', 'a\rb', 'a\u0000b', 'a\tb', 'a\u2028b', 'é']) {
    t.throws(() => renderTemplate('k={{x}}\n', { x: bad }), { code: 'unsafe_value', message: 'the value for x holds a character that cannot go into a config file' }, [...bad].map((c) => c.codePointAt(0)!.toString(16)).join(' '));
  }
  t.equal(renderTemplate('k={{x}}\n', { x: 'a\\b #c =d' }), 'k=a\\b #c =d\n', 'backslash, # and = are data');
  t.equal(renderTemplate('k={{x}}\n', { x: '{{y}}' }), 'k={{y}}\n', 'a value is data: not rendered again, braces allowed');
});

t.test('no printable passphrase can add or change a directive in hostapd.conf', async (t) => {
  const base = keys(renderTemplate(template('hostapd'), hostapdValues(config())));
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 300; i++) {
    const length = 8 + Math.floor(rnd() * 56);
    const passphrase = Array.from({ length }, () => String.fromCharCode(0x20 + Math.floor(rnd() * 95))).join('');
    const text = renderTemplate(template('hostapd'), hostapdValues(config({ passphrase })));
    t.same(keys(text), base);
    t.ok(text.includes(`\nwpa_passphrase=${passphrase}\n`));
  }
  t.throws(() => hostapdValues(config({ passphrase: 'aaaaaaaa\nwpa=0' })), { code: 'unsafe_value', message: /passphrase/ });
  t.throws(() => hostapdValues(config({ channel: 99 as 1 })), { code: 'unsafe_value', message: /channel/ }, 'hostapd itself would only find out at driver setup');
  t.throws(() => hostapdValues(config({ ifname: 'wlan0\ndriver=wired' })), { code: 'unsafe_value', message: /ifname/ });
});

t.test('hostapd.conf (shipped template): the exact directives', async (t) => {
  t.equal(
    renderTemplate(template('hostapd'), hostapdValues(config({ passphrase: 'K7QM2XH9PZ4D' }))),
    [
      'interface=wlan0',
      'driver=nl80211',
      'ssid2=43414d3130302d37383930',
      'utf8_ssid=1',
      'ignore_broadcast_ssid=0',
      'hw_mode=g',
      'channel=6',
      'ieee80211n=1',
      'wmm_enabled=1',
      'country_code=DE',
      'ieee80211d=1',
      'max_num_sta=2',
      'ap_isolate=1',
      'macaddr_acl=0',
      'auth_algs=1',
      'wpa=2',
      'wpa_key_mgmt=WPA-PSK',
      'rsn_pairwise=CCMP',
      'wpa_passphrase=K7QM2XH9PZ4D',
      'logger_syslog=0',
      'logger_stdout=-1',
      'logger_stdout_level=2',
      '',
    ].join('\n'),
  );
  const open = renderTemplate(template('hostapd'), hostapdValues(config({ countryCode: null, clientIsolation: false, maxClients: 1, channel: 11 })));
  t.notMatch(open, /country_code|ieee80211d/);
  t.match(open, /^ap_isolate=0$/m);
  t.match(open, /^max_num_sta=1$/m);
  t.match(open, /^channel=11$/m);
});

t.test('dnsmasq.conf (shipped template): app mode has no DNS and no router; portal mode answers every name', async (t) => {
  const app = renderTemplate(template('dnsmasq'), dnsmasqValues(config(), { leaseFile: LEASES }));
  t.equal(
    app,
    [
      'interface=wlan0',
      'bind-interfaces',
      'except-interface=lo',
      'listen-address=192.168.4.1',
      'no-hosts',
      'no-resolv',
      'no-poll',
      'pid-file=',
      'log-facility=-',
      'dhcp-authoritative',
      'dhcp-range=192.168.4.10,192.168.4.50,255.255.255.0,10m',
      `dhcp-leasefile=${LEASES}`,
      'port=0',
      'dhcp-option=option:router',
      '',
    ].join('\n'),
  );
  const portal = renderTemplate(template('dnsmasq'), dnsmasqValues(config({ captiveDns: true }), { leaseFile: LEASES }));
  t.same(portal.split('\n').slice(12), ['address=/#/192.168.4.1', 'dhcp-option=option:router,192.168.4.1', 'dhcp-option=option:dns-server,192.168.4.1', '']);
  t.throws(() => dnsmasqValues(config(), { leaseFile: '/run/with space/leases' }), { code: 'unsafe_value', message: /lease_file/ });
  t.throws(() => dnsmasqValues(config(), { leaseFile: 'relative/leases' }), { code: 'unsafe_value' });
});

t.test('NetworkManager drop-in (shipped template) per mode', async (t) => {
  t.equal(renderTemplate(template('nmDnsmasq'), nmDnsmasqValues(config())), 'dhcp-option=option:router\ndhcp-option=option:dns-server\n');
  t.equal(renderTemplate(template('nmDnsmasq'), nmDnsmasqValues(config({ captiveDns: true }))), 'address=/#/192.168.4.1\n');
});

t.test('NetworkManager hotspot profile: the SSID is one argv item, no secret anywhere', async (t) => {
  const args = addArgs(config({ ssid: '-rf $(reboot)' }));
  t.equal(args[args.indexOf('ssid') + 1], '-rf $(reboot)');
  t.notOk(args.some((a) => a.includes('K7QM2XH9PZ4D')), 'the passphrase comes with connection up, never here');
  t.same(args.slice(args.indexOf('wifi-sec.key-mgmt')), [
    'wifi-sec.key-mgmt', 'wpa-psk', 'wifi-sec.proto', 'rsn', 'wifi-sec.pairwise', 'ccmp', 'wifi-sec.group', 'ccmp', 'wifi-sec.psk-flags', '2',
    'ipv4.method', 'shared', 'ipv4.addresses', '192.168.4.1/24', 'ipv6.method', 'disabled',
  ]);
});

t.test('iw list: AP+STA concurrency only with a combination that holds both at once', async (t) => {
  const list = (combos: string) => `Wiphy phy0\n\tmax # scan SSIDs: 4\n\tvalid interface combinations:\n${combos}\n\tHT Capability overrides:\n\t\t * MCS: ff ff\n`;
  t.ok(apStaConcurrent(list('\t\t * #{ managed } <= 1, #{ AP, P2P-client, P2P-GO } <= 1,\n\t\t   total <= 2, #channels <= 1')), 'brcmfmac/rtl style: one each, shared channel');
  t.ok(apStaConcurrent(list('\t\t * #{ managed, AP } <= 2,\n\t\t   total <= 2, #channels <= 1')), 'one group, two of them');
  t.notOk(apStaConcurrent(list('\t\t * #{ managed, AP } <= 1,\n\t\t   total <= 1, #channels <= 1')), 'one interface at a time');
  t.notOk(apStaConcurrent(list('\t\t * #{ managed } <= 2, #{ P2P-client } <= 1,\n\t\t   total <= 3, #channels <= 2')), 'no AP type at all');
  t.ok(
    apStaConcurrent(list('\t\t * #{ managed } <= 1, #{ IBSS } <= 1,\n\t\t   total <= 1, #channels <= 1\n\t\t * #{ managed } <= 1, #{ AP } <= 1,\n\t\t   total <= 2, #channels <= 1')),
    'the second combination allows it',
  );
  t.notOk(apStaConcurrent('Wiphy phy0\n\tSupported interface modes:\n\t\t * managed\n\t\t * AP\n'), 'no combinations listed: one interface');
  t.notOk(apStaConcurrent(''));
});
