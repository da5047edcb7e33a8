import t from 'tap';
import { SourceRateLimiter, sourceKey } from '../../../../src/api/auth/source-rate-limit.js';

t.test('a source gets its burst, then one attempt per refill interval', async (t) => {
  const rl = new SourceRateLimiter({ burst: 3, refillMs: 10_000, maxSources: 10 });
  t.same([0, 0, 0].map(() => rl.take('192.168.1.20', 0).allowed), [true, true, true]);
  t.same(rl.take('192.168.1.20', 0), { allowed: false, retryAfterMs: 10_000 });
  t.same(rl.take('192.168.1.20', 4_000), { allowed: false, retryAfterMs: 6_000 });
  t.same(rl.take('192.168.1.20', 10_000), { allowed: true });
  t.same(rl.take('192.168.1.20', 10_000), { allowed: false, retryAfterMs: 10_000 });
  t.same(rl.take('192.168.1.20', 1_000_000).allowed, true, 'refills up to the burst');
});

t.test('sources are independent', async (t) => {
  const rl = new SourceRateLimiter({ burst: 1, refillMs: 10_000, maxSources: 10 });
  t.ok(rl.take('10.0.0.1', 0).allowed);
  t.notOk(rl.take('10.0.0.1', 0).allowed);
  t.ok(rl.take('10.0.0.2', 0).allowed);
});

t.test('address variants of one host share a bucket (IPv4-mapped, case, zone, same /64)', async (t) => {
  t.equal(sourceKey('::ffff:192.168.1.20'), '192.168.1.20');
  t.equal(sourceKey('::FFFF:192.168.1.20'), '192.168.1.20');
  t.equal(sourceKey('fe80::1%wlan0'), sourceKey('FE80::2'));
  t.equal(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
  t.equal(sourceKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
  t.not(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:3::1'));
  t.equal(sourceKey('[::1]'), sourceKey('::1'));
  t.equal(sourceKey(undefined), 'unknown');
  t.equal(sourceKey('not an address'), 'unknown');
  const rl = new SourceRateLimiter({ burst: 2, refillMs: 10_000, maxSources: 10 });
  t.ok(rl.take('192.168.1.20', 0).allowed);
  t.ok(rl.take('::ffff:192.168.1.20', 0).allowed);
  t.notOk(rl.take('::ffff:192.168.1.20', 0).allowed);
});

t.test('memory is bounded: the least recently seen source is forgotten', async (t) => {
  const rl = new SourceRateLimiter({ burst: 1, refillMs: 10_000, maxSources: 3 });
  rl.take('10.0.0.1', 0);
  for (let i = 2; i < 1000; i++) rl.take(`10.0.${i >> 8}.${i & 255}`, 0);
  t.equal(rl.sources, 3);
});

t.test('a clock that does not move never refills', async (t) => {
  const rl = new SourceRateLimiter({ burst: 1, refillMs: 1, maxSources: 3 });
  t.ok(rl.take('10.0.0.1', 5).allowed);
  t.notOk(rl.take('10.0.0.1', 4).allowed, 'time going backwards grants nothing');
});
