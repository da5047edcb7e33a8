/**
 * Every knob of the motion detector, in one table: doc, rule, range and
 * default. The table is the single source for validating a configuration
 * (readMotionConfig), for docs/motion.md and for the agent's convict schema
 * (`motion.<key>`), so the three cannot drift apart.
 *
 * Defaults start from Frigate's MotionConfig and Motion's motion.conf
 * (see docs/motion.md for the crosswalk). Times are in seconds, not frames,
 * so a knob keeps its meaning when the analysis rate changes; areas are in
 * percent, not pixels, so it keeps its meaning when the analysis size does.
 */
import { parseRegions, type MotionRegion } from './regions.js';
import { parseSchedule, type ArmSchedule } from './schedule.js';

export type BlurKind = 'none' | 'box' | 'gaussian';
export type ProfileMode = 'auto' | 'day' | 'night' | 'external';
export type ProfileName = 'day' | 'night';

/** The thresholds that differ between day and night. */
export interface MotionProfile {
  /** Pixel difference (0–255 scale) that counts a pixel as changed. */
  threshold: number;
  /** Changed area that raises motion, percent of the frame (or of a zone, see MotionRegion.minArea). */
  minArea: number;
  /** Consecutive motion frames needed to start an event. */
  minFrames: number;
}

export interface MotionConfig extends MotionProfile {
  enabled: boolean;
  frameHeight: number;
  improveContrast: boolean;
  blur: BlurKind;
  blurRadius: number;
  minBlobArea: number;
  offDelaySeconds: number;
  cooldownSeconds: number;
  backgroundSeconds: number;
  staticObjectSeconds: number;
  sceneChange: { fraction: number; brightnessJump: number; settleSeconds: number };
  ptz: { settleSeconds: number };
  profile: { mode: ProfileMode; nightBelow: number; dayAbove: number };
  night: MotionProfile;
  zones: MotionRegion[];
  masks: MotionRegion[];
  schedule: ArmSchedule;
}

export type SettingFormat = 'ca-int' | 'ca-number' | 'ca-bool' | 'motion-regions' | 'motion-schedule' | readonly string[];

export interface MotionSetting {
  /** Path below `motion.` in the agent configuration. */
  key: string;
  doc: string;
  format: SettingFormat;
  min?: number;
  max?: number;
  default: unknown;
}

