/**
 * The "capture pending" marker (src/alarm/pending-captures.ts) and how the alarm
 * service uses it: a marker is on flash before the alarm event, goes once the image
 * is spooled or a `failed` status is queued, and a marker a dead agent left becomes
 * exactly one `failed` / `capture_interrupted` at the next start. The SIGKILL suite
 * (test/resilience/faults/kill-alarms.test.ts) checks the same end to end.
 */
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventBus } from '../../../src/core/bus.js';
import { ManualClock } from '../../../src/core/clock.js';
import { AlarmService, type AlarmServiceDeps } from '../../../src/alarm/alarm-service.js';
import { PendingCaptures } from '../../../src/alarm/pending-captures.js';
import { dataLayout } from '../../../src/storage/data-layout.js';
import { tempDir } from '../../helpers/tmp.js';

const logger = pino({ level: 'silent' });
const id = (n: number): string => n.toString(16).padStart(32, '0');

async function captureDir(t: Test): Promise<string> {
  return dataLayout(await tempDir(t)).alarmCaptureDir;
}

t.test('a marker is written atomically, listed oldest first after a restart, and removed by clear', async (t) => {
  const dir = await captureDir(t);
  const a = new PendingCaptures({ dir, logger });
  t.same(await a.open(), [], 'a fresh folder holds no marker');
  t.equal(await a.mark(id(2), 2000), true);
  t.equal(await a.mark(id(1), 1000), true);
  t.same(JSON.parse(await readFile(join(dir, `${id(1)}.pending`), 'utf8')), { v: 1, alarmId: id(1), at: 1000 }, 'id and time only');
  // What a kill in the middle of writeFileAtomic leaves, and a file that is not ours.
  await writeFile(join(dir, `.${id(3)}.pending.123.abcd.tmp`), '{"v":1');
  await writeFile(join(dir, 'notes.txt'), 'x');
  const b = new PendingCaptures({ dir, logger });
  t.same(await b.open(), [{ alarmId: id(1), at: 1000 }, { alarmId: id(2), at: 2000 }], 'the next life finds both, oldest first');
  t.notOk(existsSync(join(dir, `.${id(3)}.pending.123.abcd.tmp`)), 'the temp file of a cut write is removed');
  await b.clear(id(1));
  await b.clear(id(1));
  t.same((await readdir(dir)).sort(), [`${id(2)}.pending`, 'notes.txt'], 'cleared once, clearing again is harmless');
  t.equal(b.count(), 1);
});

t.test('markers are bounded: beyond the limit an alarm gets none and the folder does not grow', async (t) => {
  const dir = await captureDir(t);
  const m = new PendingCaptures({ dir, logger, limit: 3 });
  await m.open();
  for (let i = 1; i <= 5; i++) await m.mark(id(i), i);
  t.equal((await readdir(dir)).length, 3, 'three markers on flash, not five');
  t.equal(m.skipped(), 2);
  await m.clear(id(1));
  t.equal(await m.mark(id(6), 6), true, 'room again once one is cleared');
  t.equal(await m.mark('not-an-alarm-id', 7), false, 'a name that is not an alarm id is refused');
});

interface Published {
  type: string;
  data: Record<string, any>;
  /** Marker files on flash at the moment of publishing. */
  markers: string[];
}

type CaptureMode = 'hang' | 'fail' | 'ok';

