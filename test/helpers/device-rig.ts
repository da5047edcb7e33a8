/**
 * What every daemon rig starts with: a unit provisioned the factory's way
 * (`factory provision`, signed by the test broker's CA, as in
 * test/integration/agent/cloud-agent.test.ts), and the cloud's side of the
 * request/response protocol.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Test } from 'tap';
import { factoryCommand } from '../../src/factory/factory-command.js';
import type { CloudClient, TestBroker } from './mosquitto.js';

export interface ProvisionedUnit {
  /** The factory partition: identity.json, key, certificate chain. */
  factoryDir: string;
  deviceId: string;
}

export async function provisionUnit(t: Test, dir: string, broker: TestBroker, serial: string, model = 'CAM100'): Promise<ProvisionedUnit> {
  const unit = join(dir, 'unit');
  const code = await factoryCommand(
    ['provision', '--serial', serial, '--model', model, '--out', unit, '--ca-key', join(broker.pki.dir, 'ca.key'), '--ca-cert', broker.pki.caPath],
    { out: () => undefined, err: (l) => t.comment(l) },
  );
  if (code !== 0) throw new Error('factory provision failed');
  const factoryDir = join(unit, 'factory');
  const { deviceId } = JSON.parse(await readFile(join(factoryDir, 'identity.json'), 'utf8')) as { deviceId: string };
  return { factoryDir, deviceId };
}

export type CloudResponse = { status: string; data?: any; error?: any };

/** Sends request ops as the cloud does and waits for the matching response. */
export function cloudRequester(cloud: CloudClient, deviceId: string, timeoutMs = 20_000): (op: string, args?: Record<string, unknown>) => Promise<CloudResponse> {
  return async (op, args = {}) => {
    const transaction = `${op}-${Math.random().toString(36).slice(2)}`;
    await cloud.client.publishAsync(`cam/${deviceId}/request/${op}`, JSON.stringify({ transaction, ts: Date.now(), args }), { qos: 1 });
    const res = await cloud.waitFor((m) => m.topic === `cam/${deviceId}/response/${op}` && m.json().transaction === transaction, timeoutMs, `${op} response`);
    return res.json() as CloudResponse;
  };
}
