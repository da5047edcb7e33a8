import t from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { AWS_SAFE_LIMITS, PublishRateLimiter, PublishThrottle } from '../../../src/cloud/rate-limiter.js';

t.test('never more than 100 publishes in any 1 s window (AWS limit), with the defaults', async (t) => {
  const clock = new ManualClock();
  const throttle = new PublishThrottle(clock);
  const sent: number[] = [];
  for (let i = 0; i < 1000; i++) void throttle.acquire(200).then(() => sent.push(clock.monotonic()));
  for (let ms = 0; ms < 20_000 && sent.length < 1000; ms += 5) {
    clock.advance(5);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
  }
  t.equal(sent.length, 1000, 'all eventually sent');
  let worst = 0;
  for (let i = 0; i < sent.length; i++) {
    let j = i;
    while (j < sent.length && sent[j]! < sent[i]! + 1000) j++;
    worst = Math.max(worst, j - i);
  }
  t.ok(worst <= 100, `worst 1 s window: ${worst} publishes`);
  t.ok(worst >= 80, 'and the drain is not needlessly slow');
});

t.test('bytes per second stay under 512 KB/s', async (t) => {
  const limiter = new PublishRateLimiter(AWS_SAFE_LIMITS, 0);
  const size = 100_000;
  const sentAt: number[] = [];
  let now = 0;
  while (sentAt.length < 30) {
    const wait = limiter.tryTake(size, now);
    if (wait === 0) sentAt.push(now);
    else now += wait;
  }
  for (let i = 0; i < sentAt.length; i++) {
    const inWindow = sentAt.filter((s) => s >= sentAt[i]! && s < sentAt[i]! + 1000).length;
    t.ok(inWindow * size <= 512_000, `window at ${sentAt[i]}: ${inWindow * size} bytes`) || t.fail('over');
  }
});

t.test('a maximum-size message still passes (the byte burst holds 128 KiB)', async (t) => {
  const limiter = new PublishRateLimiter(AWS_SAFE_LIMITS, 0);
  t.equal(limiter.tryTake(128 * 1024, 0), 0);
  const wait = limiter.tryTake(128 * 1024, 0);
  t.ok(wait > 0 && wait < 1000, `second one waits ${wait} ms`);
  t.equal(limiter.tryTake(128 * 1024, wait), 0);
});
