import t from 'tap';
import type { IncomingMessage } from 'node:http';
import { moveSubprotocolToken, originAllowed } from '../../../../src/api/server/talk-socket.js';
import { splitOfferedProtocols, talkCloseCode } from '../../../../src/talkback/local-ws-transport.js';

function req(headers: Record<string, string | string[]>): IncomingMessage {
  return { headers: { ...headers } } as unknown as IncomingMessage;
}

t.test('Origin: absent is allowed (not a browser); present must be this API over https, same host and port', async (t) => {
  t.equal(originAllowed(undefined, '192.168.1.5:8443'), true);
  t.equal(originAllowed('https://192.168.1.5:8443', '192.168.1.5:8443'), true);
  t.equal(originAllowed('https://CAMERA.local', 'camera.local:443'), true, 'default port and case normalised');
  t.equal(originAllowed('https://[fe80::1]:8443', '[fe80::1]:8443'), true);
  for (const [origin, host, what] of [
    ['https://evil.example', '192.168.1.5:8443', 'another site'],
    ['http://192.168.1.5:8443', '192.168.1.5:8443', 'plain http'],
    ['https://192.168.1.5:9443', '192.168.1.5:8443', 'another port'],
    ['null', '192.168.1.5:8443', 'opaque origin'],
    ['https://192.168.1.5:8443', '', 'no Host'],
    ['https://a@192.168.1.5:8443', '192.168.1.5:8443', 'userinfo'],
    ['https://192.168.1.5:8443/x', '192.168.1.5:8443', 'not an origin'],
  ] as const) {
    t.equal(originAllowed(origin, host), false, what);
  }
  t.equal(originAllowed(['https://a', 'https://b'], 'a'), false, 'repeated Origin');
});

t.test('offered subprotocols split into bearer tokens and the rest', async (t) => {
  t.same(splitOfferedProtocols('camera-agent.talk.v1, bearer.abc.def'), { tokens: ['abc.def'], others: ['camera-agent.talk.v1'] });
  t.same(splitOfferedProtocols(['a', 'b, Bearer.x']), { tokens: ['x'], others: ['a', 'b'] });
  t.same(splitOfferedProtocols(undefined), { tokens: [], others: [] });
});

t.test('a subprotocol token becomes the Authorization header and leaves the offered list', async (t) => {
  const r = req({ 'sec-websocket-protocol': 'camera-agent.talk.v1, bearer.tok-1' });
  moveSubprotocolToken(r);
  t.equal(r.headers.authorization, 'Bearer tok-1');
  t.equal(r.headers['sec-websocket-protocol'], 'camera-agent.talk.v1');

  const only = req({ 'sec-websocket-protocol': 'bearer.tok-1' });
  moveSubprotocolToken(only);
  t.equal(only.headers['sec-websocket-protocol'], undefined);

  const both = req({ authorization: 'Bearer tok-2', 'sec-websocket-protocol': 'bearer.tok-1' });
  moveSubprotocolToken(both);
  t.same(both.headers.authorization, ['Bearer tok-2', 'Bearer tok-1'], 'ambiguous: a repeated header, which auth refuses');

  const two = req({ 'sec-websocket-protocol': 'bearer.a, bearer.b' });
  moveSubprotocolToken(two);
  t.same(two.headers.authorization, ['Bearer a', 'Bearer b']);

  const none = req({ authorization: 'Bearer tok-2', 'sec-websocket-protocol': 'camera-agent.talk.v1' });
  moveSubprotocolToken(none);
  t.equal(none.headers.authorization, 'Bearer tok-2', 'untouched without a token subprotocol');
});

t.test('refusal codes map to 4000-range close codes', async (t) => {
  t.equal(talkCloseCode('busy'), 4002);
  t.equal(talkCloseCode('privacy_mode'), 4003);
  t.equal(talkCloseCode('toString'), 4000, 'prototype names are not codes');
  t.equal(talkCloseCode('new_code'), 4000);
});
