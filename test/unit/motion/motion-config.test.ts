import t from 'tap';
import { motionSettingsFromAgentConfig } from '../../../src/media/motion/agent-config.js';
import { defaultMotionConfig, motionSettings, readMotionConfig } from '../../../src/media/motion/motion-config.js';

t.test('defaults are complete and inside their own ranges', async (t) => {
  const c = defaultMotionConfig();
  t.equal(c.threshold, 30);
  t.equal(c.minFrames, 2);
  t.equal(c.sceneChange.fraction, 0.8);
  t.same(c.zones, []);
  t.same(c.schedule, { timezone: 'UTC', intervals: [] });
  for (const s of motionSettings) {
    t.ok(s.doc.length > 10, `${s.key} is documented`);
    if (typeof s.default === 'number') t.ok(s.default >= (s.min ?? -Infinity) && s.default <= (s.max ?? Infinity), `${s.key} default in range`);
  }
});

t.test('every problem is reported with its key and the invalid_motion_config code', async (t) => {
  const r = readMotionConfig({ threshold: 0, minFrames: 1.5, blur: 'median', sceneChange: { fraction: 2 }, typo: 1, zones: 'not json' });
  t.notOk(r.ok);
  if (r.ok) return;
  t.same(
    r.issues.map((i) => [i.key, i.code]),
    [['typo', 'invalid_motion_config'], ['blur', 'invalid_motion_config'], ['threshold', 'invalid_motion_config'], ['minFrames', 'invalid_motion_config'], ['sceneChange.fraction', 'invalid_motion_config'], ['zones', 'invalid_motion_config']],
  );
  t.match(r.issues.find((i) => i.key === 'threshold')?.message, /≥ 1/);
});

t.test('dayAbove below nightBelow is refused', async (t) => {
  const r = readMotionConfig({ profile: { nightBelow: 80, dayAbove: 60 } });
  t.notOk(r.ok);
});

t.test('zones, masks and schedule may come as JSON strings (environment variables)', async (t) => {
  const r = readMotionConfig({
    zones: '[{"name":"door","points":[[0,0],[1,0],[1,1]],"minArea":2}]',
    masks: '',
    schedule: '[{"days":"daily","from":"22:00","to":"06:00"}]',
  }, 'Europe/Berlin');
  t.ok(r.ok);
  if (!r.ok) return;
  t.same(r.config.zones, [{ name: 'door', points: [[0, 0], [1, 0], [1, 1]], minArea: 2 }]);
  t.equal(r.config.schedule.timezone, 'Europe/Berlin');
  t.equal(r.config.schedule.intervals.length, 1);
});

t.test('an agent config file: motion.*, video.analysis.* and device.timezone, issues prefixed with their full key', async (t) => {
  const ok = motionSettingsFromAgentConfig({ device: { timezone: 'Asia/Tokyo' }, video: { analysis: { width: 160, height: 90, fps: 10 } }, motion: { threshold: 20 } });
  t.ok(ok.ok);
  if (ok.ok) {
    t.same(ok.analysis, { width: 160, height: 90, fps: 10 });
    t.equal(ok.motion.threshold, 20);
    t.equal(ok.motion.schedule.timezone, 'Asia/Tokyo');
  }
  const bad = motionSettingsFromAgentConfig({ video: { analysis: { fps: 0 } }, motion: { minArea: -1 } });
  t.notOk(bad.ok);
  if (!bad.ok) t.same(bad.issues.map((i) => i.key).sort(), ['motion.minArea', 'video.analysis.fps']);
  t.notOk(motionSettingsFromAgentConfig([]).ok);
  t.ok(motionSettingsFromAgentConfig({}).ok, 'no motion section: defaults');
});
