import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { BIN, assertBuilt } from '../../helpers/daemon.js';

assertBuilt();
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
const TOKEN = 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA';

t.test('qr encode makes the PRV1 of provisioning.md §6.2 and a QR that qr decode reads back, without secrets', async (t) => {
  const dir = await tempDir(t);
  const png = join(dir, 'prv1.png');
  const enc = cli(['qr', 'encode', '--ssid', 'MyHomeNetwork', '--password', 'correct horse battery', '--token', TOKEN, '--region', 'EU', '--png', png]);
  t.equal(enc.status, 0, enc.stderr);
  t.equal(enc.stdout.trim(), `PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:${TOKEN};C:EU;X:13728406;;`);
  const dec = cli(['qr', 'decode', png]);
  t.equal(dec.status, 0, dec.stderr);
  const line = JSON.parse(dec.stdout.trim()) as { image: string; codes: Array<Record<string, unknown>> };
  t.equal(line.image, png);
  t.same(line.codes, [{ kind: 'provisioning', format: 'prv1', ssid: 'MyHomeNetwork', auth: 'wpa', hidden: false, binding: true, region: 'EU' }]);
  t.notOk(dec.stdout.includes('correct') || dec.stdout.includes(TOKEN), 'decode prints no password or token');
});

t.test('qr encode: a WIFI: code from a password file; bad input names its code and exits 2', async (t) => {
  const dir = await tempDir(t);
  const pw = join(dir, 'pw');
  await writeFile(pw, 'p;a:s\\s,"w%41\n');
  const wifi = cli(['qr', 'encode', '--format', 'wifi', '--ssid', 'Café ☕', '--password-file', pw]);
  t.equal(wifi.status, 0, wifi.stderr);
  t.equal(wifi.stdout.trim(), 'WIFI:S:Café ☕;T:WPA;P:p\\;a\\:s\\\\s\\,\\"w%41;;');
  const short = cli(['qr', 'encode', '--ssid', 'x', '--password', 'short']);
  t.equal(short.status, 2);
  t.match(short.stderr, /psk_too_short/);
  t.notMatch(short.stderr, /short"/, 'the password itself is not echoed');
  t.equal(cli(['qr', 'encode', '--format', 'wifi', '--ssid', 'x', '--token', TOKEN]).status, 2, 'WIFI: carries no token');
  t.equal(cli(['qr']).status, 2);
  t.equal(cli(['qr', 'frobnicate']).status, 2);
});

t.test('qr decode: one line per image; unreadable files and images without a code exit 1', async (t) => {
  const dir = await tempDir(t);
  const label = join(dir, 'text.txt');
  await writeFile(label, 'not an image');
  const blank = join(dir, 'blank.png');
  const sharp = (await import('sharp')).default;
  await sharp({ create: { width: 200, height: 200, channels: 3, background: '#fff' } }).png().toFile(blank);
  const r = cli(['qr', 'decode', label, blank, join(dir, 'missing.png')]);
  t.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  t.equal(lines.length, 3);
  t.match(lines[0], { image: label, error: { code: 'image_unreadable' } });
  t.match(lines[1], { image: blank, codes: [] });
  t.match(lines[2], { image: join(dir, 'missing.png'), error: { code: 'image_not_found' } });
});
