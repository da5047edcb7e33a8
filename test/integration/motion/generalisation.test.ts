/**
 * The detector must not depend on one encoder's artefacts or one aspect
 * ratio: the same scenes encoded as MJPEG and MPEG-4 Part 2 in AVI, at 4:3,
 * and analysed at other sizes give the same verdicts.
 */
import t from 'tap';
import { scenarioNamed } from '../../../scripts/make-scenarios.js';
import { runScenario } from '../../helpers/scenario-runner.js';

const cases: Array<{ variant: string; args: string[]; label: string }> = [
  { variant: 'mjpeg-avi', args: [], label: 'MJPEG in AVI, 320×180' },
  { variant: 'mpeg4-avi', args: [], label: 'MPEG-4 Part 2 in AVI, 320×180' },
  { variant: 'h264-4x3', args: ['--width', '320', '--height', '240'], label: '4:3 H.264 (640×480), analysed at 320×240' },
  { variant: 'h264-mp4', args: ['--width', '160', '--height', '90'], label: 'H.264 analysed directly at 160×90' },
];

for (const c of cases) {
  t.test(c.label, async (t) => {
    for (const name of ['person', 'lights-then-person', 'noise', 'ir-switch', 'masked-mover']) {
      const scenario = scenarioNamed(name);
      const run = await runScenario(scenario, c.variant, c.args);
      t.equal(run.code, 0, run.err.join('\n'));
      t.equal(run.summary?.starts, scenario.starts, `${name}: ${JSON.stringify(run.events)}`);
      if (run.entry !== null) {
        const lag = run.startFrames[0]! - run.entry;
        t.ok(lag >= 0 && lag <= 2, `${name}: start ${lag} frames after entry`);
      }
    }
  });
}
