/**
 * WS-Discovery through node-onvif's startProbe(): 9 Probe datagrams
 * (3 types × 3 rounds, 150 ms apart) to 239.255.255.250:3702, then listen.
 *
 * node-onvif waits a fixed `_DISCOVERY_WAIT` (3000 ms) and offers no way to
 * stop early. We shorten it, but not below the ~1.35 s it takes to send all
 * 9 probes: stopProbe() closes the socket while its send loop may still be
 * running, and the next send would then hit a null socket and throw outside
 * any promise. Its send errors are ignored, so a host without a multicast
 * route finds nothing rather than failing (test-rigs.md §1).
 */
import onvif from 'node-onvif';
import { OnvifError } from './onvif-error.js';
import { toDiscoveredDevice } from './onvif-parse.js';
import type { DiscoveredDevice } from './onvif-types.js';

export const discoveryLimits = { minMs: 1_500, defaultMs: 2_000, maxMs: 30_000 } as const;

// node-onvif's discovery state is a module singleton: one probe at a time.
let queue: Promise<unknown> = Promise.resolve();

export function discoverOnvif(options: { timeoutMs?: number } = {}): Promise<DiscoveredDevice[]> {
  const wait = Math.min(discoveryLimits.maxMs, Math.max(discoveryLimits.minMs, options.timeoutMs ?? discoveryLimits.defaultMs));
  const run = queue.then(async () => {
    onvif._DISCOVERY_WAIT = wait;
    try {
      const matches = await onvif.startProbe();
      return matches.map(toDiscoveredDevice);
    } catch (err) {
      throw new OnvifError('onvif_discovery_failed', `WS-Discovery failed: ${(err as Error).message}`);
    }
  });
  queue = run.catch(() => undefined);
  return run;
}
