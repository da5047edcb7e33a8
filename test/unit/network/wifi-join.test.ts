import t from 'tap';
import type { WifiCredentials } from '../../../src/provisioning/provisioning-payload.js';
import { joinFailureFor } from '../../../src/network/nmcli-errors.js';
import {
  connectionAddArgs,
  connectionUpArgs,
  escapePasswdFileValue,
  isAgentProfile,
  parseAddedUuid,
  parseConnectivity,
  parseDeviceShow,
  parseProfileList,
  parseProfileSsid,
  passwdFileContent,
  validIfname,
} from '../../../src/network/nmcli-join.js';
import { credentialsProblem, joinCandidates, keyMgmtFor } from '../../../src/network/wifi-credentials-check.js';
// The fake nmcli's port of NetworkManager 1.42's passwd-file reader.
import { parsePasswdFile } from '../../helpers/fake-nmcli/passwd-file.mjs';

const creds = (extra: Partial<WifiCredentials>): WifiCredentials => ({
  ssid: 'MyNetwork',
  ssidAlternates: [],
  auth: 'wpa',
  password: 'password1',
  rawPsk: false,
  hidden: false,
  transitionDisable: false,
  ...extra,
});

t.test('§7.1 SSIDs: bytes, not characters, are counted; control characters and empty SSIDs are refused', async (t) => {
  const ok = ['MyNetwork', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', 'Café ☕', '家'.repeat(10), '📷'.repeat(8), '👨‍👩‍👧', 'واي فاي', ' space ', '-rf', '$(reboot)', 'abc\\', 'a&&b', 'My:Cafe', 'Cafe\u0301'];
  for (const ssid of ok) t.equal(credentialsProblem(creds({ ssid })), null, JSON.stringify(ssid));
  const bad: [string, RegExp][] = [
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456', /longer than 32 bytes/], // S3
    ['家'.repeat(11), /longer than 32 bytes/], // S7: 11 characters, 33 bytes
    ['📷'.repeat(8) + 'a', /longer than 32 bytes/], // S9
    ['', /empty/], // S20
    ['Home\u0000Net', /control character/], // S21
    ['Home\nNet', /control character/],
    ['Tab\there', /control character/],
    ['del\u007f', /control character/],
    ['lone \ud800 surrogate', /not valid Unicode/],
  ];
  for (const [ssid, why] of bad) t.match(credentialsProblem(creds({ ssid })), why, JSON.stringify(ssid));
  t.equal('📷'.repeat(8).length, 16, 'JS length is not the SSID length');
});

t.test('§7.2 passwords: what NetworkManager can take, and nothing that could break the passwd-file', async (t) => {
  t.equal(credentialsProblem(creds({ password: '12345678' })), null, 'P1');
  t.match(credentialsProblem(creds({ password: '1234567' })), /at least 8/, 'P2');
  t.equal(credentialsProblem(creds({ password: '!'.repeat(63) })), null, 'P3');
  t.equal(credentialsProblem(creds({ password: 'a'.repeat(64), rawPsk: true })), null, 'P4 a×64 is a raw PSK');
  t.equal(credentialsProblem(creds({ password: 'ab'.repeat(32) })), null, '64 hex without the flag: NM takes it as raw too');
  t.match(credentialsProblem(creds({ password: 'z'.repeat(64) })), /at most 63/, 'P5');
  t.match(credentialsProblem(creds({ password: 'z'.repeat(64), rawPsk: true })), /64 hexadecimal/);
  t.equal(credentialsProblem(creds({ password: 'p;a:s\\s,"w%41' })), null, 'P6');
  t.equal(credentialsProblem(creds({ password: 'pässwörd' })), null, 'P7');
  t.match(credentialsProblem(creds({ auth: 'open', password: 'x' })), /no password/, 'P8: an open network with a password is a contradiction');
  t.equal(credentialsProblem(creds({ auth: 'open', password: null })), null);
  t.match(credentialsProblem(creds({ password: null })), /needs a password/, 'P9');
  t.match(credentialsProblem(creds({ password: '' })), /needs a password/, 'P9');
  t.equal(credentialsProblem(creds({ auth: 'sae', password: 'twelve-chars', hidden: true })), null, 'P10');
  t.equal(credentialsProblem(creds({ auth: 'sae', password: '$(id)' })), null, 'SAE has no 8-character minimum');
  t.equal(credentialsProblem(creds({ password: ' pw with spaces ' })), null, 'P12');
  t.equal(credentialsProblem(creds({ password: 'undefined' })), null, 'P13');
  t.match(credentialsProblem(creds({ password: 'line\nbreak1' })), /control character/);
  t.match(credentialsProblem(creds({ password: 'nul\u0000byte1' })), /control character/);
  t.match(credentialsProblem(creds({ auth: 'sae', password: 'a'.repeat(64), rawPsk: true })), /SAE cannot use a raw PSK/);
  t.match(credentialsProblem(creds({ transitionDisable: true, password: 'a'.repeat(64), rawPsk: true })), /SAE cannot use a raw PSK/);
  t.match(credentialsProblem(creds({ auth: 'open', password: null, rawPsk: true })), /no PSK/);
  const secret = 'Sentinel-Pw-7731\n';
  t.notOk(credentialsProblem(creds({ password: secret }))?.includes('Sentinel'), 'problems never quote the password');
});

t.test('key management: open → none, WPA3 and transition-disable → sae, otherwise wpa-psk', async (t) => {
  t.equal(keyMgmtFor({ auth: 'open', transitionDisable: false }), null);
  t.equal(keyMgmtFor({ auth: 'wpa', transitionDisable: false }), 'wpa-psk');
  t.equal(keyMgmtFor({ auth: 'wpa', transitionDisable: true }), 'sae');
  t.equal(keyMgmtFor({ auth: 'sae', transitionDisable: false }), 'sae');
});

t.test('join candidates: the SSID first, then distinct, joinable alternates', async (t) => {
  t.same(joinCandidates({ ssid: '414243', ssidAlternates: ['ABC'] }), ['414243', 'ABC']);
  t.same(joinCandidates({ ssid: 'A', ssidAlternates: ['A', 'B', 'B', '', 'x\u0000'] }), ['A', 'B']);
});

t.test('connection add: SSID right after the ssid keyword, no secret, autoconnect off', async (t) => {
  t.same(connectionAddArgs({ ifname: 'wlan0', name: 'camera-agent-join-0a1b2c3d', ssid: '-rf', hidden: false, keyMgmt: 'wpa-psk' }), [
    'connection', 'add', 'type', 'wifi', 'ifname', 'wlan0', 'con-name', 'camera-agent-join-0a1b2c3d', 'ssid', '-rf',
    'wifi-sec.key-mgmt', 'wpa-psk', 'connection.autoconnect', 'no',
  ]);
  t.same(connectionAddArgs({ ifname: 'wlan0', name: 'n', ssid: 'Open Net', hidden: false, keyMgmt: null }), [
    'connection', 'add', 'type', 'wifi', 'ifname', 'wlan0', 'con-name', 'n', 'ssid', 'Open Net', 'connection.autoconnect', 'no',
  ]);
  t.same(connectionAddArgs({ ifname: 'wlan0', name: 'n', ssid: 'Attic', hidden: true, keyMgmt: 'sae' }).slice(10), ['wifi.hidden', 'yes', 'wifi-sec.key-mgmt', 'sae', 'connection.autoconnect', 'no']);
  t.same(connectionUpArgs('u', 45, '/run/x/secrets'), ['--wait', '45', 'connection', 'up', 'uuid', 'u', 'passwd-file', '/run/x/secrets']);
  t.same(connectionUpArgs('u', 45, null), ['--wait', '45', 'connection', 'up', 'uuid', 'u']);
});

t.test('passwd-file values survive NetworkManager\'s reader byte-exact', async (t) => {
  const secrets = [
    'password1',
    'p;a:s\\s,"w%41', // P6
    ' pw with spaces ', // P12: NM strips unescaped leading/trailing whitespace
    '   ', // only spaces (SAE)
    'undefined', // P13
    '$(id)', '`reboot`', "'; rm -rf /;'", // P14
    'trailing\\', // a lone trailing backslash would be dropped
    '\\1\\12\\123', // octal escapes
    '\\t\\n\\\\', // C escapes
    '#not a comment', 'key=value:more', 'pässwörd ☕', 'tab\tinside',
    'a'.repeat(64),
  ];
  for (const secret of secrets) {
    const parsed = parsePasswdFile(Buffer.from(passwdFileContent(secret), 'utf8'));
    t.same(parsed, { ok: true, secrets: new Map([['802-11-wireless-security.psk', secret]]) }, JSON.stringify(secret));
  }
  t.equal(escapePasswdFileValue('a'.repeat(64)), 'a'.repeat(64), 'a raw PSK is written as it is');
  t.equal(escapePasswdFileValue(' a\\b '), '\\ a\\\\b\\ ');
  for (const bad of ['a\nb', 'a\rb', 'a\u0000b']) t.throws(() => escapePasswdFileValue(bad), RangeError);
});

t.test('the fake\'s passwd-file reader behaves like NM 1.42 (what the adapter relies on)', async (t) => {
  const read = (s: string) => parsePasswdFile(Buffer.from(s, 'utf8'));
  t.same(read('802-11-wireless-security.psk: spaced out \n'), { ok: true, secrets: new Map([['802-11-wireless-security.psk', 'spaced out']]) }, 'unescaped spaces are stripped');
  t.same(read('wifi-sec.psk:x\r\n# comment\n\n  wifi.psk=y'), { ok: true, secrets: new Map([['802-11-wireless-security.psk', 'y']]) }, 'aliases, = separator, comments, CRLF');
  t.match(read('garbage\n'), { ok: false, line: 1, message: 'missing colon for "<setting>.<property>:<secret>" format' }, 'the message real nmcli 1.42.4 printed');
  t.match(read('psk:x'), { ok: false, message: /missing dot/ });
  t.match(read('nosuch.psk:x'), { ok: false, message: 'invalid setting name' });
});

t.test('connection add answer: the uuid, also after a duplicate-name warning', async (t) => {
  t.equal(parseAddedUuid("Connection 'camera-agent-join-1' (07e5d4bf-2532-48fc-bc07-eb06baff4eb5) successfully added.\n"), '07e5d4bf-2532-48fc-bc07-eb06baff4eb5');
  t.equal(
    parseAddedUuid("Warning: There is another connection with the name 'x'. Reference the connection by its uuid '3c9bff07-857a-4465-8e2b-38f92a44a21d'\nConnection 'x' (3c9bff07-857a-4465-8e2b-38f92a44a21d) successfully added.\n"),
    '3c9bff07-857a-4465-8e2b-38f92a44a21d',
  );
  t.equal(parseAddedUuid("Connection 'x' (not-a-uuid) successfully added.\n"), null);
  t.equal(parseAddedUuid(''), null);
});

t.test('profile list: escaped names, names with a newline, junk dropped', async (t) => {
  const out = [
    'camera-agent-wifi:da2dbc6f-1671-44e8-b390-a253254a2c4a:802-11-wireless',
    'we\\:ird\\\\name:c81d2d66-7260-468b-8e38-8e4720e10042:802-11-wireless',
    'two',
    'lines:74b5d3eb-5bd0-4497-85d1-0302ac256909:802-11-wireless',
    'Wired connection 1:not-a-uuid:802-3-ethernet',
  ].join('\n') + '\n';
  t.same(parseProfileList(out), [
    { name: 'camera-agent-wifi', uuid: 'da2dbc6f-1671-44e8-b390-a253254a2c4a', type: '802-11-wireless' },
    { name: 'we:ird\\name', uuid: 'c81d2d66-7260-468b-8e38-8e4720e10042', type: '802-11-wireless' },
    { name: 'two\nlines', uuid: '74b5d3eb-5bd0-4497-85d1-0302ac256909', type: '802-11-wireless' },
  ]);
  t.ok(isAgentProfile('camera-agent-wifi'));
  t.ok(isAgentProfile('camera-agent-join-0a1b2c3d'));
  t.notOk(isAgentProfile('camera-agent-wifi-2'));
  t.notOk(isAgentProfile('HomeNet'));
});

t.test('device show: raw values, the first IPv4 address, no crash on names ending in a backslash (node-wifi N5)', async (t) => {
  const uuid = '07e5d4bf-2532-48fc-bc07-eb06baff4eb5';
  t.same(
    parseDeviceShow(`GENERAL.STATE:100 (connected)\nGENERAL.CONNECTION:camera-agent-wifi\nGENERAL.CON-UUID:${uuid}\nIP4.ADDRESS[1]:192.168.1.23/24\nIP4.ADDRESS[2]:10.0.0.2/8\nIP4.GATEWAY:192.168.1.1\n`),
    { state: 100, connection: 'camera-agent-wifi', uuid, ipv4: '192.168.1.23/24', gateway: '192.168.1.1' },
  );
  t.same(parseDeviceShow('GENERAL.STATE:30 (disconnected)\nGENERAL.CONNECTION:\nGENERAL.CON-UUID:\n'), { state: 30, connection: null, uuid: null, ipv4: null, gateway: null }, 'no IP4 rows when not configured');
  t.same(parseDeviceShow(`GENERAL.STATE:100 (connected)\nGENERAL.CONNECTION:abc\\\nGENERAL.CON-UUID:${uuid}\n`)?.connection, 'abc\\');
  t.same(parseDeviceShow(`GENERAL.STATE:100 (connected)\nGENERAL.CONNECTION:we:ird&&\\name\nGENERAL.CON-UUID:${uuid}\n`)?.connection, 'we:ird&&\\name');
  t.same(parseDeviceShow(`GENERAL.STATE:100 (connected)\nGENERAL.CONNECTION:two\nlines\nGENERAL.CON-UUID:${uuid}\n`)?.connection, 'two\nlines');
  t.same(parseDeviceShow(`GENERAL.STATE:100 (connected)\nGENERAL.CON-UUID:${uuid}\n\nGENERAL.STATE:10 (unmanaged)\n`)?.state, 100, 'a second device record is not mixed in');
  t.equal(parseDeviceShow(''), null);
  t.equal(parseDeviceShow('GENERAL.STATE:connected\n'), null);
  t.equal(parseDeviceShow('Error: something\n'), null);
});

t.test('profile SSID and connectivity answers', async (t) => {
  t.equal(parseProfileSsid('802-11-wireless.ssid:a\\b:c\n'), 'a\\b:c', 'raw, as nmcli 1.42.4 prints multi-line values');
  t.equal(parseProfileSsid('802-11-wireless.ssid: space \n'), ' space ');
  t.equal(parseProfileSsid('802-11-wireless.ssid:two\nlines\n'), 'two\nlines');
  t.equal(parseProfileSsid('connection.id:x\n'), null);
  t.equal(parseProfileSsid('802-11-wireless.ssid:\n'), null);
  for (const w of ['full', 'limited', 'portal', 'none'] as const) t.equal(parseConnectivity(`${w}\n`), w);
  t.equal(parseConnectivity('unknown\n'), 'unknown');
  t.equal(parseConnectivity('garbage'), 'unknown');
});

t.test('interface names', async (t) => {
  for (const n of ['wlan0', 'wlp2s0', 'uap0', 'wlan0.1']) t.ok(validIfname(n), n);
  for (const n of ['', '-rf', 'a'.repeat(16), 'wlan 0', 'wl/an']) t.notOk(validIfname(n), n);
});

t.test('nmcli failures map to provisioning reasons and the §6.7 retry rules', async (t) => {
  const hint = "\nHint: use 'journalctl -xe NM_CONNECTION=07e5d4bf-2532-48fc-bc07-eb06baff4eb5 + NM_DEVICE=wlan0' to get more details.\n";
  const cases: [number, string, string, string][] = [
    [4, `Error: Connection activation failed: Secrets were required, but not provided${hint}`, 'auth_failed', 'none'],
    [4, 'Error: Connection activation failed: (7) Secrets were required, but not provided.\n', 'auth_failed', 'none'],
    [4, `Error: Connection activation failed: 802.1X supplicant disconnected${hint}`, 'auth_failed', 'none'],
    [4, `Error: Connection activation failed: The Wi-Fi network could not be found${hint}`, 'ap_not_found', 'rescan'],
    [10, "Error: No network with SSID 'x' found.\n", 'ap_not_found', 'rescan'],
    [4, `Error: Connection activation failed: IP configuration could not be reserved (no available address, timeout, etc.)${hint}`, 'dhcp_timeout', 'again'],
    [4, `Error: Connection activation failed: DHCP client failed to start${hint}`, 'dhcp_timeout', 'again'],
    [3, 'Error: Timeout expired (45 seconds)\n', 'join_timeout', 'none'],
    [4, `Error: Connection activation failed: 802.1X supplicant took too long to authenticate${hint}`, 'join_timeout', 'none'],
    [8, 'Error: NetworkManager is not running.\n', 'nm_not_running', 'none'],
    [4, 'Error: Connection activation failed: No suitable device found for this connection (device lo not available because device is strictly unmanaged).\n', 'no_wifi_device', 'none'],
    [10, "Error: unknown connection 'x'.\n", 'join_failed', 'none'],
    [2, "Error: failed to modify 802-11-wireless.ssid: 'x' is not valid.\n", 'join_failed', 'none'],
  ];
  for (const [code, stderr, reason, retry] of cases) t.same(joinFailureFor(code, stderr), { reason, retry }, stderr.split('\n')[0] ?? '');
});
