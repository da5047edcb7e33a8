/**
 * The local API on the compiled agent: 20 concurrent TLS clients on
 * GET /v1/health and GET /v1/snapshot.jpg (the real capture → sharp
 * pipeline, one image at a time, so this is the camera's cost, not the
 * server's: scripts/bench/local-api.ts measures the server alone), and the
 * agent's RSS while a technician's console is open in a real browser with
 * the live picture refreshing every second. `npm run build` first.
 */
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:https';
import type { Test } from 'tap';
import { alarmRig, waitReady } from '../../test/helpers/alarm-rig.js';
import { median, percentile, report } from './report.js';

const CLIENTS = 20;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function get(agent: Agent, base: URL, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request({ host: base.hostname, port: base.port, path, agent, rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`${path} → ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function load(agent: Agent, base: URL, path: string, token: string, perClient: number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < perClient; i++) times.push(await get(agent, base, path, token));
    }),
  );
  return times;
}

export async function benchLocalApiAgent(): Promise<void> {
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => void cleanups.push(fn), comment: () => undefined } as unknown as Test;
  try {
    const r = await alarmRig(t);
    const d = r.start();
    await waitReady(r, d);
    const base = new URL(String((await d.waitForLog('local API and console listening', 10_000)).url));
    const token = (await r.request('api.token', { role: 'technician', subject: 'bench' })).data.token as string;
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS, rejectUnauthorized: false });
    await load(agent, base, '/v1/health', token, 2);
    const health = await load(agent, base, '/v1/health', token, 50);
    report(`local API on the agent: GET /v1/health, ${CLIENTS} concurrent TLS clients, p50`, median(health), 'ms', { p99: percentile(health, 99), n: health.length, goal: 'p99 ≤ 20' });
    const snaps = await load(agent, base, '/v1/snapshot.jpg', token, 2);
    report(`local API on the agent: GET /v1/snapshot.jpg (capture + sharp, queued one at a time), ${CLIENTS} concurrent, p50`, median(snaps), 'ms', { p99: percentile(snaps, 99), n: snaps.length });
    agent.destroy();

    const pid = d.child.pid!;
    const idle = rssMb(pid);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    cleanups.push(() => browser.close());
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${base.origin}/`);
    await page.locator('#token').fill(token);
    await page.locator('#login').click();
    await page.locator('#health li').first().waitFor();
    await page.locator('a[href="#snapshot"]').click();
    await page.locator('#snap-every').selectOption('1');
    let peak = idle;
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      peak = Math.max(peak, rssMb(pid));
      await new Promise((res) => setTimeout(res, 250));
    }
    report('local API on the agent: RSS with the console open (live picture every 1 s, 20 s)', peak, 'MB', { 'before the console': `${idle.toFixed(1)} MB`, after: `${rssMb(pid).toFixed(1)} MB` });
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchLocalApiAgent();
