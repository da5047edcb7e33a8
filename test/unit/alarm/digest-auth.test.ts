import t from 'tap';
import { digestAuthorization, digestResponse, formatNonceCount, parseAuthenticate, pickDigestChallenge } from '../../../src/alarm/digest-auth.js';

// RFC 7616 §3.9.1 worked example.
const RFC_HEADERS = [
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
];
const CRED = { username: 'Mufasa', password: 'Circle of Life' };
const REQ = { method: 'GET', uri: '/dir/index.html', nc: 1, cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };

t.test('the RFC 7616 example responses are reproduced for MD5 and SHA-256', async (t) => {
  const sha = pickDigestChallenge(RFC_HEADERS)!;
  t.equal(sha.algorithm, 'SHA-256', 'SHA-256 is preferred when both are offered');
  t.equal(sha.qop, 'auth');
  t.equal(digestResponse(sha, CRED, REQ), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  const md5 = pickDigestChallenge([RFC_HEADERS[1]!])!;
  t.equal(digestResponse(md5, CRED, REQ), '8ca523f5e9506fed4657c9700eebdbec');
});

t.test('the Authorization header carries nc, cnonce, qop and opaque', async (t) => {
  const ch = pickDigestChallenge([RFC_HEADERS[1]!])!;
  const h = digestAuthorization(ch, CRED, { ...REQ, nc: 26 });
  t.match(h, /^Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/);
  t.match(h, /nc=0000001a/);
  t.match(h, /qop=auth,/);
  t.match(h, /opaque="FQhe/);
  t.equal(formatNonceCount(1), '00000001');
});

t.test('several challenges in one header, quoted commas and Basic are parsed apart', async (t) => {
  const list = parseAuthenticate(['Basic realm="a, b", Digest realm="cam", nonce="n1", qop="auth", stale=TRUE']);
  t.same(list.map((c) => c.scheme), ['basic', 'digest']);
  t.equal(list[0]!.params.realm, 'a, b');
  const ch = pickDigestChallenge(['Basic realm="a, b", Digest realm="cam", nonce="n1", qop="auth", stale=TRUE'])!;
  t.equal(ch.stale, true);
  t.equal(ch.algorithm, 'MD5', 'MD5 is the default algorithm');
});

t.test('challenges we cannot answer are refused', async (t) => {
  t.equal(pickDigestChallenge(['Basic realm="x"']), null, 'Basic only: we never send the password in clear');
  t.equal(pickDigestChallenge(['Digest realm="x", nonce="n", qop="auth-int"']), null, 'auth-int only');
  t.equal(pickDigestChallenge(['Digest realm="x", nonce="n", algorithm=SHA-512-256']), null, 'unknown algorithm');
  t.equal(pickDigestChallenge(['Digest realm="x"']), null, 'no nonce');
});

t.test('without qop the RFC 2069 form is used', async (t) => {
  const ch = pickDigestChallenge(['Digest realm="x", nonce="abc"'])!;
  t.equal(ch.qop, null);
  const h = digestAuthorization(ch, CRED, REQ);
  t.notMatch(h, /nc=|cnonce=|qop=/);
});
