/**
 * The scenario suite (issue 5): every real mover is reported within 2
 * analysis frames of entering the picture, and nothing is reported for
 * noise, lights, IR switch, drift, small animals or masked movers. Clips:
 * scripts/make-scenarios.ts, 640×360 H.264 at 10 fps, analysed at 320×180, 5 fps.
 */
import t from 'tap';
import { scenarios } from '../../../scripts/make-scenarios.js';
import { runScenario } from '../../helpers/scenario-runner.js';

for (const scenario of scenarios) {
  const name =
    scenario.starts > 0
      ? `${scenario.description}: one event, within 2 analysis frames of entering`
      : `${scenario.description}: no event`;
  t.test(name, async (t) => {
    const run = await runScenario(scenario);
    t.equal(run.code, 0, run.err.join('\n'));
    t.equal(run.summary?.starts, scenario.starts, JSON.stringify(run.events));
    if (run.entry !== null) {
      const first = run.startFrames[0]!;
      t.ok(first >= run.entry, `not before the mover is visible (start frame ${first}, entry ${run.entry})`);
      t.ok(first - run.entry <= 2, `within 2 frames (start frame ${first}, entry ${run.entry})`);
    }
    t.equal(run.summary?.frames, scenario.seconds * 5, 'every frame analysed, times in video time');
  });
}
