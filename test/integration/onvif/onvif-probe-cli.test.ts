/**
 * `camera-agent onvif probe` (onvifCommand) against the fixture camera: the
 * JSON it prints, the three ways to pass a password, and that no form of
 * the password ever reaches stdout or stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { onvifCommand, PASSWORD_ENV } from '../../../src/cli/onvif-command.js';
import { OnvifFixture } from '../../helpers/onvif-fixture.js';

const PASSWORD = 'Hunter2:@/%';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await onvifCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function leaks(text: string): boolean {
  return text.includes(PASSWORD) || text.includes(encodeURIComponent(PASSWORD)) || text.includes('Hunter2');
}

t.test('probe prints device, profiles, masked stream URIs, snapshot URI and PTZ presets as JSON', async (t) => {
  const fx = new OnvifFixture({ password: PASSWORD, ptz: true });
  await fx.start();
  t.teardown(() => fx.stop());
  const dir = mkdtempSync(join(tmpdir(), 'onvif-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const passFile = join(dir, 'pw');
  writeFileSync(passFile, `${PASSWORD}\n`, { mode: 0o600 });

  const r = await cli(['probe', '--xaddr', fx.xaddr, '--user', 'admin', '--pass-file', passFile, '--json']);
  t.equal(r.code, 0, r.err);
  t.equal(r.out.split('\n').length, 1, '--json: one line');
  const report = JSON.parse(r.out);
  t.match(report.device, { manufacturer: 'Fixture', model: 'SoC-X1' });
  t.same(report.profiles.map((p: { token: string; width: number; height: number }) => [p.token, p.width, p.height]), [
    ['main', 1920, 1080],
    ['sub', 640, 360],
  ]);
  t.same(report.streams, {
    sub: { token: 'sub', uri: 'rtsp://***@127.0.0.1:8554/sub?channel=1&subtype=1' },
    main: { token: 'main', uri: 'rtsp://***@127.0.0.1:8554/main?channel=1&subtype=0' },
  });
  t.equal(report.snapshotUri, fx.snapshotUri);
  t.same(report.ptz, { supported: true, presets: [{ token: '1', name: 'Door' }, { token: '2', name: 'Garden' }] });
  t.notOk(leaks(r.out + r.err), 'no password in the output');
});

t.test('the password may come from --pass or the environment; without one the camera refuses', async (t) => {
  const fx = new OnvifFixture({ password: PASSWORD });
  await fx.start();
  t.teardown(() => fx.stop());
  const viaArg = await cli(['probe', '--xaddr', fx.xaddr, '--user', 'admin', '--pass', PASSWORD]);
  t.equal(viaArg.code, 0, viaArg.err);
  t.ok(viaArg.out.includes('\n  "device"'), 'indented JSON without --json');
  const viaEnv = await cli(['probe', '--xaddr', fx.xaddr, '--user', 'admin', '--json'], { [PASSWORD_ENV]: PASSWORD });
  t.equal(viaEnv.code, 0, viaEnv.err);
  const none = await cli(['probe', '--xaddr', fx.xaddr, '--user', 'admin', '--json']);
  t.equal(none.code, 1);
  t.equal(JSON.parse(none.out).error.code, 'onvif_unauthorized');
  const wrong = await cli(['probe', '--xaddr', fx.xaddr, '--user', 'admin', '--pass', 'Hunter2-wrong', '--json']);
  t.equal(wrong.code, 1);
  t.match(JSON.parse(wrong.out), { error: { code: 'onvif_unauthorized' } });
  t.match(wrong.err, /onvif_unauthorized/);
  t.notOk(leaks(viaArg.out + viaEnv.out + wrong.out + wrong.err), 'no password in any output');
});

t.test('usage: help mentions the ps exposure; bad arguments exit 2', async (t) => {
  const help = await cli(['probe', '--help']);
  t.equal(help.code, 0);
  t.match(help.out, /visible to every user in 'ps'/);
  t.match(help.out, new RegExp(PASSWORD_ENV));
  t.match(help.out, /--pass-file/);
  t.equal((await cli(['probe'])).code, 2, 'neither --xaddr nor --discover');
  t.equal((await cli(['probe', '--discover', '--xaddr', 'http://h/'])).code, 2);
  t.equal((await cli(['probe', '--xaddr', 'http://h/', '--timeout', 'soon'])).code, 2);
  t.equal((await cli(['probe', '--xaddr', 'http://h/', '--pass-file', '/nonexistent/pw'])).code, 2);
  t.equal((await cli(['frobnicate'])).code, 2);
  t.equal((await cli(['probe', '--bogus'])).code, 2);
});
