import t from 'tap';
import { credentialSecrets, maskUrlCredentials } from '../../../src/log/url-mask.js';

t.test('userinfo in a URL is replaced, scheme, host, port and path kept', async (t) => {
  t.equal(maskUrlCredentials('rtsp://admin:secret@10.0.0.5:554/live'), 'rtsp://***@10.0.0.5:554/live');
});

t.test('a user without a password is masked too', async (t) => {
  t.equal(maskUrlCredentials('rtsp://admin@cam/live'), 'rtsp://***@cam/live');
});

t.test('an empty password or empty userinfo is still masked', async (t) => {
  t.equal(maskUrlCredentials('rtsp://admin:@cam/x'), 'rtsp://***@cam/x');
  t.equal(maskUrlCredentials('rtsp://@cam/x'), 'rtsp://***@cam/x');
});

t.test('URLs without credentials are unchanged', async (t) => {
  for (const s of [
    'rtsp://10.0.0.5:554/live',
    'tcp://127.0.0.1:9?timeout=5000000',
    '/var/lib/camera/clip.mp4',
    'testsrc2=size=640x360:rate=10',
    '[rtsp @ 0x55d1c8] method DESCRIBE failed: 401 Unauthorized',
    'mail admin@example.com about it',
    '',
  ]) {
    t.equal(maskUrlCredentials(s), s, s);
  }
});

t.test('a URL inside an ffmpeg error line is masked, the rest kept', async (t) => {
  t.equal(
    maskUrlCredentials('rtsp://admin:secret@127.0.0.1:9/x: Connection refused'),
    'rtsp://***@127.0.0.1:9/x: Connection refused',
  );
  t.equal(
    maskUrlCredentials("Input #0, rtsp, from 'rtsp://u:p@cam/live':"),
    "Input #0, rtsp, from 'rtsp://***@cam/live':",
  );
  t.equal(maskUrlCredentials('open "rtsp://u:p@cam/a" failed'), 'open "rtsp://***@cam/a" failed');
  t.equal(maskUrlCredentials('<rtsp://u:p@cam/a>'), '<rtsp://***@cam/a>');
});

t.test('several URLs in one text are all masked', async (t) => {
  t.equal(
    maskUrlCredentials('from rtsp://a:b@h1/x to http://c:d@h2/y'),
    'from rtsp://***@h1/x to http://***@h2/y',
  );
});

t.test('schemes are matched case-insensitively and of any kind', async (t) => {
  t.equal(maskUrlCredentials('RTSP://Admin:Pw@Cam/x'), 'RTSP://***@Cam/x');
  t.equal(maskUrlCredentials('rtsps://u:p@cam/x'), 'rtsps://***@cam/x');
  t.equal(maskUrlCredentials('http://u:p@cam/snap.jpg'), 'http://***@cam/snap.jpg');
  t.equal(maskUrlCredentials('srt+udp://u:p@cam:9000'), 'srt+udp://***@cam:9000');
});

t.test('a password with unencoded @, /, ?, # or : is masked whole', async (t) => {
  t.equal(maskUrlCredentials('rtsp://admin:p@ss@cam/live'), 'rtsp://***@cam/live');
  t.equal(maskUrlCredentials('rtsp://admin:pa/ss@cam/live'), 'rtsp://***@cam/live');
  t.equal(maskUrlCredentials('rtsp://admin:pa?ss@cam/live'), 'rtsp://***@cam/live');
  t.equal(maskUrlCredentials('rtsp://admin:pa#ss@cam/live'), 'rtsp://***@cam/live');
  t.equal(maskUrlCredentials('rtsp://admin:a:b:c@cam/live'), 'rtsp://***@cam/live');
});

t.test('a percent-encoded password is masked', async (t) => {
  t.equal(maskUrlCredentials('rtsp://admin:p%40ss%2F1@cam/live'), 'rtsp://***@cam/live');
});

t.test('an @ in the path over-masks rather than risk a leak', async (t) => {
  // Documented trade-off: the host is hidden too, the password never shows.
  t.equal(maskUrlCredentials('rtsp://u:p@cam/stream@1'), 'rtsp://***@1');
});

t.test('multi-line text is masked on every line', async (t) => {
  t.equal(maskUrlCredentials('a rtsp://u:p@h1/x\nb rtsp://v:q@h2/y'), 'a rtsp://***@h1/x\nb rtsp://***@h2/y');
});

t.test('scheme-less user:pass@host is not a URL and stays (use secrets for it)', async (t) => {
  t.equal(maskUrlCredentials('user:pass@host'), 'user:pass@host');
  t.equal(maskUrlCredentials('user:pass@host', ['pass']), 'user:***@host');
});

t.test('a password with a raw space escapes the regex but not the secrets list', async (t) => {
  const url = 'rtsp://admin:my secret@cam/live';
  const line = `${url}: 401 Unauthorized`;
  const masked = maskUrlCredentials(line, credentialSecrets(url));
  t.notMatch(masked, /my secret/);
  t.notMatch(masked, /secret/);
  t.equal(masked, 'rtsp://***@cam/live: 401 Unauthorized');
});

t.test('secrets are replaced wherever they appear, longest first', async (t) => {
  t.equal(maskUrlCredentials('pw=abcdef and abc', ['abc', 'abcdef']), 'pw=*** and ***');
  t.equal(maskUrlCredentials('x', ['']), 'x', 'an empty secret is ignored');
});

t.test('credentialSecrets lists userinfo, password and decoded password', async (t) => {
  t.same(credentialSecrets('rtsp://admin:secret@cam/x'), ['admin:secret', 'secret']);
  t.same(credentialSecrets('rtsp://admin:p%40ss@cam/x'), ['admin:p%40ss', 'p%40ss', 'p@ss']);
  t.same(credentialSecrets('rtsp://admin:p@ss@cam/x'), ['admin:p@ss', 'p@ss']);
  t.same(credentialSecrets('rtsp://admin@cam/x'), ['admin']);
  t.same(credentialSecrets('rtsp://admin:@cam/x'), ['admin:']);
  t.same(credentialSecrets('rtsp://admin:100%@cam/x'), ['admin:100%', '100%'], 'bad % escape kept raw');
  t.same(credentialSecrets('rtsp://cam/x'), []);
  t.same(credentialSecrets('/path/to/file.mp4'), []);
  t.same(credentialSecrets('lavfi:testsrc2'), []);
});
