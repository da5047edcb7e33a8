import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../../helpers/tmp.js';
import { BIN, assertBuilt } from '../../helpers/daemon.js';

/**
 * `camera-agent demo` as a user runs it: a camera fresh out of the box that
 * provisions itself from the QR code in its feed and binds; and `--ap`,
 * where the setup portal it prints on localhost provisions it. Ctrl-C ends
 * both cleanly.
 */
assertBuilt();

function runDemo(t: Test, args: string[]) {
  let out = '';
  const child = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(out);
      if (m) return m;
      if (child.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
      if (Date.now() > until) throw new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${out.slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

t.test('demo: reads the phone\'s QR code, joins the simulated Wi-Fi, binds; saves alarm snapshots; talks; updates its firmware; Ctrl-C stops it', async (t) => {
  const out = await tempDir(t);
  const demo = runDemo(t, ['--out', out]);
  await demo.waitFor(/provisioned from the QR code and bound to the account/, 60_000);
  await demo.waitFor(/alarm snapshot saved: (\S+\.jpg)/, 30_000);
  t.ok((await readdir(join(out, 'snapshots'))).some((f) => f.endsWith('.jpg')), 'a snapshot file in the output folder');
  t.match(demo.output(), /technician console: https:\/\/127\.0\.0\.1:\d+\//, 'the console URL is printed');
  const [, clip] = await demo.waitFor(/the camera played the app's voice; its speaker output is in (\S+\.wav)/, 60_000);
  const wav = await readFile(clip ?? '');
  t.equal(wav.subarray(0, 4).toString('ascii'), 'RIFF', 'talkback.wav is a WAV file');
  t.ok(wav.length > 44 + 8000 * 2, `talkback.wav holds more than a second of audio (${wav.length} bytes)`);
  await demo.waitFor(/update 0\.1\.0-demo: rebooting/, 60_000);
  t.match(demo.output(), /downloading +\[█+░*\] +\d+ % [\d.]+\/1\.0 MB/, 'a download progress bar was drawn');
  t.match(demo.output(), /update 0\.1\.0-demo: verifying[\s\S]*update 0\.1\.0-demo: installing/, 'verified before it was installed');
  demo.child.kill('SIGINT');
  t.equal(await demo.exited, 0, 'Ctrl-C ends it cleanly');
});

t.test('demo --ap: the printed portal on localhost provisions the camera', async (t) => {
  const out = await tempDir(t);
  const demo = runDemo(t, ['--ap', '--out', out]);
  const [, url] = await demo.waitFor(/setup portal is at (http:\/\/127\.0\.0\.1:\d+)\//, 60_000);
  const [, code] = await demo.waitFor(/setup code ([0-9A-Z-]+) \(from the label\)/, 10_000);
  const res = await fetch(`${url}/portal/connect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ssid: 'DemoHome', password: 'correct horse battery', hidden: false, code }),
  });
  t.ok(res.ok, `the portal accepts the form (${res.status})`);
  await demo.waitFor(/provisioned through the hotspot/, 30_000);
  demo.child.kill('SIGINT');
  t.equal(await demo.exited, 0);
});
