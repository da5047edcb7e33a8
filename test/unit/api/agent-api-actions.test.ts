import t, { type Test } from 'tap';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { EventBus } from '../../../src/core/bus.js';
import { agentApiActions, LOCKED_FROM_LOCAL_API, nestPatch, type AgentApiDeps } from '../../../src/api/agent-api-actions.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * PATCH /v1/config through the real LiveConfig: a technician token can be
 * had offline (label code + button press), so the local API must not reach
 * the keys that decide whom the camera trusts or what it runs, and its
 * dotted keys must not walk into Object.prototype (docs/security.md G15).
 */
async function rig(t: Test) {
  const root = await tempDir(t);
  const data = join(root, 'data');
  const factory = join(root, 'factory');
  await mkdir(factory);
  const system = join(root, 'system.json');
  await writeFile(system, JSON.stringify({ identity: { dir: factory }, data: { dir: data } }));
  const loaded = await loadConfig({ systemFile: system, env: {} });
  const bus = new EventBus();
  const config = new LiveConfig(loaded, loaded.runtimeStore, bus);
  // patchConfig needs only the configuration; the other services are never touched.
  const actions = agentApiActions({ config, bus } as unknown as AgentApiDeps);
  t.teardown(() => actions.dispose());
  const runtimeFile = () => readFile(join(data, 'config.json'), 'utf8').catch(() => null);
  return { config, actions, runtimeFile };
}

const HOSTILE: Record<string, unknown> = {
  'cloud.url': 'mqtts://broker.attacker.example:8883',
  'cloud.ca': '/etc/ssl/certs/ca-certificates.crt',
  'cloud.serverName': 'broker.attacker.example',
  'cloud.topicPrefix': 'x/{deviceId}',
  'ota.publicKeys': '/var/lib/camera-agent',
  'ota.caFile': '/etc/ssl/certs/ca-certificates.crt',
  'ota.spoolDir': '/tmp',
  'ota.installer.command': 'busybox telnetd -l /bin/sh -p 2323',
  'ota.installer.markGoodCommand': '/bin/sh -c reboot',
  'alarm.https.ca': '/etc/ssl/certs/ca-certificates.crt',
  'talkback.relay.caFile': '/etc/ssl/certs/ca-certificates.crt',
};

t.test('the local API cannot change whom the camera trusts or what it runs: cloud endpoint, trust anchors, installer commands', async (t) => {
  const r = await rig(t);
  t.same(Object.keys(HOSTILE).sort(), [...LOCKED_FROM_LOCAL_API].sort(), 'every locked key is tried');
  const before = JSON.stringify(r.config.current);
  for (const [key, value] of Object.entries(HOSTILE)) {
    const dotted = await r.actions.patchConfig({ [key]: value, 'device.language': 'de' });
    t.same(dotted.rejected.map((f) => [f.field, f.code]), [[key, 'not_changeable']], `${key} refused as a dotted key`);
    t.same(dotted.applied, [], 'all or nothing: the harmless key in the same change is not applied either');
    const [group, ...rest] = key.split('.');
    const nested = await r.actions.patchConfig({ [group!]: rest.reduceRight<unknown>((v, k) => ({ [k]: v }), value) });
    t.same(nested.rejected.map((f) => f.field), [key], `${key} refused when nested`);
  }
  t.equal(JSON.stringify(r.config.current), before, 'the configuration in force is unchanged');
  t.equal(await r.runtimeFile(), null, 'nothing was written');

  const ok = await r.actions.patchConfig({ 'device.language': 'de', motion: { enabled: false } });
  t.same(ok.rejected, [], 'ordinary keys still change');
  t.equal(r.config.current.device.language, 'de');
});

t.test('dotted config keys never reach Object.prototype: constructor.prototype.x is refused as an unknown key', async (t) => {
  const r = await rig(t);
  const res = await r.actions.patchConfig({ 'constructor.prototype.pwnedByPatch': true, 'motion.constructor.prototype.pwnedByPatch': true });
  t.equal(({} as Record<string, unknown>).pwnedByPatch, undefined, 'Object.prototype untouched');
  t.ok(res.rejected.length > 0, 'the change is refused');
  t.same(res.applied, []);
  t.equal(await r.runtimeFile(), null, 'nothing was written');

  const { patch, conflicts } = nestPatch({ 'a.b': 1, 'a.c.d': 2, 'x': 'text', 'x.y': 3 });
  t.same(JSON.parse(JSON.stringify(patch)), { a: { b: 1, c: { d: 2 } }, x: 'text' }, 'own properties only');
  t.same(conflicts, ['x.y'], 'a key inside a value that is not an object is a conflict, not a crash');
});
