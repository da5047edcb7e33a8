import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pino from 'pino';
import type { Test } from 'tap';
import { ConfigSync } from '../../../src/cloud/config-sync.js';
import { checkArgs, isOpName, pingHandler, type OpHandler, type OpHandlers } from '../../../src/cloud/ops.js';
import { OP_NAMES } from '../../../src/cloud/payload-schemas.js';
import { RequestHandler } from '../../../src/cloud/request-handler.js';
import { topicScheme, type TopicScheme } from '../../../src/cloud/topics.js';
import { EventBus } from '../../../src/core/bus.js';
import { ManualClock } from '../../../src/core/clock.js';
import { LiveConfig } from '../../../src/config/live-config.js';
import { loadConfig } from '../../../src/config/load.js';
import { maskConfig } from '../../../src/config/validate.js';
import { tempDir } from '../../helpers/tmp.js';
import { PersonalDataStore } from '../../../src/store/personal-data-store.js';
import { dataLayout } from '../../../src/storage/data-layout.js';

/**
 * The MQTT request path as the cloud link builds it (mqtt-link.ts start()):
 * the real RequestHandler over the real op registry (OP_ARG_SCHEMAS), with
 * the real `ping`, and `config.get` / `config.set` from a real ConfigSync
 * over a real LiveConfig (validation, atomic save to a temp data dir).
 * The ops that reach into other services (reboot, unbind, logs.upload,
 * snapshot, ota.start, talkback.*, api.token, bind.result…) get a recording
 * stand-in each: the property there is that nothing the schema refuses ever
 * reaches them. Their own argument parsers are fuzzed directly elsewhere
 * (parseOtaJob in device-inputs.test.ts).
 */
export const DEVICE_ID = 'CAM1';

export interface CloudRig {
  clock: ManualClock;
  scheme: TopicScheme;
  handler: RequestHandler;
  sync: ConfigSync;
  live: LiveConfig;
  /** Log lines the handler wrote (pino JSON). */
  lines: Array<Record<string, unknown>>;
  /** Args a stand-in received that the op's schema refuses: must stay empty. */
  leaked: Array<{ op: string; args: unknown }>;
  standInCalls: number;
}

export async function startCloudRig(t: Test): Promise<CloudRig> {
  const dir = await tempDir(t, 'fuzz-cloud-');
  const loaded = await loadConfig({ systemFile: join(dir, 'none.json'), env: { CAMERA_AGENT_DATA_DIR: join(dir, 'data'), CAMERA_AGENT_IDENTITY_DIR: join(dir, 'identity') } });
  const live = new LiveConfig(loaded, loaded.runtimeStore, new EventBus());
  // As in the agent: the personal-data store (real, with a random device key) holds the personal settings.
  const store = new PersonalDataStore({ layout: dataLayout(join(dir, 'data')), keys: { keyMaterial: async () => new Uint8Array(randomBytes(32)) }, deviceId: DEVICE_ID, logger: pino({ level: 'silent' }) });
  const opened = await store.open();
  if (!opened.ok) throw opened.error;
  await live.attachPersonalStore(store);
  const clock = new ManualClock();
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const scheme = topicScheme({ deviceId: DEVICE_ID });
  if (!scheme.ok) throw new Error(scheme.error.message);
  const sync = new ConfigSync({
    clock,
    applyConfig: (patch) => live.change(patch, 'cloud'),
    currentConfig: () => maskConfig(live.current) as unknown as Record<string, unknown>,
  });
  const rig: CloudRig = { clock, scheme: scheme.value, handler: null as unknown as RequestHandler, sync, live, lines, leaked: [], standInCalls: 0 };
  const standIn =
    (op: string): OpHandler =>
    (args) => {
      rig.standInCalls++;
      if (!isOpName(op) || checkArgs(op, args) !== null) rig.leaked.push({ op, args });
      return { ok: true, data: { recorded: op } };
    };
  const handlers: OpHandlers = {};
  for (const op of OP_NAMES) handlers[op] = standIn(op);
  handlers.ping = pingHandler(clock);
  handlers.info = () => ({ ok: true, data: { model: 'CAM100', serial: 'AC1234567890' } });
  handlers['config.get'] = sync.getHandler();
  handlers['config.set'] = sync.setHandler(() => undefined);
  rig.handler = new RequestHandler({ scheme: scheme.value, handlers, clock, logger, defaultTtlMs: 300_000 });
  return rig;
}