/** The alarm service with its real marker store; every other part is a small fake. */
async function service(t: Test, dir: string, o: { capture: CaptureMode; snapshots?: boolean; spooled?: string[]; cloudOff?: () => boolean }) {
  const bus = new EventBus();
  const clock = new ManualClock();
  const published: Published[] = [];
  const onlineListeners: Array<() => void> = [];
  const spool = new Set(o.spooled ?? []);
  const captures = new PendingCaptures({ dir, logger });
  let snapshots = o.snapshots ?? true;
  const deps = {
    bus,
    clock,
    logger,
    settings: () => ({ enabled: true, snapshots, delivery: 'https', maxPerMinute: 100, privacyMode: false }),
    frames: { on: () => () => undefined },
    analysis: { pause: async () => undefined, resume: async () => undefined },
    shutterClosed: () => false,
    ring: { clear: () => undefined, push: () => undefined },
    capture: {
      capture: () =>
        o.capture === 'hang'
          ? new Promise(() => undefined) // the kill comes before the capture ends
          : Promise.resolve(
              o.capture === 'fail'
                ? { ok: false, error: { code: 'snapshot_unavailable', message: 'no frame', attempts: [] } }
                : { ok: true, value: { frame: {}, source: 'pre-event', attempts: [], ms: 1 } },
            ),
    },
    processor: {
      start: async () => undefined,
      process: async () => ({ ok: true, value: { jpeg: Buffer.from('jpeg'), thumbnail: Buffer.from('thumb'), size: { width: 8, height: 8 }, thumbnailSize: { width: 4, height: 4 }, lowRes: true } }),
    },
    spool: {
      start: async () => ({ ok: true, value: {} }),
      stop: () => undefined,
      removeAll: async () => 0,
      stats: () => ({}),
      ids: () => [...spool],
      add: async (e: { id: string }) => {
        spool.add(e.id);
        return { ok: true, value: {} };
      },
    },
    delivery: { start: () => undefined, stop: () => undefined, stats: () => ({}), kick: () => undefined },
    uploadUrls: { cancelAll: () => undefined },
    link: {
      publishEvent: async (type: string, data: Record<string, any>) => {
        if (o.cloudOff?.()) return { ok: false, code: 'cloud_off' };
        published.push({ type, data, markers: await readdir(dir).catch(() => []) });
        return { ok: true, id: `ev${published.length}` };
      },
      snapshotTopic: (alarmId: string) => `snap/${alarmId}`,
      onOnline: (l: () => void) => {
        onlineListeners.push(l);
        return () => undefined;
      },
    },
    captures,
  } as unknown as AlarmServiceDeps;
  const s = new AlarmService(deps);
  await s.start();
  t.teardown(() => s.stop());
  return {
    s,
    published,
    spool,
    captures,
    setSnapshots: (v: boolean) => (snapshots = v),
    online: async () => {
      onlineListeners.forEach((l) => l());
      await settle();
    },
  };
}

const settle = (): Promise<void> => new Promise((res) => setTimeout(res, 20));
const statuses = (p: Published[]): Array<Record<string, any>> => p.filter((e) => e.type === 'snapshot').map((e) => e.data);

t.test('an alarm killed mid-capture ends in exactly one failed / capture_interrupted at the next start', async (t) => {
  const dir = await captureDir(t);
  const first = await service(t, dir, { capture: 'hang' });
  const raised = await first.s.requestSnapshot();
  t.ok(raised.ok && raised.data.snapshot === 'pending');
  const alarmId = raised.ok ? raised.data.alarmId : '';
  const event = first.published.find((e) => e.type === 'alarm')!;
  t.same(event.markers, [`${alarmId}.pending`], 'the marker is on flash before the alarm event is published');
  t.same(statuses(first.published), [], 'no status while the capture runs');
  // "Killed": the first service is simply abandoned; a new one starts on the same partition.
  const second = await service(t, dir, { capture: 'ok' });
  t.same(statuses(second.published), [{ alarmId, state: 'failed', delivery: 'https', attempts: 0, code: 'capture_interrupted' }], 'one failed status with the code, no image field');
  t.same(await readdir(dir), [], 'the marker is gone once the status is queued');
  const third = await service(t, dir, { capture: 'ok' });
  t.same(statuses(third.published), [], 'a further restart reports nothing again');
});

