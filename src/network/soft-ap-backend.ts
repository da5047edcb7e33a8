/**
 * Picks the soft-AP implementation from `provisioning.ap.backend`: the
 * composition root's one call, so no other module needs to know the three
 * classes.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { SoftAp, SoftApBackend } from './soft-ap.js';
import { HostapdSoftAp } from './soft-ap-hostapd.js';
import { NmSoftAp } from './soft-ap-nm.js';
import { SimSoftAp } from './soft-ap-sim.js';

export interface SoftApBackendOptions {
  backend: SoftApBackend;
  logger: Logger;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** firmware-overlay's /etc/camera-agent/ap. */
  templatesDir?: string;
  /** $RUNTIME_DIRECTORY (tmpfs, 0700) on the camera. */
  runtimeDir?: string;
  /** hostapd backend: make the AP interface a virtual `__ap` interface of this radio (AP+STA concurrency). */
  virtualOf?: string | null;
  /** networkmanager backend: NM's dnsmasq-shared.d, writable by the agent; null = none (no captive DNS). */
  dnsmasqSharedDir?: string | null;
}

export function createSoftAp(o: SoftApBackendOptions): SoftAp {
  const common = {
    logger: o.logger,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.templatesDir ? { templatesDir: o.templatesDir } : {}),
    ...(o.runtimeDir ? { runtimeDir: o.runtimeDir } : {}),
  };
  switch (o.backend) {
    case 'hostapd':
      return new HostapdSoftAp({ ...common, virtualOf: o.virtualOf ?? null });
    case 'networkmanager':
      return new NmSoftAp({ ...common, ...(o.dnsmasqSharedDir !== undefined ? { dnsmasqSharedDir: o.dnsmasqSharedDir } : {}) });
    case 'sim':
      return new SimSoftAp();
  }
}
