/**
 * WS-Discovery end to end, inside network namespaces made by the test (the
 * network safety rule: never multicast from the root namespace). The
 * fixture and `camera-agent onvif probe` run as processes inside them.
 */
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { loopbackNamespace, vethPair, type TestNamespace } from '../../helpers/netns.js';
import { startFixtureIn } from '../../helpers/onvif-fixture-process.js';

const COMMAND = pathToFileURL(new URL('../../../src/cli/onvif-command.ts', import.meta.url).pathname).href;

/** Runs onvifCommand(argv) in a node process inside `ns`; resolves with its exit code and stdout. */
async function probeIn(ns: TestNamespace, argv: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const script = `const { onvifCommand } = await import(${JSON.stringify(COMMAND)});
process.exitCode = await onvifCommand(${JSON.stringify(argv)}, { out: (l) => console.log(l), err: (l) => console.error(l) });`;
  const r = await ns.exec(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeoutMs: 20_000 });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

t.test('probe --discover finds the fixture camera on a loopback-only namespace, then probe --xaddr connects', async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const fx = await startFixtureIn(ns, { discovery: true });
  t.teardown(() => fx.stop());

  const found = await probeIn(ns, ['probe', '--discover', '--timeout', '1.5', '--json']);
  t.equal(found.code, 0, found.err);
  const { devices } = JSON.parse(found.out);
  t.equal(devices.length, 1, 'one camera answered');
  t.match(devices[0], { xaddrs: [fx.xaddr], name: 'Fixture Cam', hardware: 'SoC-X1', urn: /^urn:uuid:/ });
  t.ok(devices[0].scopes.includes('onvif://www.onvif.org/name/Fixture_Cam'));

  const probed = await probeIn(ns, ['probe', '--xaddr', devices[0].xaddrs[0], '--user', 'admin', '--pass', 'secret', '--json']);
  t.equal(probed.code, 0, probed.err);
  t.equal(JSON.parse(probed.out).streams.sub.token, 'sub');
});

t.test('probe --discover from the "phone" finds the camera on the "cam" host across a veth link', async (t) => {
  const pair = await vethPair();
  t.teardown(() => pair.delete());
  const fx = await startFixtureIn(pair.cam, { discovery: true, host: pair.camAddress });
  t.teardown(() => fx.stop());

  const found = await probeIn(pair.phone, ['probe', '--discover', '--timeout', '1.5', '--json']);
  t.equal(found.code, 0, found.err);
  const { devices } = JSON.parse(found.out);
  t.match(devices, [{ xaddrs: [`http://${pair.camAddress}:${fx.port}/onvif/device_service`], name: 'Fixture Cam' }]);

  const probed = await probeIn(pair.phone, ['probe', '--xaddr', devices[0].xaddrs[0], '--user', 'admin', '--pass', 'secret', '--json']);
  t.equal(probed.code, 0, probed.err);
  t.match(JSON.parse(probed.out), { device: { model: 'SoC-X1' }, streams: { sub: { token: 'sub' } } });
});

t.test('no camera on the segment: an empty list, not an error', async (t) => {
  const ns = await loopbackNamespace();
  t.teardown(() => ns.delete());
  const found = await probeIn(ns, ['probe', '--discover', '--timeout', '1.5', '--json']);
  t.equal(found.code, 0, found.err);
  t.same(JSON.parse(found.out), { devices: [] });
});