t.test('an interrupted alarm whose image was already spooled gets no capture_interrupted: the delivery reports it', async (t) => {
  const dir = await captureDir(t);
  const first = await service(t, dir, { capture: 'hang' });
  const raised = await first.s.requestSnapshot();
  const alarmId = raised.ok ? raised.data.alarmId : '';
  const second = await service(t, dir, { capture: 'ok', spooled: [alarmId] });
  t.same(statuses(second.published), [], 'no failed status for an image in the spool');
  t.same(await readdir(dir), [], 'and the marker is cleared');
});

t.test('a completed or failed capture leaves no marker and nothing to report at the next start', async (t) => {
  const dir = await captureDir(t);
  const ok = await service(t, dir, { capture: 'ok' });
  const a = await ok.s.requestSnapshot();
  await settle();
  t.ok(a.ok && ok.spool.has(a.data.alarmId), 'the image is spooled');
  t.same(await readdir(dir), [], 'marker removed once the image is spooled');
  const failing = await service(t, dir, { capture: 'fail' });
  const b = await failing.s.requestSnapshot();
  await settle();
  t.same(statuses(failing.published), [{ alarmId: b.ok ? b.data.alarmId : '', state: 'failed', delivery: 'https', attempts: 0, code: 'snapshot_unavailable' }], 'a capture failure reports its own code');
  t.same(await readdir(dir), [], 'marker removed once the failed status is queued');
  const next = await service(t, dir, { capture: 'ok' });
  t.same(statuses(next.published), [], 'nothing reported as interrupted');
});

t.test('with the cloud link not up yet at start the marker stays and is reported on the next connect', async (t) => {
  const dir = await captureDir(t);
  const first = await service(t, dir, { capture: 'hang' });
  const raised = await first.s.requestSnapshot();
  const alarmId = raised.ok ? raised.data.alarmId : '';
  let off = true;
  const second = await service(t, dir, { capture: 'ok', cloudOff: () => off });
  t.same(await readdir(dir), [`${alarmId}.pending`], 'kept on flash while the status cannot be queued');
  off = false;
  await second.online();
  t.same(statuses(second.published).map((d) => [d.alarmId, d.code]), [[alarmId, 'capture_interrupted']], 'queued once the link is up');
  await second.online();
  t.equal(statuses(second.published).length, 1, 'a second connect sends it no second time');
  t.same(await readdir(dir), []);
});

t.test('with alarm snapshots off no marker is written and no snapshot status goes out', async (t) => {
  const dir = await captureDir(t);
  const off = await service(t, dir, { capture: 'hang', snapshots: false });
  const raised = await off.s.requestSnapshot();
  t.ok(raised.ok && raised.data.snapshot === 'off');
  t.same(off.published.find((e) => e.type === 'alarm')!.markers, [], 'no marker for an alarm that promises no image');
  const next = await service(t, dir, { capture: 'ok', snapshots: false });
  t.same(statuses(next.published), [], 'nothing to report');
});

t.test('a marker left from before snapshots were switched off is still resolved, without any image field', async (t) => {
  const dir = await captureDir(t);
  const on = await service(t, dir, { capture: 'hang' });
  const raised = await on.s.requestSnapshot();
  const next = await service(t, dir, { capture: 'ok', snapshots: false });
  const st = statuses(next.published);
  t.same(st.map((d) => [d.alarmId, d.state, d.code]), [[raised.ok ? raised.data.alarmId : '', 'failed', 'capture_interrupted']], 'the alarm promised an image: it gets its final status');
  t.same(Object.keys(st[0]!).sort(), ['alarmId', 'attempts', 'code', 'delivery', 'state'], 'no bytes, size, source or lowRes');
});

t.test('a capture finishing after snapshots were switched off clears its marker', async (t) => {
  const dir = await captureDir(t);
  const svc = await service(t, dir, { capture: 'ok' });
  svc.setSnapshots(true);
  const raised = svc.s.requestSnapshot();
  svc.setSnapshots(false);
  await raised;
  await settle();
  t.same(svc.spool.size, 0, 'the image is discarded');
  t.same(await readdir(dir), [], 'and its marker too, so no capture_interrupted follows');
});
