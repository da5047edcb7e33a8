import t from 'tap';
import { defaultMotionConfig, readMotionConfig, type MotionConfig } from '../../../src/media/motion/motion-config.js';
import { MotionDetector, type MotionEvent, type MotionFrameResult } from '../../../src/media/motion/motion-detector.js';
import { SyntheticScene, type Rect } from '../../helpers/scenario-frames.js';

const FPS = 5;
const DT = 1000 / FPS;

function config(motion: Record<string, unknown> = {}): MotionConfig {
  const r = readMotionConfig(motion);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

/** Runs `frames` frames; `at(k)` gives the movers and brightness map of frame k. */
function run(
  detector: MotionDetector,
  scene: SyntheticScene,
  frames: number,
  at: (k: number) => { movers?: Rect[]; map?: (v: number) => number; before?: () => void } = () => ({}),
  from = 0,
): { events: MotionEvent[]; results: MotionFrameResult[] } {
  const events: MotionEvent[] = [];
  const results: MotionFrameResult[] = [];
  for (let k = from; k < from + frames; k++) {
    const spec = at(k);
    spec.before?.();
    const r = detector.process({ data: scene.frame(spec.movers, spec.map), width: scene.width, height: scene.height, t: k * DT });
    results.push(r);
    events.push(...r.events);
  }
  return { events, results };
}

/** A 20×60 px (at 320×180: 2.1 % of the frame) mover walking right, 8 px per frame, entering at frame `enter`. */
const walker = (enter: number, y = 60) => (k: number): Rect[] => (k >= enter ? [{ x: -20 + 8 * (k - enter + 1), y, w: 20, h: 60 }] : []);

t.test('a person-sized mover starts an event on its second visible frame, with score and time', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const { events } = run(d, new SyntheticScene(), 30, (k) => ({ movers: walker(10)(k) }));
  const start = events.find((e) => e.type === 'start');
  t.ok(start, 'started');
  t.equal(start!.t, 11 * DT, 'minFrames 2: frame 10 and 11 are motion frames');
  t.ok(start!.score > 0.2 && start!.score < 3, `score ${start!.score} is the changed percent`);
  t.same(start!.zones, [], 'no zones configured');
});

t.test('still noisy scene: no event over 300 frames', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const { events } = run(d, new SyntheticScene({ noise: 40 }), 300);
  t.same(events, []);
});

t.test('an object below minArea is ignored; the same object counts with a lower minArea', async (t) => {
  // 6×4 px: 0.04 % of 320×180; blur and threshold make it look ~3× larger, still under 0.3 %.
  const small = (k: number): Rect[] => [{ x: 10 + 4 * k, y: 120, w: 6, h: 4 }];
  const a = run(new MotionDetector(defaultMotionConfig()), new SyntheticScene(), 40, (k) => ({ movers: small(k) }));
  t.same(a.events, []);
  const b = run(new MotionDetector(config({ minArea: 0.05 })), new SyntheticScene(), 40, (k) => ({ movers: small(k) }));
  t.ok(b.events.some((e) => e.type === 'start'));
});

t.test('speckle: scattered changed pixels below minBlobArea never add up to motion', async (t) => {
  const scene = new SyntheticScene({ noise: 0 });
  // 200 isolated 1-px dots in new random places each frame: 0.35 % of the frame in total.
  let seed = 3;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const d = new MotionDetector(config({ blur: 'none' }));
  const dots = () => Array.from({ length: 200 }, () => ({ x: Math.floor(rnd() * 320), y: Math.floor(rnd() * 180), w: 1, h: 1, luma: 255 }));
  const { events } = run(d, scene, 40, (k) => ({ movers: k > 2 ? dots() : [] }));
  t.same(events, []);
});

t.test('masked movers are ignored, even right at the mask edge', async (t) => {
  const masks = [{ name: 'road', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] }];
  const d = new MotionDetector(config({ masks }));
  // Moves inside x ∈ [0, 160): the mask's right edge is at x = 160.
  const { events } = run(d, new SyntheticScene(), 60, (k) => ({ movers: [{ x: 140 * (0.5 + 0.5 * Math.sin(k / 3)), y: 50, w: 20, h: 60 }] }));
  t.same(events, []);
});

t.test('zones: events name the zones with motion; motion outside every zone is ignored', async (t) => {
  const zones = [
    { name: 'left', points: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] },
    { name: 'right', points: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] },
  ];
  const d = new MotionDetector(config({ zones, offDelaySeconds: 0.5, cooldownSeconds: 0 }));
  const { events } = run(d, new SyntheticScene(), 60, (k) => ({ movers: walker(5)(k) }));
  const start = events.find((e) => e.type === 'start');
  t.same(start?.zones, ['left']);
  const end = events.find((e) => e.type === 'end');
  t.same(end?.type === 'end' ? [...end.zones].sort() : null, ['left', 'right'], 'end lists every zone seen');

  const only = new MotionDetector(config({ zones: [{ name: 'door', points: [[0.8, 0.8], [1, 0.8], [1, 1], [0.8, 1]] }] }));
  t.same(run(only, new SyntheticScene(), 40, (k) => ({ movers: walker(5)(k) })).events, [], 'mover never enters the door zone');
});

