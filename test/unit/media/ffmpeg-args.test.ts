import t from 'tap';
import { buildGrayFrameArgs, classifyInput, TIMESTAMP_GUARD, toArgv, type GrayFrameSpec } from '../../../src/media/ffmpeg-args.js';

const spec = (input: string, over: Partial<GrayFrameSpec> = {}): GrayFrameSpec => ({
  input,
  loop: true,
  width: 320,
  height: 180,
  fps: 5,
  socketTimeoutMs: 5000,
  ...over,
});

/** The value following `flag` in argv, or undefined. */
function valueOf(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

t.test('inputs are classified by the lavfi: prefix or their scheme', async (t) => {
  t.equal(classifyInput('lavfi:testsrc2=size=640x360:rate=10'), 'lavfi');
  t.equal(classifyInput('rtsp://u:p@cam/live'), 'rtsp');
  t.equal(classifyInput('RTSP://cam/live'), 'rtsp');
  t.equal(classifyInput('rtsps://cam/live'), 'rtsp');
  t.equal(classifyInput('http://cam/stream.mjpg'), 'network');
  t.equal(classifyInput('udp://0.0.0.0:5000'), 'network');
  t.equal(classifyInput('/tmp/clip.mp4'), 'file');
  t.equal(classifyInput('clip.mp4'), 'file');
  t.equal(classifyInput('file:///tmp/clip.mp4'), 'file');
  t.equal(classifyInput('C:\\clip.mp4'), 'file');
});

t.test('lavfi: prefix is stripped and -f lavfi with -re is used', async (t) => {
  const args = buildGrayFrameArgs(spec('lavfi:testsrc2=size=640x360:rate=10'));
  t.equal(args.input, 'testsrc2=size=640x360:rate=10');
  t.equal(valueOf(args.inputOptions, '-f'), 'lavfi');
  t.ok(args.inputOptions.includes('-re'));
  t.notOk(args.inputOptions.includes('-stream_loop'));
});

t.test('a file is read in real time and looped unless loop is false', async (t) => {
  const looped = buildGrayFrameArgs(spec('/tmp/a.mp4'));
  t.ok(looped.inputOptions.includes('-re'));
  t.equal(valueOf(looped.inputOptions, '-stream_loop'), '-1');
  t.equal(looped.input, '/tmp/a.mp4');
  const once = buildGrayFrameArgs(spec('/tmp/a.mp4', { loop: false }));
  t.ok(once.inputOptions.includes('-re'));
  t.notOk(once.inputOptions.includes('-stream_loop'));
});

t.test('rtsp is read over TCP with a socket timeout in µs and low-latency flags, never -re', async (t) => {
  const args = buildGrayFrameArgs(spec('rtsp://u:p@cam/live', { socketTimeoutMs: 3000 }));
  t.equal(valueOf(args.inputOptions, '-rtsp_transport'), 'tcp');
  t.equal(valueOf(args.inputOptions, '-timeout'), '3000000');
  t.equal(valueOf(args.inputOptions, '-fflags'), 'nobuffer');
  t.equal(valueOf(args.inputOptions, '-flags'), 'low_delay');
  t.notOk(args.inputOptions.includes('-re'));
  t.notOk(args.inputOptions.includes('-stream_loop'), 'loop is for files only');
  t.equal(args.input, 'rtsp://u:p@cam/live', 'the URL is passed as one argv element, untouched');
});

t.test('other network inputs get the generic I/O timeout and low-latency flags', async (t) => {
  const args = buildGrayFrameArgs(spec('http://cam/video'));
  t.equal(valueOf(args.inputOptions, '-rw_timeout'), '5000000');
  t.equal(valueOf(args.inputOptions, '-fflags'), 'nobuffer');
  t.equal(valueOf(args.inputOptions, '-use_wallclock_as_timestamps'), '1', 'MJPEG over HTTP has no timestamps of its own');
  t.notOk(args.inputOptions.includes('-rtsp_transport'));
  t.notOk(args.inputOptions.includes('-re'));
});

t.test('output is gray rawvideo at the analysis size and rate, audio dropped', async (t) => {
  const args = buildGrayFrameArgs(spec('/a.mp4', { width: 160, height: 90, fps: 2.5 }));
  t.equal(valueOf(args.outputOptions, '-vf'), 'fps=2.5,scale=160:90,format=gray');
  t.equal(valueOf(args.outputOptions, '-pix_fmt'), 'gray');
  t.equal(valueOf(args.outputOptions, '-f'), 'rawvideo');
  t.ok(args.outputOptions.includes('-an'));
});

t.test('live inputs pass a timestamp guard before the fps filter (a wall-clock step must not stall or flood it); files and lavfi do not', async (t) => {
  for (const input of ['http://cam/video', 'rtsp://cam/live']) {
    const vf = valueOf(buildGrayFrameArgs(spec(input, { width: 160, height: 90, fps: 10 })).outputOptions, '-vf');
    t.equal(vf, `${TIMESTAMP_GUARD},fps=10,scale=160:90,format=gray`, input);
  }
  t.match(TIMESTAMP_GUARD, /clip\(PTS-PREV_INPTS,0,1\/TB\)/, 'each step clamped to 0…1 s');
  for (const input of ['/a.mp4', 'lavfi:testsrc2']) {
    t.notMatch(valueOf(buildGrayFrameArgs(spec(input)).outputOptions, '-vf') ?? '', /setpts/, input);
  }
});

t.test('stdin is never read and stderr carries diagnostics only', async (t) => {
  const { inputOptions } = buildGrayFrameArgs(spec('/a.mp4'));
  t.ok(inputOptions.includes('-nostdin'));
  t.ok(inputOptions.includes('-nostats'));
  t.equal(valueOf(inputOptions, '-loglevel'), 'warning');
});

t.test('toArgv puts input options, -i, output options and pipe:1 in order', async (t) => {
  const args = buildGrayFrameArgs(spec('lavfi:testsrc2'));
  const argv = toArgv(args);
  t.equal(argv.at(-1), 'pipe:1');
  t.equal(argv[argv.indexOf('-i') + 1], 'testsrc2');
  t.ok(argv.indexOf('-f') < argv.indexOf('-i'), 'input format before -i');
  t.ok(argv.indexOf('-vf') > argv.indexOf('-i'), 'filters after -i');
});

t.test('an input with spaces or shell characters stays a single argument', async (t) => {
  const input = '/tmp/my clip; rm -rf $HOME.mp4';
  const argv = toArgv(buildGrayFrameArgs(spec(input)));
  t.equal(argv[argv.indexOf('-i') + 1], input);
});
