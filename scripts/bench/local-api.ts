// Benchmark: the local API over TLS on loopback, 20 concurrent keep-alive
// clients, as the field technician's console and a few curl loops would
// load it. GET /v1/health (goal p99 ≤ 20 ms) and GET /v1/snapshot.jpg with a
// fake action returning a 60 KB JPEG, so the figure is the server's own cost
// (TLS, auth hook, routing, write), not the camera's.
import { request, Agent } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalApi } from '../../src/api/server/local-api.js';
import { createPki } from '../../test/helpers/pki.js';
import { fakeActions, fakeAuth, recordingAudit, TOKENS } from '../../test/integration/api/server/local-api-rig.js';
import { median, percentile, report } from './report.js';

const CLIENTS = 20;
const PER_CLIENT = 50;

function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: '127.0.0.1', port, servername: 'localhost', path, agent, headers: { authorization: `Bearer ${TOKENS.technician}` } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${path} → ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function load(agent: Agent, port: number, path: string): Promise<{ times: number[]; wallMs: number }> {
  const times: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < PER_CLIENT; i++) times.push(await get(agent, port, path));
    }),
  );
  return { times, wallMs: performance.now() - t0 };
}

export async function benchLocalApi(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-local-api-'));
  const pki = await createPki(dir);
  const actions = fakeActions();
  const api = await startLocalApi({ cert: pki.server.cert, key: pki.server.key, bindHost: '127.0.0.1', port: 0, auth: fakeAuth(), audit: recordingAudit(), actions });
  // One socket per client, as 20 separate browsers/curl loops would have.
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS, ca: pki.ca });
  try {
    // Warm-up: TLS handshakes for every socket, JIT of the routes.
    await load(agent, api.port, '/v1/health');
    await load(agent, api.port, '/v1/snapshot.jpg');
    const rssBefore = process.memoryUsage().rss;
    for (const [path, goal] of [['/v1/health', '≤ 20 ms'], ['/v1/snapshot.jpg', '']] as const) {
      const { times, wallMs } = await load(agent, api.port, path);
      const extra: Record<string, string | number> = { p99: percentile(times, 99), max: Math.max(...times), 'req/s': (times.length / wallMs) * 1000 };
      report(`local API: GET ${path}, ${CLIENTS} concurrent TLS clients, ${times.length} requests, p50`, median(times), 'ms', extra);
      report(`local API: GET ${path} p99`, percentile(times, 99), 'ms', goal ? { goal: `p99 ${goal}` } : { body: `${(actions.jpeg.length / 1024).toFixed(0)} KB` });
    }
    report('local API: RSS after the runs', process.memoryUsage().rss / 1048576, 'MB', { before: `${(rssBefore / 1048576).toFixed(1)} MB` });
  } finally {
    agent.destroy();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchLocalApi();
