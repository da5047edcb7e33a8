import t from 'tap';
import sharp from 'sharp';
import { createFfmpegGrab } from '../../../src/alarm/ffmpeg-grab.js';
import { buildJpegGrabArgs as grabArgs } from '../../../src/media/ffmpeg-args.js';
import { testVideo } from '../../helpers/snapshot-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

t.test('one full-size JPEG is grabbed from a video file and from lavfi', async (t) => {
  const dir = await tempDir(t);
  const video = await testVideo(dir, 1280, 720, 2);
  const grab = createFfmpegGrab();
  const r = await grab(video, 5000);
  t.ok(r.ok);
  if (r.ok) t.same([(await sharp(r.value).metadata()).width, (await sharp(r.value).metadata()).height], [1280, 720]);
  const l = await grab('lavfi:testsrc2=size=640x360:rate=5', 5000);
  t.ok(l.ok && (await sharp(l.value).metadata()).width === 640);
});

t.test('a missing input is grab_failed and credentials never appear', async (t) => {
  const grab = createFfmpegGrab();
  const r = await grab('/nonexistent/main.mp4', 5000);
  t.equal(!r.ok && r.error.code, 'grab_failed');
  const n = await grab('rtsp://admin:hunter2@127.0.0.1:9/live', 3000);
  t.ok(!n.ok && ['grab_failed', 'snapshot_timeout'].includes(n.error.code));
  t.notMatch(!n.ok ? n.error.message : '', /hunter2/);
});

t.test('grab arguments: TCP RTSP with a socket timeout, one frame, MJPEG to a pipe', async (t) => {
  const a = grabArgs('rtsp://cam/main', 2000);
  t.same(a.inputOptions.slice(-4), ['-rtsp_transport', 'tcp', '-timeout', '2000000']);
  t.match(a.outputOptions.join(' '), /-frames:v 1 -c:v mjpeg .*-f image2pipe/);
});
