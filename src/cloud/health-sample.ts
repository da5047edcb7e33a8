import { freemem, loadavg } from 'node:os';
import type { HealthPayload } from './payloads.js';

/** Process and system facts every Node process can read; the agent may add temperature and storage. */
export type HealthFacts = Pick<HealthPayload, 'uptimeS' | 'memory' | 'handles' | 'load' | 'cpuTempC' | 'storage'> & Record<string, unknown>;

export function processHealthFacts(): HealthFacts {
  const mem = process.memoryUsage();
  return {
    uptimeS: Math.round(process.uptime()),
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, systemFreeBytes: freemem() },
    // Live handles and requests (sockets, timers, child pipes): a count that only grows is a leak
    // the heap figure does not show; `npm run soak` fails on it.
    handles: process.getActiveResourcesInfo().length,
    load: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
