/**
 * The final `delivered` status must be on flash (in the outbox) before the spool entry is
 * deleted: the SIGKILL suite (test/resilience/faults/kill-alarms.test.ts) found images
 * uploaded whose `delivered` status never came, because the entry went first and the kill
 * landed before the status was queued. Killed between status and delete, the image is sent
 * and reported once more instead (at least once, docs/protocol.md).
 */
import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import { SnapshotDelivery } from '../../../src/alarm/snapshot-delivery.js';
import { UploadUrlRequests } from '../../../src/alarm/upload-url-requests.js';
import type { SnapshotSpool } from '../../../src/alarm/snapshot-spool.js';
import type { AlarmLink } from '../../../src/alarm/alarm-link.js';

const logger = pino({ level: 'silent' });

t.test('a delivered snapshot is reported before its spool entry is deleted', async (t) => {
  const clock = new ManualClock();
  const steps: string[] = [];
  const id = 'a'.repeat(32);
  const meta = { id, attempts: 0, source: 'grab', lowRes: false, image: { bytes: 4, sha256: 'x', width: 8, height: 8 }, thumbnail: { bytes: 2, sha256: 'y', width: 4, height: 4 } };
  let taken = false;
  const spool = {
    takeNextDue: async () => {
      if (taken) return { ok: true, value: null };
      taken = true;
      return { ok: true, value: { meta, jpeg: Buffer.from('jpeg'), thumbnail: Buffer.from('th') } };
    },
    nextDueAt: () => null,
    markDelivered: async (x: string) => {
      steps.push(`spool entry ${x === id ? 'deleted' : 'other'}`);
      return { ok: true, value: undefined };
    },
    markFailed: async () => ({ ok: true, value: meta }),
  } as unknown as SnapshotSpool;
  const link: AlarmLink = {
    online: () => true,
    onOnline: () => () => undefined,
    snapshotTopic: (a) => `snap/${a}`,
    publishSnapshot: async (_a, part) => {
      steps.push(`published ${part}`);
    },
    publishEvent: async (type, data) => {
      steps.push(`${type} ${String(data.state)} queued`);
      return { ok: true, id: 'ev' };
    },
  };
  const delivery = new SnapshotDelivery({
    spool,
    link,
    uploadUrls: new UploadUrlRequests(clock),
    config: () => ({ delivery: 'mqtt', enabled: true, mqttMaxPayloadBytes: 131072, urlTimeoutMs: 1000, uploadTimeoutMs: 1000, caFile: '', retry: { minMs: 5000, maxMs: 600_000 } }),
    clock,
    logger,
  });
  delivery.start();
  t.teardown(() => delivery.stop());
  for (let i = 0; i < 50 && steps.length < 4; i++) await new Promise((res) => setImmediate(res));
  t.same(steps, ['published image', 'published thumb', 'snapshot delivered queued', 'spool entry deleted'], 'image, thumbnail, then the status, and only then the delete');
});
