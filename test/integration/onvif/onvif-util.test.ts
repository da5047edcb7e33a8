/**
 * Cross-check of the fixture camera with an independent client, Debian's
 * onvif-util (libonvif, package onvif-tools): if libonvif and node-onvif
 * both accept the fixture, its answers are not shaped around node-onvif's
 * parser alone. onvif-util connects to port 80 of the address it is given,
 * so the fixture listens on 127.0.0.1:80 inside its own namespace; commands
 * go to its interactive prompt on stdin. Even given an address, onvif-util
 * first finds the camera by WS-Discovery (and segfaults when nothing
 * answers), so the fixture always runs with discovery on here.
 */
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { loopbackNamespace } from '../../helpers/netns.js';
import { startFixtureIn } from '../../helpers/onvif-fixture-process.js';

const haveOnvifUtil = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v onvif-util']);
    return true;
  } catch {
    return false;
  }
})();

t.test('onvif-util discovers the fixture and reads its profile and RTSP URI', { skip: haveOnvifUtil ? false : 'onvif-util missing (Debian package onvif-tools)' }, async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const fx = await startFixtureIn(ns, { discovery: true, port: 80 });
  t.teardown(() => fx.stop());

  const all = await ns.exec('onvif-util', ['-a'], { timeoutMs: 10_000 });
  t.equal(all.code, 0, all.stderr);
  t.match(all.stdout, /Found 1 cameras/);
  t.match(all.stdout, /127\.0\.0\.1 fixture-cam\(Fixture_Cam SoC-X1\)/, 'name and hardware from the scopes, host name from GetHostname');

  const session = await ns.exec('onvif-util', ['-u', 'admin', '-p', 'secret', '127.0.0.1'], {
    input: 'get profile\nget rtsp\nquit\n',
    timeoutMs: 10_000,
  });
  t.match(session.stdout, /successfully connected to host/);
  t.match(session.stdout, /serial: FX-0001/);
  t.match(session.stdout, /Width:\s+1920/);
  t.match(session.stdout, /Height:\s+1080/);
  t.match(session.stdout, /rtsp:\/\/127\.0\.0\.1:8554\/main\?channel=1&subtype=0/, 'XML-escaped & decoded back');
});

t.test('a wrong password is refused by the fixture for onvif-util too', { skip: haveOnvifUtil ? false : 'onvif-util missing' }, async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const fx = await startFixtureIn(ns, { discovery: true, port: 80 });
  t.teardown(() => fx.stop());
  const session = await ns.exec('onvif-util', ['-u', 'admin', '-p', 'wrong', '127.0.0.1'], { input: 'get rtsp\nquit\n', timeoutMs: 10_000 });
  t.notMatch(session.stdout, /rtsp:\/\/127/, 'no stream URI for a wrong password');
  await fx.stop(); // flushes the call log
  t.ok(fx.calls.some((c) => c.status === 400 && c.user === 'admin'), 'a NotAuthorized fault was sent');
});
