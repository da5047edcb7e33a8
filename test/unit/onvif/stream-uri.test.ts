import t from 'tap';
import { credentialStrings, maskedUri, withCredentials } from '../../../src/media/onvif/stream-uri.js';

t.test('withCredentials percent-encodes user and password into the userinfo', async (t) => {
  t.equal(withCredentials('rtsp://192.0.2.10:554/stream1', { user: 'admin', password: 'secret' }), 'rtsp://admin:secret@192.0.2.10:554/stream1');
  t.equal(
    withCredentials('rtsp://192.0.2.10/live?channel=1&subtype=1', { user: 'ad min', password: 'p@ss:w/rd%#?' }),
    'rtsp://ad%20min:p%40ss%3Aw%2Frd%25%23%3F@192.0.2.10/live?channel=1&subtype=1',
    'query kept, every delimiter in the password encoded',
  );
  t.equal(withCredentials('rtsp://[2001:db8::1]:8554/x', { user: 'u', password: 'p' }), 'rtsp://u:p@[2001:db8::1]:8554/x', 'IPv6 host');
  t.equal(withCredentials('rtsp://h/x', { user: 'u', password: '50%off' }), 'rtsp://u:50%25off@h/x', '% itself is encoded (WHATWG URL would not)');
});

t.test('withCredentials replaces userinfo the camera put in, and adds none for an empty user', async (t) => {
  t.equal(withCredentials('rtsp://old:pw@h:554/x', { user: 'new', password: 'pw2' }), 'rtsp://new:pw2@h:554/x');
  t.equal(withCredentials('rtsp://old:pw@h/x', { user: '', password: '' }), 'rtsp://h/x');
  t.equal(withCredentials('not a url', { user: 'u', password: 'p' }), 'not a url');
});

t.test('masking hides the whole userinfo and the raw and encoded password', async (t) => {
  const creds = { user: 'admin', password: 'p@ss:w/rd' };
  const uri = withCredentials('rtsp://h/x', creds);
  t.equal(maskedUri(uri, creds), 'rtsp://***@h/x');
  t.same(credentialStrings(creds), ['p@ss:w/rd', 'p%40ss%3Aw%2Frd']);
  t.same(credentialStrings({ user: 'u', password: '' }), []);
  t.equal(maskedUri(`failed: ${creds.password} ${uri}`, creds), 'failed: *** rtsp://***@h/x');
});