export const motionSettings: readonly MotionSetting[] = [
  { key: 'enabled', format: 'ca-bool', default: true, doc: 'Run motion detection on the analysis stream.' },
  {
    key: 'frameHeight', format: 'ca-int', min: 40, max: 720, default: 90,
    doc: 'Height the detector works at. A taller input is reduced by the largest whole factor that keeps it at or above this height (320×180 → 160×90), which quarters the cost. Frigate: frame_height 100.',
  },
  {
    key: 'improveContrast', format: 'ca-bool', default: true,
    doc: 'Scale the threshold with the scene\'s contrast (4th–96th percentile range, averaged over ~50 frames), as if the frame were stretched to 0–255, so dim, flat scenes stay sensitive. Gain capped at 4×. Frigate: improve_contrast.',
  },
  { key: 'blur', format: ['none', 'box', 'gaussian'], default: 'gaussian', doc: 'Smoothing before differencing; removes sensor noise and codec ringing. Integer arithmetic.' },
  { key: 'blurRadius', format: 'ca-int', min: 1, max: 3, default: 1, doc: 'Blur radius in pixels at the working size (gaussian: passes of a 1-2-1 kernel).' },
  {
    key: 'threshold', format: 'ca-int', min: 1, max: 255, default: 30,
    doc: 'Day profile: brightness difference (0–255) from the background that marks a pixel as changed. Lower is more sensitive. Never below 4× the measured residual noise. Frigate: threshold 30; Motion: noise_level 32.',
  },
  {
    key: 'minArea', format: 'ca-number', min: 0.01, max: 50, default: 0.3,
    doc: 'Day profile: changed area, in percent of the frame, that counts as motion (a zone without its own minArea uses the same number of pixels). 0.3 % is a small person at 10–15 m on a 90° lens; a cat is ~0.05–0.1 %. Motion: threshold 1500 px of 640×480 ≈ 0.5 %.',
  },
  { key: 'minFrames', format: 'ca-int', min: 1, max: 10, default: 2, doc: 'Day profile: consecutive motion frames that start an event (2 at 5 fps = 0.4 s). Motion: minimum_motion_frames 1; HiSilicon MD: 2.' },
  {
    key: 'minBlobArea', format: 'ca-number', min: 0, max: 5, default: 0.05,
    doc: 'Changed blobs smaller than this (percent of the frame) are speckle and ignored. 0.05 % is Frigate\'s contour_area 10 px at 178×100.',
  },
  { key: 'offDelaySeconds', format: 'ca-number', min: 0, max: 600, default: 30, doc: 'Seconds without motion that end an event. Frigate: mqtt_off_delay 30; Motion: event_gap 60.' },
  { key: 'cooldownSeconds', format: 'ca-number', min: 0, max: 3600, default: 10, doc: 'Seconds after an event ends before the next can start; stops flapping alarms. thingino: cooldown_sec 10.' },
  {
    key: 'backgroundSeconds', format: 'ca-number', min: 1, max: 600, default: 20,
    doc: 'Time constant of the running-average background for still pixels. Frigate: frame_alpha 0.01 at 5 fps = 20 s.',
  },
  {
    key: 'staticObjectSeconds', format: 'ca-number', min: 1, max: 3600, default: 30,
    doc: 'Time constant for pixels that are currently changed: a parked car or moved chair becomes background after about twice this. Motion: static_object_time 10 s.',
  },
  {
    key: 'sceneChange.fraction', format: 'ca-number', min: 0.3, max: 1, default: 0.8,
    doc: 'Scene-change guard: when more than this fraction of the watched pixels changes at once (lights, IR switch, exposure jump, camera bumped), the background is re-learnt and no event is raised. Frigate: lightning_threshold 0.8.',
  },
  {
    key: 'sceneChange.brightnessJump', format: 'ca-int', min: 5, max: 255, default: 20,
    doc: 'Scene-change guard: a jump of the frame\'s quartiles by at least this many levels, all in the same direction, from one frame to the next also re-learns the background.',
  },
  { key: 'sceneChange.settleSeconds', format: 'ca-number', min: 0, max: 30, default: 1, doc: 'After a scene change, seconds during which the background learns fast and no motion is reported (auto-exposure settles).' },
  { key: 'ptz.settleSeconds', format: 'ca-number', min: 0, max: 30, default: 2, doc: 'After PTZ motors stop, seconds of re-learning before motion is reported again. Nothing is reported while they move.' },
  {
    key: 'profile.mode', format: ['auto', 'day', 'night', 'external'], default: 'auto',
    doc: 'Which threshold profile applies: by scene brightness with hysteresis (auto), fixed (day, night), or set by the IR-cut / day-night input (external).',
  },
  { key: 'profile.nightBelow', format: 'ca-int', min: 0, max: 255, default: 40, doc: 'auto mode: the night profile starts when the median brightness falls below this.' },
  { key: 'profile.dayAbove', format: 'ca-int', min: 0, max: 255, default: 60, doc: 'auto mode: the day profile returns when the median brightness rises above this (must be ≥ nightBelow).' },
  { key: 'night.threshold', format: 'ca-int', min: 1, max: 255, default: 30, doc: 'Night profile: like threshold.' },
  { key: 'night.minArea', format: 'ca-number', min: 0.01, max: 50, default: 0.5, doc: 'Night profile: like minArea. Larger by default: IR noise and insects near the lamp.' },
  { key: 'night.minFrames', format: 'ca-int', min: 1, max: 10, default: 2, doc: 'Night profile: like minFrames.' },
  {
    key: 'zones', format: 'motion-regions', default: [],
    doc: 'Named polygons to watch, coordinates 0–1 of width and height: `[{"name":"door","points":[[0.1,0.2],[0.4,0.2],[0.4,0.9]],"minArea":2}]` (minArea optional, percent of the zone). Empty: the whole frame. At most 16.',
  },
  { key: 'masks', format: 'motion-regions', default: [], doc: 'Polygons ignored entirely (trees, road, a neighbour\'s window), same format as zones; name optional.' },
  {
    key: 'schedule', format: 'motion-schedule', default: [],
    doc: 'When detection is armed, in device.timezone: `[{"days":["mon","tue","wed","thu","fri"],"from":"18:00","to":"07:30"}]`; an interval whose end is before its start runs past midnight. Empty: always armed.',
  },
];

