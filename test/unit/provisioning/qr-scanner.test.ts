import { EventEmitter } from 'node:events';
import pino from 'pino';
import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { encodeLabelPayload } from '../../../src/factory/label-payload.js';
import type { LumaImage } from '../../../src/media/qr/zxing-reader.js';
import { classifyQrText } from '../../../src/provisioning/payload/qr-payload.js';
import { QrScanner, zxingScanDecoder, type QrDecoder, type QrFrame, type QrRead, type QrRejection } from '../../../src/provisioning/qr-scanner.js';
import { renderScene, type LumaFrame, type SceneQr } from '../../helpers/qr-scene.js';

// Real zxing on generated frames; the clock is manual, so "10 s in front of
// the lens" and "20 frames a second" are exact and take no wall time.

const PHONE_A = 'PRV1:T:WPA;S:MyHomeNetwork;P:correct%20horse%20battery;B:K7Q2M9XW4T8ZR3HJ6N1BPC5VDA;C:EU;X:13728406;;';
const PHONE_B = 'WIFI:T:WPA;S:Garden Shed;P:tomato-plants-42;;';
/** PHONE_A with one CRC digit changed: a provisioning code we refuse (crc_mismatch). */
const TAMPERED = PHONE_A.replace('X:13728406', 'X:13728407');
const LABEL = encodeLabelPayload({ model: 'CAM100', serial: 'AC1234567890', code: '7KQ2M9XWV', passphrase: 'K7Q2M9XW4T8Z', fingerprint: 'ZK3Q9T2MX0AP4D7R' });
const POSTER = 'https://example.com/menu?table=12';
/** Strings that must never reach a log line. */
const SECRETS = ['correct', 'horse', 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', 'tomato', '7KQ2M9XWV', 'K7Q2M9XW4T8Z', 'Garden Shed', 'MyHomeNetwork', 'table=12'];

const phone = (text: string): SceneQr => ({ kind: 'phone', text, qrPx: 190, at: [0.5, 0.5], tiltDeg: 8, contrast: 0.8 });

const frames = new Map<string, LumaFrame>();
t.before(async () => {
  const specs: Record<string, SceneQr[]> = {
    a: [phone(PHONE_A)],
    b: [phone(PHONE_B)],
    tampered: [phone(TAMPERED)],
    label: [{ kind: 'label', text: LABEL, qrPx: 170, at: [0.5, 0.5], tiltDeg: 5 }],
    poster: [{ kind: 'label', text: POSTER, qrPx: 150, at: [0.4, 0.5] }],
    labelAndPhone: [
      { kind: 'label', text: LABEL, qrPx: 150, at: [0.25, 0.55], tiltDeg: 10 },
      { kind: 'phone', text: PHONE_A, qrPx: 170, at: [0.72, 0.45], tiltDeg: 5 },
    ],
    empty: [],
  };
  let seed = 1;
  for (const [name, codes] of Object.entries(specs)) frames.set(name, await renderScene({ width: 640, height: 360, codes, blurSigma: 0.5, seed: seed++ }));
});

class FakeFrames {
  readonly #events = new EventEmitter();
  #seq = 0;
  constructor(readonly clock: ManualClock) {}
  on(name: 'frame', listener: (frame: QrFrame) => void): () => void {
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }
  listeners(): number {
    return this.#events.listenerCount('frame');
  }
  emit(name: string): void {
    const f = frames.get(name)!;
    this.#events.emit('frame', { ...f, seq: this.#seq++, ptsMs: this.clock.monotonic() });
  }
}

/** The real zxing decoder, with a handle on each decode so a test can wait for it (and, if asked, hold it). */
class WatchedDecoder implements QrDecoder {
  readonly pending: Promise<unknown>[] = [];
  gate: Promise<void> | null = null;
  prepare(): Promise<void> {
    return zxingScanDecoder.prepare();
  }
  decode(frame: LumaImage): Promise<string[]> {
    const gate = this.gate;
    const p = zxingScanDecoder.decode(frame).then(async (texts) => {
      if (gate) await gate;
      return texts;
    });
    this.pending.push(p.catch(() => undefined));
    return p;
  }
  /** Resolves once every decode started so far has been handled by the scanner. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function rig(ratePerSecond?: number) {
  const clock = new ManualClock();
  const source = new FakeFrames(clock);
  const decoder = new WatchedDecoder();
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  const beeps: string[] = [];
  const scanner = new QrScanner({
    frames: source,
    classify: classifyQrText,
    clock,
    logger,
    decoder,
    onBeep: (what) => beeps.push(what),
    ...(ratePerSecond !== undefined ? { ratePerSecond } : {}),
  });
  const reads: QrRead[] = [];
  const rejections: QrRejection[] = [];
  scanner.on('read', (r) => reads.push(r));
  scanner.on('rejected', (r) => rejections.push(r));
  /** Shows `name` for `seconds` at `fps`, letting each decode finish before the next frame (a fast decoder). */
  async function show(name: string, seconds: number, fps = 4): Promise<void> {
    const n = Math.round(seconds * fps);
    for (let i = 0; i < n; i++) {
      source.emit(name);
      await decoder.settled();
      clock.advance(1000 / fps);
    }
  }
  const logs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { clock, source, decoder, scanner, reads, rejections, beeps, lines, logs, show };
}

t.test('the test frames classify as intended', async (t) => {
  t.equal(classifyQrText(PHONE_A).kind, 'provisioning');
  t.equal(classifyQrText(PHONE_B).kind, 'provisioning');
  const tampered = classifyQrText(TAMPERED);
  t.equal(tampered.kind === 'rejected' && tampered.code, 'crc_mismatch');
  t.equal(classifyQrText(LABEL).kind, 'own-label');
  t.same(classifyQrText(POSTER), { kind: 'unrelated', what: 'url' });
});

t.test('a code held in front of the lens for 10 s is read once, with one beep', async (t) => {
  const r = rig();
  await r.scanner.start();
  await r.show('a', 10);
  t.equal(r.reads.length, 1);
  t.equal(r.reads[0]!.payload.wifi.ssid, 'MyHomeNetwork');
  t.equal(r.reads[0]!.payload.wifi.password, 'correct horse battery');
  t.same(r.reads[0]!.payload.binding, { token: 'K7Q2M9XW4T8ZR3HJ6N1BPC5VDA', region: 'EU' });
  t.equal(r.reads[0]!.frameSeq, 0, 'read from the first frame');
  t.same(r.beeps, ['read']);
  const stats = r.scanner.stats();
  t.equal(stats.framesSeen, 40);
  t.equal(stats.framesDecoded, 40);
  t.equal(stats.reads, 1);
  t.equal(stats.codes, 1);
  t.ok(stats.decodeMsMedian !== null && stats.decodeMsMax !== null);
  t.equal(r.logs().filter((l) => l.msg === 'qr: provisioning code read').length, 1);
  await r.scanner.stop();
});

t.test('each distinct code is read once: A, B, A again, then B after forget()', async (t) => {
  const r = rig();
  await r.scanner.start();
  await r.show('a', 2);
  await r.show('empty', 1);
  await r.show('b', 2);
  await r.show('a', 2);
  t.same(r.reads.map((x) => x.payload.wifi.ssid), ['MyHomeNetwork', 'Garden Shed']);
  r.scanner.forget();
  await r.show('b', 1);
  t.same(r.reads.map((x) => x.payload.wifi.ssid), ['MyHomeNetwork', 'Garden Shed', 'Garden Shed'], 'after forget() the same code counts as new');
  await r.scanner.stop();
});

t.test('frames beyond the rate are dropped, not queued: 20 fps for 10 s gives about 4 decodes a second', async (t) => {
  const r = rig(4);
  await r.scanner.start();
  await r.show('empty', 10, 20);
  const stats = r.scanner.stats();
  t.equal(stats.framesSeen, 200);
  t.ok(stats.framesDecoded >= 39 && stats.framesDecoded <= 41, `decoded ${stats.framesDecoded}`);
  t.equal(stats.framesDroppedRate, 200 - stats.framesDecoded);
  t.equal(stats.framesDroppedBusy, 0);
  await r.scanner.stop();
});

t.test('a source at exactly the rate, with jitter, is not thinned by the limit', async (t) => {
  const r = rig(4);
  await r.scanner.start();
  for (let i = 0; i < 20; i++) {
    r.source.emit('empty');
    await r.decoder.settled();
    r.clock.advance(i % 2 ? 270 : 230); // 4 fps on average, ±20 ms
  }
  t.equal(r.scanner.stats().framesDecoded, 20);
  await r.scanner.stop();
});

t.test('a frame that arrives while a decode runs is dropped', async (t) => {
  const r = rig(4);
  await r.scanner.start();
  let open!: () => void;
  r.decoder.gate = new Promise<void>((resolve) => (open = resolve));
  r.source.emit('empty');
  r.clock.advance(1000);
  r.source.emit('a'); // decoder busy: dropped, even though the rate allows it
  r.clock.advance(1000);
  r.source.emit('a');
  r.decoder.gate = null;
  open();
  await r.decoder.settled();
  t.equal(r.scanner.stats().framesDroppedBusy, 2);
  t.equal(r.reads.length, 0, 'the code was only in dropped frames');
  r.source.emit('a');
  await r.decoder.settled();
  t.equal(r.reads.length, 1);
  t.equal(r.scanner.stats().framesDecoded, 2);
  await r.scanner.stop();
});

t.test('our own label and unrelated codes are ignored, logged once at debug without their text', async (t) => {
  const r = rig();
  await r.scanner.start();
  await r.show('label', 3);
  await r.show('poster', 3);
  t.equal(r.reads.length, 0);
  t.equal(r.rejections.length, 0);
  t.same(r.beeps, []);
  const logs = r.logs();
  const label = logs.filter((l) => l.msg === 'qr: our own label, ignored');
  const poster = logs.filter((l) => l.msg === 'qr: unrelated code, ignored');
  t.equal(label.length, 1);
  t.equal(label[0]!.level, 20, 'debug');
  t.equal(poster.length, 1);
  t.equal(poster[0]!.what, 'url');
  t.equal(r.scanner.stats().ignored, 2);
  for (const line of r.lines) for (const s of SECRETS) t.notOk(line.includes(s), `log line free of ${s}`);
  await r.scanner.stop();
});

t.test('a rejected code is logged once with its error code and no secrets, and beeps "rejected"', async (t) => {
  const r = rig();
  await r.scanner.start();
  await r.show('tampered', 5);
  t.equal(r.reads.length, 0);
  t.equal(r.rejections.length, 1);
  t.equal(r.rejections[0]!.code, 'crc_mismatch');
  t.same(r.beeps, ['rejected']);
  const logged = r.logs().filter((l) => l.msg === 'qr: code rejected');
  t.equal(logged.length, 1);
  t.equal(logged[0]!.code, 'crc_mismatch');
  t.equal(logged[0]!.level, 40, 'warn');
  t.equal(r.scanner.stats().rejects, 1);
  await r.scanner.stop();
  for (const line of r.lines) for (const s of SECRETS) t.notOk(line.includes(s), `log line free of ${s}`);
});

t.test('label and phone in one frame: the phone code is read, the label ignored', async (t) => {
  const r = rig();
  await r.scanner.start();
  await r.show('labelAndPhone', 2);
  t.same(r.reads.map((x) => x.payload.wifi.ssid), ['MyHomeNetwork']);
  t.equal(r.logs().filter((l) => l.msg === 'qr: our own label, ignored').length, 1);
  await r.scanner.stop();
});

t.test('stop() waits for the decode in progress, discards it, and takes no more frames', async (t) => {
  const r = rig();
  await r.scanner.start();
  t.equal(r.source.listeners(), 1);
  let open!: () => void;
  r.decoder.gate = new Promise<void>((resolve) => (open = resolve));
  r.source.emit('a');
  let stopped = false;
  const stopping = r.scanner.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(stopped, 'stop() waits for the decode in progress');
  open();
  await stopping;
  t.equal(r.reads.length, 0, 'the code decoded after stop() is not reported');
  t.same(r.beeps, []);
  t.equal(r.source.listeners(), 0);
  r.decoder.gate = null;
  r.source.emit('a');
  await r.decoder.settled();
  t.equal(r.scanner.stats().framesSeen, 1, 'no frames after stop');
  t.equal(r.scanner.stats().running, false);
  t.equal(r.reads.length, 0);
  t.ok(r.logs().some((l) => l.msg === 'qr scanner stopped' && l.framesSeen === 1), 'stats logged at stop');
});

t.test('stop() before start() has finished loading the decoder leaves the scanner stopped', async (t) => {
  const r = rig();
  const starting = r.scanner.start();
  await r.scanner.stop();
  await starting;
  t.equal(r.source.listeners(), 0);
  t.equal(r.scanner.stats().running, false);
});

t.test('a restart is a fresh session: the same code is read again', async (t) => {
  const r = rig();
  await r.scanner.start();
  await r.show('a', 1);
  await r.scanner.stop();
  await r.scanner.start();
  await r.show('a', 1);
  t.equal(r.reads.length, 2);
  t.equal(r.scanner.stats().reads, 1, 'stats are per session');
  await r.scanner.stop();
});

t.test('a rate outside 0.2–10 per second is refused at start', async (t) => {
  await t.rejects(rig(0).scanner.start(), RangeError);
  await t.rejects(rig(11).scanner.start(), RangeError);
});

t.test('a failing decoder is counted and logged once per error code, and scanning goes on', async (t) => {
  const clock = new ManualClock();
  const source = new FakeFrames(clock);
  const lines: string[] = [];
  let calls = 0;
  const scanner = new QrScanner({
    frames: source,
    classify: classifyQrText,
    clock,
    logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }),
    decoder: {
      prepare: async () => {},
      decode: async () => {
        calls += 1;
        throw new Error('out of wasm memory');
      },
    },
  });
  await scanner.start();
  for (let i = 0; i < 5; i++) {
    source.emit('a');
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(250);
  }
  t.equal(calls, 5);
  t.equal(scanner.stats().decodeErrors, 5);
  t.equal(lines.filter((l) => l.includes('qr decode failed')).length, 1);
  await scanner.stop();
});
