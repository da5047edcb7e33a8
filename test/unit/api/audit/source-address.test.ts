import t from 'tap';
import { maskSourceAddress } from '../../../../src/api/audit/source-address.js';

t.test('a LAN IPv4 address keeps only its host part, like the log masking', async (t) => {
  t.equal(maskSourceAddress('192.168.1.42'), '*.*.*.42');
  t.equal(maskSourceAddress('10.0.7.3'), '*.*.*.3');
  t.equal(maskSourceAddress('203.0.113.200'), '*.*.*.200');
});

t.test('an IPv4-mapped IPv6 address (what dual-stack sockets report) is masked as IPv4, not leaked whole', async (t) => {
  t.equal(maskSourceAddress('::ffff:192.168.1.42'), '*.*.*.42');
  t.equal(maskSourceAddress('::FFFF:10.1.2.3'), '*.*.*.3');
  t.equal(maskSourceAddress('::ffff:127.0.0.1'), '127.0.0.1');
});

t.test('loopback stays readable', async (t) => {
  t.equal(maskSourceAddress('127.0.0.1'), '127.0.0.1');
  t.equal(maskSourceAddress('::1'), '::1');
  t.equal(maskSourceAddress('[::1]'), '::1');
});

t.test('IPv6 keeps the last group; zone ids and brackets are dropped', async (t) => {
  t.equal(maskSourceAddress('fe80::1a2b:3c4d:5e6f:7081%wlan0'), '*:*:7081');
  t.equal(maskSourceAddress('[2001:db8::abcd]'), '*:*:abcd');
});

t.test('anything that is not an address is never echoed', async (t) => {
  t.equal(maskSourceAddress('999.1.1.1'), '*');
  t.equal(maskSourceAddress('evil; rm -rf /'), '*');
  t.equal(maskSourceAddress('/run/agent.sock'), '*');
  t.equal(maskSourceAddress(''), 'unknown');
  t.equal(maskSourceAddress(undefined), 'unknown');
});
