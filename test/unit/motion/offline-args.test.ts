import t from 'tap';
import { buildGrayFrameArgs } from '../../../src/media/ffmpeg-args.js';

const spec = { input: '/clips/a.mp4', loop: false, width: 320, height: 180, fps: 5, socketTimeoutMs: 5000 };

t.test('offline analysis (realtime: false) decodes files and lavfi as fast as possible; the default stays real time', async (t) => {
  t.notOk(buildGrayFrameArgs({ ...spec, realtime: false }).inputOptions.includes('-re'));
  t.notOk(buildGrayFrameArgs({ ...spec, input: 'lavfi:testsrc2', realtime: false }).inputOptions.includes('-re'));
  t.ok(buildGrayFrameArgs(spec).inputOptions.includes('-re'), 'unset: real time, as before');
  t.ok(buildGrayFrameArgs({ ...spec, loop: true, realtime: true }).inputOptions.includes('-re'));
  t.same(buildGrayFrameArgs({ ...spec, loop: true, realtime: false }).inputOptions.slice(-2), ['-stream_loop', '-1']);
});
