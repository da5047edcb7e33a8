import t from 'tap';
import { liveGrabUrl } from '../../../src/alarm/alarm-setup.js';

t.test('only a live stream URL is grabbed again for a snapshot', async (t) => {
  t.equal(liveGrabUrl('rtsp://u:p@cam/main'), 'rtsp://u:p@cam/main');
  t.equal(liveGrabUrl('http://127.0.0.1:8080/mjpeg'), 'http://127.0.0.1:8080/mjpeg');
  t.equal(liveGrabUrl('lavfi:testsrc2'), null, 'a lavfi source would restart at t=0');
  t.equal(liveGrabUrl('/data/clip.mp4'), null, 'a file would restart at its beginning');
  t.equal(liveGrabUrl(''), null);
});
