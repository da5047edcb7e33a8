import { join } from 'node:path';

/**
 * The one place that knows where persistent state lives in the writable
 * data partition (`data.dir`). Everything the agent keeps across reboots
 * has its path here, so erasure, backups and firmware integrators have a
 * single list to read.
 */
export interface DataLayout {
  root: string;
  /** Runtime configuration changes (config/runtime-store.ts). */
  runtimeConfig: string;
  runtimeConfigLastGood: string;
  /** Device life-cycle facts: provisioned, bound (lifecycle/device-lifecycle.ts). */
  deviceState: string;
  /** Encrypted personal-data store and its wrapped key (store/). */
  secureDir: string;
  secureStore: string;
  secureStoreKey: string;
  /** Simulated HAL only: stands in for the board's device-unique secret. */
  simHardwareSecret: string;
  /** Alarm snapshots waiting for delivery (may show people: personal data). */
  spoolDir: string;
  /**
   * "Capture pending" markers: one small file per alarm whose image is being
   * made, so a power cut mid-capture still ends in a `failed` snapshot status
   * (src/alarm/pending-captures.ts). Alarm id and time only: not personal data.
   */
  alarmCaptureDir: string;
  /** Log files kept on flash (personal data after masking is still personal). */
  logsDir: string;
  /** Durable queue of QoS 1 cloud events (src/cloud/outbox.ts). */
  cloudOutboxDir: string;
  /**
   * Failed label-code proofs and the lockout they caused (AP mode, portal,
   * LAN bind). Kept across reboots and factory resets: otherwise a power
   * cycle would reset the guess counter.
   */
  provLockout: string;
  /** Technician API tokens: the MAC key's salt and the revoked ids (src/api/auth). */
  apiTokens: string;
  /** The local API's audit log and its previous file (src/api/audit); erased with personal data. */
  auditLog: string;
  /** The firmware update job in progress or last finished (src/ota): survives the reboot it causes. */
  otaJob: string;
  /** Default download spool for update images (ota.spoolDir overrides). */
  otaSpoolDir: string;
}

export function dataLayout(root: string): DataLayout {
  const secureDir = join(root, 'secure');
  return {
    root,
    runtimeConfig: join(root, 'config.json'),
    runtimeConfigLastGood: join(root, 'config.last-good.json'),
    deviceState: join(root, 'device-state.json'),
    secureDir,
    secureStore: join(secureDir, 'store.bin'),
    secureStoreKey: join(secureDir, 'store.key'),
    simHardwareSecret: join(root, 'sim', 'hardware-secret'),
    spoolDir: join(root, 'spool'),
    alarmCaptureDir: join(root, 'alarm-capture'),
    logsDir: join(root, 'logs'),
    cloudOutboxDir: join(root, 'cloud-outbox'),
    provLockout: join(root, 'prov-lockout.json'),
    apiTokens: join(root, 'api-tokens.json'),
    auditLog: join(root, 'audit', 'audit.jsonl'),
    otaJob: join(root, 'ota', 'job.json'),
    otaSpoolDir: join(root, 'ota', 'spool'),
  };
}
