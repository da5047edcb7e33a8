import { freemem, loadavg } from 'node:os';
import type { HealthPayload } from './payloads.js';

/** Process and system facts every Node process can read; the agent may add temperature and storage. */
export type HealthFacts = Pick<HealthPayload, 'uptimeS' | 'memory' | 'load' | 'cpuTempC' | 'storage'> & Record<string, unknown>;

export function processHealthFacts(): HealthFacts {
  const mem = process.memoryUsage();
  return {
    uptimeS: Math.round(process.uptime()),
    memory: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, systemFreeBytes: freemem() },
    load: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
