import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startAgent } from '../../../src/cli/run-command.js';
import { settings } from '../../../src/config/schema.js';
import { tempDir } from '../../helpers/tmp.js';
import { BIN, assertBuilt } from '../../helpers/daemon.js';

/** A loopback port nobody listens on, so ffmpeg's connection fails (the error path). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A sentinel value for every secret key of the schema, shaped so its rule accepts it. */
function plant(port: number, tag: string): { layer: Record<string, unknown>; sentinels: string[] } {
  const layer: Record<string, unknown> = {};
  const sentinels: string[] = [];
  for (const [path, s] of settings()) {
    if (!s.sensitive) continue;
    const user = `usr${tag}SENTINELu`;
    const pass = `pw${tag}SENTINELp`;
    const secret = `${tag}SENTINELv`;
    const value =
      s.mask === 'url-credentials'
        ? `rtsp://${user}:${pass}@127.0.0.1:${port}/live`
        : s.format === 'ca-sim-wifi-networks'
          ? [{ ssid: 'SimNet', password: secret }]
          : secret;
    sentinels.push(...(s.mask === 'url-credentials' ? [user, pass] : [secret]));
    const parts = path.split('.');
    let node = layer;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = value;
  }
  return { layer, sentinels };
}

t.test('secrets never appear in log output: start, config change, error paths, stop', async (t) => {
  const dir = await tempDir(t);
  const port = await closedPort();
  const first = plant(port, 'A');
  const second = plant(port, 'B');
  const invalid = plant(port, 'C');
  t.ok(first.sentinels.length > 0, 'the schema has secret keys to plant');

  const config = join(dir, 'system.json');
  await writeFile(config, JSON.stringify({ data: { dir: join(dir, 'data') }, identity: { dir: join(dir, 'f') }, log: { level: 'trace' }, ...first.layer }));
  const lines: string[] = [];
  const running = await startAgent({ sources: { systemFile: config, env: {} }, output: { write: (l) => void lines.push(l) }, env: {} });
  // The error path: ffmpeg cannot reach the camera and reports the URL.
  const down = new Promise<void>((resolve) => running.agent.video.on('health', (h) => h.state === 'down' && resolve()));
  await down;
  const changed = await running.live.change(second.layer, 'api');
  t.same(changed.rejected, []);
  running.logging.logger.info({ change: second.layer }, 'a careless log of the change');
  const refused = await running.live.change({ ...invalid.layer, log: { level: 'loud' } }, 'cloud');
  t.ok(refused.rejected.length > 0);
  running.logging.logger.warn({ rejected: refused.rejected }, 'change refused');
  await running.stop();

  const all = [...first.sentinels, ...second.sentinels, ...invalid.sentinels];
  const output = lines.join('') + running.logging.ring.lines().join('\n');
  t.ok(lines.length > 10, 'the agent did log');
  t.match(output, /ffmpeg/, 'the error path was logged');
  for (const s of all) t.notOk(output.includes(s), `${s} is not in the log output`);
});

t.test('secrets never appear in config show or config check output', async (t) => {
  assertBuilt();
  const dir = await tempDir(t);
  const planted = plant(9, 'D');
  const good = join(dir, 'good.json');
  await writeFile(good, JSON.stringify({ data: { dir: join(dir, 'data') }, identity: { dir: join(dir, 'f') }, ...planted.layer }));
  const env = { ...process.env, CAMERA_AGENT_SYSTEM_CONFIG: join(dir, 'none.json') };
  const show = spawnSync(process.execPath, [BIN, 'config', 'show', '--config', good], { encoding: 'utf8', env });
  t.equal(show.status, 0);
  const origin = spawnSync(process.execPath, [BIN, 'config', 'show', '--origin', '--config', good], { encoding: 'utf8', env });
  t.equal(origin.status, 0);
  const bad = join(dir, 'bad.json');
  const badLayer = plant(9, 'E');
  (badLayer.layer.video as Record<string, unknown>).input = `ftp://usrESENTINELu:pwESENTINELp@h/x`;
  await writeFile(bad, JSON.stringify(badLayer.layer));
  const check = spawnSync(process.execPath, [BIN, 'config', 'check', bad], { encoding: 'utf8' });
  t.equal(check.status, 2);
  t.match(check.stderr, /video\.input/);
  const text = show.stdout + show.stderr + origin.stdout + check.stdout + check.stderr;
  for (const s of [...planted.sentinels, ...badLayer.sentinels]) t.notOk(text.includes(s), `${s} not printed`);
});
