import { join } from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { DEFAULT_CLOUD_CONFIG, type CloudConfig } from '../../../src/cloud/cloud-config.js';
import { MqttLink, type MqttLinkOptions } from '../../../src/cloud/mqtt-link.js';
import type { ConfigApplyResult } from '../../../src/cloud/config-sync.js';
import type { InfoPayload } from '../../../src/cloud/payloads.js';
import type { TestBroker } from '../../helpers/mosquitto.js';

export const INFO: InfoPayload = {
  model: 'CAM-1',
  serial: 'SN0001',
  firmwareVersion: '1.0.0',
  agentVersion: '0.1.0',
  mac: '**:**:**:4d:5e:6f',
  capabilities: ['motion', 'talkback'],
};

/** Test config: short backoff so reconnects after a broker restart take ~1 s, not up to 2 min. */
export function testConfig(broker: TestBroker, patch: Partial<CloudConfig> = {}): CloudConfig {
  return {
    ...DEFAULT_CLOUD_CONFIG,
    url: broker.url,
    backoff: { minMs: 200, maxMs: 1_000, resetAfterMs: 30_000, startDelayMaxMs: 50 },
    drain: { messagesPerSecond: 500, bytesPerSecond: 2_000_000, maxInflight: 50 },
    ...patch,
  };
}

/**
 * A config store with LiveConfig's contract: validate every field, change
 * all or nothing. Two known keys are enough to show the contract.
 */
export function fakeConfigStore() {
  const current: Record<string, any> = { motion: { sensitivity: 50 }, device: { language: 'en' } };
  const calls: unknown[] = [];
  return {
    current,
    calls,
    async applyConfig(patch: Record<string, unknown>): Promise<ConfigApplyResult> {
      calls.push(patch);
      const rejected: ConfigApplyResult['rejected'] = [];
      const applied: string[] = [];
      const next = structuredClone(current);
      for (const [section, values] of Object.entries(patch)) {
        if (!(section in current) || typeof values !== 'object' || values === null) {
          rejected.push({ path: section, code: 'unknown_key', rule: 'is not a known configuration key' });
          continue;
        }
        for (const [k, v] of Object.entries(values)) {
          const path = `${section}.${k}`;
          if (path === 'motion.sensitivity' && !(typeof v === 'number' && v >= 0 && v <= 100)) rejected.push({ path, code: 'invalid_value', rule: 'must be an integer 0 … 100' });
          else if (path === 'device.language' && !(typeof v === 'string' && ['en', 'de'].includes(v))) rejected.push({ path, code: 'invalid_value', rule: 'must be one of en, de' });
          else if (!(k in current[section])) rejected.push({ path, code: 'unknown_key', rule: 'is not a known configuration key' });
          else if (next[section][k] !== v) {
            next[section][k] = v;
            applied.push(path);
          }
        }
      }
      if (rejected.length) return { applied: [], restartRequired: [], pinned: [], rejected };
      Object.assign(current, next);
      return { applied, restartRequired: [], pinned: [], rejected: [] };
    },
    currentConfig: () => structuredClone(current),
  };
}

export async function startLink(
  t: Test,
  broker: TestBroker,
  dir: string,
  opts: { deviceId?: string; config?: Partial<CloudConfig>; extra?: Partial<MqttLinkOptions>; waitOnline?: boolean } = {},
): Promise<MqttLink> {
  const deviceId = opts.deviceId ?? 'CAM0001';
  const id = await broker.pki.client(deviceId);
  const link = new MqttLink({
    deviceId,
    config: testConfig(broker, opts.config),
    tls: { ca: broker.pki.ca, cert: id.cert, key: id.key },
    outboxDir: join(dir, `outbox-${deviceId}`),
    handlers: {},
    deviceInfo: () => INFO,
    clock: systemClock,
    logger: pino({ level: process.env.CLOUD_TEST_LOG ?? 'silent' }),
    ...opts.extra,
  });
  await link.start();
  t.teardown(() => link.stop());
  if (opts.waitOnline !== false) await waitForLink(link, 'online');
  return link;
}

export function waitForLink(link: MqttLink, state: 'online' | 'offline' | 'stopped', timeoutMs = 10_000): Promise<void> {
  if (link.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`link not ${state} within ${timeoutMs} ms (is ${link.state})`));
    }, timeoutMs);
    const off = link.on(state, () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}