export interface MotionConfigIssue {
  code: 'invalid_motion_config';
  /** The key below `motion.`, e.g. `sceneChange.fraction`. */
  key: string;
  message: string;
}

export type MotionConfigResult = { ok: true; config: MotionConfig } | { ok: false; issues: MotionConfigIssue[] };

/**
 * Validates a `motion` object (any subset of the keys; missing keys take
 * their default) into a complete MotionConfig. Zones, masks and schedule may
 * be structured values or JSON strings (how environment variables carry them).
 * `timezone` is the agent's device.timezone, used by the schedule.
 */
export function readMotionConfig(raw: unknown, timezone = 'UTC'): MotionConfigResult {
  const issues: MotionConfigIssue[] = [];
  const out: Record<string, unknown> = {};
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    return { ok: false, issues: [{ code: 'invalid_motion_config', key: '', message: 'motion must be an object' }] };
  }
  const known = new Set(motionSettings.map((s) => s.key));
  for (const key of leafKeys(raw ?? {})) {
    if (!known.has(key) && ![...known].some((k) => k.startsWith(`${key}.`))) {
      issues.push({ code: 'invalid_motion_config', key, message: 'unknown motion setting' });
    }
  }
  for (const setting of motionSettings) {
    const given = getPath(raw, setting.key);
    const value = given === undefined ? setting.default : given;
    const checked = checkSetting(setting, value, timezone);
    if (typeof checked === 'string') issues.push({ code: 'invalid_motion_config', key: setting.key, message: checked });
    else setPath(out, setting.key, checked.value);
  }
  const config = out as unknown as MotionConfig;
  if (issues.length === 0 && config.profile.dayAbove < config.profile.nightBelow) {
    issues.push({ code: 'invalid_motion_config', key: 'profile.dayAbove', message: 'must be ≥ profile.nightBelow' });
  }
  return issues.length ? { ok: false, issues } : { ok: true, config };
}

/** The defaults as a complete config. */
export function defaultMotionConfig(timezone = 'UTC'): MotionConfig {
  const result = readMotionConfig({}, timezone);
  if (!result.ok) throw new Error(`motion defaults are invalid: ${result.issues[0]?.message}`); // a bug in the table
  return result.config;
}

/** The profile for day or night. */
export function profileOf(config: MotionConfig, name: ProfileName): MotionProfile {
  return name === 'night' ? config.night : { threshold: config.threshold, minArea: config.minArea, minFrames: config.minFrames };
}

function checkSetting(s: MotionSetting, value: unknown, timezone: string): { value: unknown } | string {
  if (Array.isArray(s.format)) {
    return s.format.includes(value as string) ? { value } : `must be one of ${s.format.join(', ')}`;
  }
  switch (s.format) {
    case 'ca-bool':
      return typeof value === 'boolean' ? { value } : 'must be true or false';
    case 'ca-int':
    case 'ca-number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
      if (s.format === 'ca-int' && !Number.isInteger(value)) return 'must be an integer';
      if (s.min !== undefined && value < s.min) return `must be ≥ ${s.min}`;
      if (s.max !== undefined && value > s.max) return `must be ≤ ${s.max}`;
      return { value };
    }
    case 'motion-regions': {
      const r = parseRegions(value, s.key === 'zones' ? 'zone' : 'mask');
      return r.ok ? { value: r.regions } : r.message;
    }
    case 'motion-schedule': {
      const r = parseSchedule(value, timezone);
      return r.ok ? { value: r.schedule } : r.message;
    }
  }
  return 'unknown format';
}

function getPath(obj: unknown, path: string): unknown {
  let cur = obj;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    cur[part] ??= {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** Dotted paths of the leaves of a plain object; arrays are leaves. */
function leafKeys(obj: object, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(...leafKeys(v, key));
    else out.push(key);
  }
  return out;
}
