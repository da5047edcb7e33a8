// Child process for the spool kill test: adds entries forever and prints
// "ack <id>" once add() resolved; every third entry it also delivers the
// oldest: "delivering <id>" before markDelivered, "gone <id>" after. The parent SIGKILLs it at arbitrary points.
import pino from 'pino';
import { createHash } from 'node:crypto';
import { systemClock } from '../../src/core/clock.js';
import { SnapshotSpool } from '../../src/alarm/snapshot-spool.js';

const dir = process.argv[2]!;
const startAt = Number(process.argv[3] ?? 0);
/** Fixed sealing key shared with the parent test (the agent's comes from the personal-data store). */
export const TEST_SPOOL_KEY = new Uint8Array(32).fill(0x3c);

const spool = new SnapshotSpool({
  dir,
  key: async () => TEST_SPOOL_KEY,
  clock: systemClock,
  logger: pino({ level: 'silent' }),
  limits: () => ({ maxBytes: 512 * 1024 * 1024, maxCount: 100_000, retentionMs: 3_600_000, purgeIntervalMs: 60_000 }),
});

/** Deterministic bytes per id, so the parent can verify every byte. */
export function bytesFor(id: string, n: number): Buffer {
  const seed = createHash('sha256').update(id).digest();
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = seed[i % 32]! ^ (i & 0xff);
  return out;
}

if (process.argv[2]) {
  const started = await spool.start();
  if (!started.ok) throw new Error(started.error.message);
  for (let i = startAt; ; i++) {
    const id = `ev${i}`;
    const r = await spool.add({
      id,
      createdAt: Date.now(),
      source: 'onvif',
      lowRes: false,
      jpeg: bytesFor(id, 60_000 + (i % 7) * 1000),
      thumbnail: bytesFor(`${id}t`, 5_000),
      size: { width: 1280, height: 720 },
      thumbnailSize: { width: 320, height: 180 },
    });
    if (!r.ok) throw new Error(r.error.message);
    process.stdout.write(`ack ${id}\n`);
    if (i % 3 === 2) {
      const next = await spool.takeNextDue();
      if (next.ok && next.value) {
        // Announced first: a kill during markDelivered may or may not have deleted it.
        process.stdout.write(`delivering ${next.value.meta.id}\n`);
        const d = await spool.markDelivered(next.value.meta.id);
        if (d.ok) process.stdout.write(`gone ${next.value.meta.id}\n`);
      }
    }
  }
}