t.test('a zone minArea is a percent of the zone', async (t) => {
  const zone = { name: 'gate', points: [[0, 0.3], [0.2, 0.3], [0.2, 0.7], [0, 0.7]] }; // 64×72 px
  const mover = (k: number): Rect[] => [{ x: 10 + (k % 2), y: 60, w: 10, h: 10, luma: 250 }]; // ~2 % of the zone after blur
  const strict = run(new MotionDetector(config({ zones: [{ ...zone, minArea: 20 }], minArea: 0.01 })), new SyntheticScene(), 20, (k) => ({ movers: k > 3 ? mover(k) : [] }));
  t.same(strict.events, []);
  const loose = run(new MotionDetector(config({ zones: [{ ...zone, minArea: 1 }] })), new SyntheticScene(), 20, (k) => ({ movers: k > 3 ? mover(k) : [] }));
  t.ok(loose.events.some((e) => e.type === 'start' && e.zones[0] === 'gate'));
});

t.test('minFrames: a one-frame flash of a mover is not an event with minFrames 2, but is with 1', async (t) => {
  const flash = (k: number) => ({ movers: k === 10 ? [{ x: 100, y: 50, w: 30, h: 60 }] : [] });
  t.same(run(new MotionDetector(defaultMotionConfig()), new SyntheticScene(), 20, flash).events, []);
  t.equal(run(new MotionDetector(config({ minFrames: 1 })), new SyntheticScene(), 20, flash).events[0]?.t, 10 * DT);
});

t.test('off-delay ends the event after the quiet time; cooldown spaces the next start', async (t) => {
  const d = new MotionDetector(config({ offDelaySeconds: 2, cooldownSeconds: 3 }));
  const burst = (from: number, to: number) => (k: number): Rect[] => (k >= from && k < to ? [{ x: 20 + 6 * (k - from), y: 50, w: 20, h: 60 }] : []);
  const first = burst(5, 15);
  const second = burst(30, 40); // starts 3 s after the first ends at frame 24
  const { events } = run(d, new SyntheticScene(), 60, (k) => ({ movers: [...first(k), ...second(k)] }));
  t.same(events.map((e) => [e.type, e.t / DT]), [['start', 6], ['end', 24], ['start', 39], ['end', 49]]);
  const end = events[1];
  t.equal(end?.type === 'end' ? end.reason : null, 'quiet');
  t.equal(end?.type === 'end' ? end.durationMs : null, 8 * DT, 'from start to the last motion frame');
});

t.test('scene-change guard: lights on (all levels ×1.3 + 40) re-learns, no event; a mover afterwards is caught', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const lit = (v: number) => v * 1.3 + 40;
  const { events, results } = run(d, new SyntheticScene(), 60, (k) => ({ map: k >= 10 ? lit : undefined, movers: walker(30)(k) }));
  t.equal(results.filter((r) => r.sceneChange).length, 1, 'one scene change');
  t.equal(results[10]?.suppressed, 'scene-change');
  t.equal(events[0]?.type, 'start');
  t.equal(events[0]?.t, 31 * DT, 'the later mover starts on its second frame');
  t.equal(d.stats().sceneChanges, 1);
});

t.test('scene-change guard: more than sceneChange.fraction changing at once (camera bumped) is no event', async (t) => {
  // Shifting the scene by 37 px changes ~60 % of the pixels at the working size.
  const bumped = (fraction: number) => {
    const d = new MotionDetector(config({ sceneChange: { fraction } }));
    const base = new SyntheticScene();
    const events: MotionEvent[] = [];
    for (let k = 0; k < 40; k++) {
      const f = base.frame();
      const data = k < 10 ? f : Uint8Array.from(f, (_, i) => f[(i + 37) % f.length]!);
      events.push(...d.process({ data, width: 320, height: 180, t: k * DT }).events);
    }
    return { events, sceneChanges: d.stats().sceneChanges };
  };
  t.same(bumped(0.5), { events: [], sceneChanges: 1 });
  const strict = bumped(0.8);
  t.equal(strict.sceneChanges, 0, 'below the 0.8 default it is motion, as in Frigate');
  t.equal(strict.events[0]?.type, 'start');
});

t.test('exposure changes that are not jumps (gamma ramp, gain drift) raise nothing', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const { events, results } = run(d, new SyntheticScene(), 150, (k) => ({ map: (v) => 255 * Math.pow(v / 255, 1 + k / 150) * (1 - k / 600) }));
  t.same(events, []);
  t.equal(results.filter((r) => r.sceneChange).length, 0, 'explained by the tone curve, no re-learn needed');
});

