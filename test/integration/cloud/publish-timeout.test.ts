import { join } from 'node:path';
import pino from 'pino';
import t, { type Test } from 'tap';
import { systemClock } from '../../../src/core/clock.js';
import { DEFAULT_CLOUD_CONFIG, type CloudConfig } from '../../../src/cloud/cloud-config.js';
import { MqttLink } from '../../../src/cloud/mqtt-link.js';
import { tempDir } from '../../helpers/tmp.js';
import { INFO } from './link-rig.js';
import { startScriptedPeer, type PeerConnection, type ScriptedPeer } from './scripted-peer.js';

// Keep-alive 1 s (mqtt.js's minimum): PUBACK timeout 1 s, dead-peer detection ≤ 1.5 s.
const KEEPALIVE_MS = 1_000;
const MAX_INFLIGHT = 10;
/** Timer and event-loop slack on a busy 2-core machine. */
const SLACK_MS = 400;

function linkTo(t: Test, peer: ScriptedPeer, dir: string, deviceId: string, extra: { random?: () => number; backoff?: CloudConfig['backoff'] } = {}): MqttLink {
  const link = new MqttLink({
    deviceId,
    config: {
      ...DEFAULT_CLOUD_CONFIG,
      url: peer.url,
      keepaliveS: KEEPALIVE_MS / 1000,
      backoff: extra.backoff ?? { minMs: 200, maxMs: 1_000, resetAfterMs: 30_000, startDelayMaxMs: 50 },
      drain: { messagesPerSecond: 500, bytesPerSecond: 2_000_000, maxInflight: MAX_INFLIGHT },
    },
    tls: {},
    outboxDir: join(dir, `outbox-${deviceId}`),
    handlers: {},
    deviceInfo: () => INFO,
    clock: systemClock,
    logger: pino({ level: process.env.CLOUD_TEST_LOG ?? 'silent' }),
    ...(extra.random ? { random: extra.random } : {}),
  });
  t.teardown(() => link.stop());
  return link;
}

const isEvent = (topic: string) => topic.includes('/event/');
const eventIds = (c: PeerConnection) => c.publishes.filter((p) => isEvent(p.topic)).map((p) => JSON.parse(p.payload.toString()).id as string);
const firstEventAt = (c: PeerConnection) => c.receivedAt[c.received.findIndex((p) => p.cmd === 'publish' && isEvent(p.topic))]!;

t.test('publish timeouts and dead connections (scripted broker)', async (t) => {
  const dir = await tempDir(t, 'cloud-timeout-');

  await t.test('an event whose PUBACK never comes is sent again after reconnect, with a bounded in-flight window', async (t) => {
    // The first three connections answer pings and ack status/info, but never ack an event:
    // keep-alive alone would keep them up forever.
    const WITHHOLD = 3;
    const peer = await startScriptedPeer(t, { ack: (p, conn) => conn >= WITHHOLD || !isEvent(p.topic), pong: () => true });
    const link = linkTo(t, peer, dir, 'CAMPUBACK');
    await link.start();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await link.publishEvent('motion', { seq: i });
      if (!r.ok) throw new Error(r.error.message);
      ids.push(r.value.id);
    }
    await peer.until(() => link.outboxStats().count === 0, 20_000, 'the outbox to drain once the peer acks');

    const conns = peer.connections;
    t.ok(conns.length >= WITHHOLD + 1, `reconnected after each stuck connection (${conns.length} connections)`);
    for (const c of conns.slice(0, WITHHOLD)) {
      t.same(eventIds(c), ids.slice(0, MAX_INFLIGHT), `connection ${c.index}: the ${MAX_INFLIGHT} oldest events and nothing more while none is acked`);
      const heldMs = c.closedAt! - firstEventAt(c);
      t.ok(heldMs >= KEEPALIVE_MS - 50 && heldMs <= KEEPALIVE_MS + SLACK_MS, `connection ${c.index} dropped ${heldMs.toFixed(0)} ms after its first un-acked event (PUBACK timeout ${KEEPALIVE_MS} ms)`);
    }
    const delivered = conns.slice(WITHHOLD).flatMap(eventIds);
    t.same(new Set(delivered), new Set(ids), 'every event arrived once the peer acked');
    t.equal(delivered.length, ids.length, 'each once on the acking connection');
    t.equal(link.outboxStats().dropped.total, 0, 'nothing dropped');
    t.equal(link.state, 'online');
  });

  await t.test('a silent broker is detected within keep-alive × 1.5 and reconnected with growing backoff', async (t) => {
    // Acks status/info, then never answers anything: no PINGRESP. Connection 3 behaves.
    const SILENT = 3;
    const peer = await startScriptedPeer(t, { ack: () => true, pong: (conn) => conn >= SILENT });
    // random = 0.999: the full-jitter delays become their ceilings (500, 1000, 2000 ms), so the growth is visible.
    const link = linkTo(t, peer, dir, 'CAMSILENT', { random: () => 0.999, backoff: { minMs: 500, maxMs: 4_000, resetAfterMs: 30_000, startDelayMaxMs: 50 } });
    await link.start();
    await peer.until(() => peer.connections.length > SILENT && link.state === 'online', 20_000, 'the link back on a live connection');
    const conns = peer.connections;
    const gaps: number[] = [];
    for (const c of conns.slice(0, SILENT)) {
      t.ok(c.pings >= 1, `connection ${c.index}: the link pinged`);
      const quietMs = c.closedAt! - c.lastSentAt;
      t.ok(quietMs <= 1.5 * KEEPALIVE_MS + SLACK_MS, `connection ${c.index}: dropped ${quietMs.toFixed(0)} ms after the broker went quiet (≤ 1.5 × keep-alive)`);
      t.ok(quietMs >= KEEPALIVE_MS, 'not before a ping could have been answered');
      gaps.push(conns[c.index + 1]!.connectedAt - c.closedAt!);
    }
    t.comment(`reconnect delays: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    [500, 1_000, 2_000].forEach((want, i) => t.ok(gaps[i]! >= want * 0.9 && gaps[i]! <= want + SLACK_MS, `delay ${i + 1} ≈ ${want} ms (backoff, not a fixed period)`));
  });
});
