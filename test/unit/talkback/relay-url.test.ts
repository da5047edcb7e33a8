import t from 'tap';
import { MAX_RELAY_URL_CHARS, relayUrlProblem } from '../../../src/talkback/relay-transport.js';

t.test('relay URLs: wss only, no userinfo or fragment, bounded length', async (t) => {
  t.equal(relayUrlProblem('wss://relay.example.com/v1/session/abc?r=eu'), null);
  t.equal(relayUrlProblem('wss://[2001:db8::1]:8443/s'), null);
  const base = 'wss://relay.example.com/';
  t.equal(relayUrlProblem(base + 'a'.repeat(MAX_RELAY_URL_CHARS - base.length)), null, 'exactly the limit');
  for (const [url, what] of [
    ['ws://relay.example.com/s', 'plain ws'],
    ['https://relay.example.com/s', 'https'],
    ['WSS://relay.example.com/s#x', 'fragment'],
    ['wss://relay.example.com/s#', 'empty fragment'],
    ['wss://u:p@relay.example.com/s', 'userinfo'],
    ['wss://@relay.example.com/s', 'empty userinfo'],
    [base + 'a'.repeat(MAX_RELAY_URL_CHARS - base.length + 1), 'one over the limit'],
    ['relay.example.com', 'no scheme'],
    ['', 'empty'],
  ] as const) {
    t.not(relayUrlProblem(url), null, what);
  }
});