t.test('PTZ: nothing while moving, re-learn after the stop, then motion again', async (t) => {
  const d = new MotionDetector(config({ ptz: { settleSeconds: 1 } }));
  const scene = new SyntheticScene();
  const other = new SyntheticScene({ seed: 5 });
  const events: MotionEvent[] = [];
  const results: MotionFrameResult[] = [];
  for (let k = 0; k < 60; k++) {
    if (k === 5) d.setPtzMoving(true);
    if (k === 15) d.setPtzMoving(false);
    // The view pans: a shifted picture every frame while moving, a new still view afterwards.
    const base = k < 5 ? scene.frame() : other.frame();
    const shift = k >= 5 && k < 15 ? (k - 4) * 9 : 0;
    let data = shift ? Uint8Array.from(base, (_, i) => base[(i + shift) % base.length]!) : base;
    if (k >= 30) data = other.frame(walker(30)(k));
    const r = d.process({ data, width: 320, height: 180, t: k * DT });
    results.push(r);
    events.push(...r.events);
  }
  t.ok(results.slice(5, 15).every((r) => r.suppressed === 'ptz' && !r.motion));
  t.ok(results.slice(15, 20).every((r) => r.suppressed === 'ptz'), 'settling after the stop');
  t.equal(results[25]?.suppressed, null);
  t.same(events.map((e) => [e.type, e.t / DT]), [['start', 31]]);
});

t.test('disarm: no event while disarmed; disarming ends an open event', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const scene = new SyntheticScene();
  const a = run(d, scene, 20, (k) => ({ movers: walker(5)(k), before: () => k === 10 && d.setArmed(false) }));
  t.same(a.events.map((e) => [e.type, e.t / DT, e.type === 'end' ? e.reason : '']), [['start', 6, ''], ['end', 10, 'disarmed']]);
  const d2 = new MotionDetector(defaultMotionConfig());
  d2.setArmed(false);
  t.same(run(d2, scene, 30, (k) => ({ movers: walker(5)(k) })).events, []);
});

t.test('day/night: auto picks the night profile below nightBelow and returns above dayAbove (hysteresis)', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const scene = new SyntheticScene();
  // Median of the scene ≈ 120; scale it down slowly (no jump) to ≈ 30, then back up to ≈ 50 (between the bounds), then 80.
  const level = (k: number) => (k < 40 ? 1 - k * 0.019 : k < 60 ? 0.25 + (k - 40) * 0.008 : 0.41 + (k - 60) * 0.012);
  const { results } = run(d, scene, 90, (k) => ({ map: (v) => v * level(k) }));
  t.equal(results[5]?.profile, 'day');
  t.equal(results[45]?.profile, 'night');
  t.equal(results[60]?.profile, 'night', 'median ≈ 50: between the bounds, stays night');
  t.equal(results[89]?.profile, 'day');
});

t.test('day/night: external mode follows setDayNight and applies the night thresholds', async (t) => {
  const d = new MotionDetector(config({ profile: { mode: 'external' }, night: { minArea: 5 } }));
  const scene = new SyntheticScene();
  d.setDayNight('night');
  const night = run(d, scene, 30, (k) => ({ movers: walker(5)(k) }));
  t.equal(night.results[3]?.profile, 'night');
  t.same(night.events, [], 'a 2 % mover is below the night minArea of 5 %');
  d.setDayNight('day');
  const day = run(d, scene, 30, (k) => ({ movers: walker(35)(k) }), 30);
  t.equal(day.events[0]?.type, 'start');
});

t.test('flush ends an open event; configure() with new masks re-learns at the next frame', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  const scene = new SyntheticScene();
  run(d, scene, 15, (k) => ({ movers: walker(5)(k) }));
  const e = d.flush(15 * DT);
  t.equal(e?.type, 'end');
  t.equal(e?.type === 'end' ? e.reason : null, 'flush');
  t.equal(d.flush(16 * DT), null);
  d.configure(config({ masks: [{ points: [[0, 0], [1, 0], [1, 0.1]] }] }));
  const r = d.process({ data: scene.frame(), width: 320, height: 180, t: 16 * DT });
  t.equal(r.suppressed, 'calibrating');
});

t.test('a taller input is reduced to frameHeight by a whole factor; frame size changes re-learn', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  d.process({ data: new SyntheticScene().frame(), width: 320, height: 180, t: 0 });
  t.same(d.stats().size, { width: 160, height: 90 });
  const r = d.process({ data: new SyntheticScene({ width: 640, height: 480 }).frame(), width: 640, height: 480, t: 200 });
  t.equal(r.suppressed, 'calibrating');
  t.same(d.stats().size, { width: 128, height: 96 });
  const full = new MotionDetector(config({ frameHeight: 180 }));
  full.process({ data: new SyntheticScene().frame(), width: 320, height: 180, t: 0 });
  t.same(full.stats().size, { width: 320, height: 180 });
});

t.test('box blur and no blur work as well', async (t) => {
  for (const blur of ['box', 'none'] as const) {
    const d = new MotionDetector(config({ blur, blurRadius: 2 }));
    const { events } = run(d, new SyntheticScene(), 30, (k) => ({ movers: walker(10)(k) }));
    t.equal(events[0]?.t, 11 * DT, blur);
  }
});

t.test('a frame shorter than width×height is refused', async (t) => {
  const d = new MotionDetector(defaultMotionConfig());
  t.throws(() => d.process({ data: new Uint8Array(10), width: 320, height: 180, t: 0 }), RangeError);
});
