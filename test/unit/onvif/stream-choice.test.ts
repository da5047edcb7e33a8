import t from 'tap';
import type { StreamProfile } from '../../../src/media/onvif/onvif-types.js';
import { chooseStreams } from '../../../src/media/onvif/stream-choice.js';

function profile(token: string, width: number | null, height: number | null, rtsp = true): StreamProfile {
  return { token, name: token, width, height, encoding: 'H264', fps: 25, rtspUri: rtsp ? `rtsp://h/${token}` : null, snapshotUri: null };
}

t.test('the sub-stream is the lowest resolution, the main stream the highest, whatever the order', async (t) => {
  const choice = chooseStreams([profile('sub', 640, 360), profile('main', 1920, 1080), profile('mobile', 352, 288)]);
  t.equal(choice?.sub.token, 'mobile');
  t.equal(choice?.main.token, 'main');
});

t.test('profiles without an RTSP URI or resolution are not picked over known ones', async (t) => {
  const choice = chooseStreams([profile('norstp', 160, 90, false), profile('unknown', null, null), profile('a', 1280, 720), profile('b', 640, 480)]);
  t.equal(choice?.sub.token, 'b');
  t.equal(choice?.main.token, 'a');
  t.equal(chooseStreams([profile('unknown', null, null)])?.sub.token, 'unknown', 'an unknown size is still better than nothing');
  t.equal(chooseStreams([profile('x', 640, 360, false)]), null);
  t.equal(chooseStreams([]), null);
});

t.test('one profile is both streams; ties keep the camera order', async (t) => {
  const only = chooseStreams([profile('one', 1280, 720)]);
  t.equal(only?.sub.token, 'one');
  t.equal(only?.main.token, 'one');
  t.equal(chooseStreams([profile('first', 640, 360), profile('second', 640, 360)])?.sub.token, 'first');
});
