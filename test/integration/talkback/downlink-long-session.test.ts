/**
 * A 10-minute downlink session in simulated time: 30,000 µ-law frames from
 * a sender whose clock runs 0.1 % fast (or slow) with up to 30 ms of
 * network jitter, through the real jitter buffer, the real ffmpeg decoder
 * and the simulated speaker, which consumes samples in (manual) clock time
 * like a DAC. Nothing may grow: the jitter buffer stays within its bounds
 * minute after minute, the output queue stays bounded, and the speech that
 * was sent is played (minus what a drifting clock forces to drop or fill).
 *
 * The real-time version of this runs in `npm run soak -- talkback`.
 */
import t, { type Test } from 'tap';
import { ManualClock } from '../../../src/core/clock.js';
import { SimAudioLoop } from '../../../src/hal/sim/sim-audio-loop.js';
import { SimAudioOut } from '../../../src/hal/sim/sim-audio-out.js';
import { SimAmplifier } from '../../../src/hal/sim/sim-amplifier.js';
import { spawnAudioTranscoder } from '../../../src/media/ffmpeg.js';
import { talkbackDecoderSpec } from '../../../src/media/audio-transcode-args.js';
import { codecSpec } from '../../../src/talkback/codec.js';
import { Downlink, type DownlinkStats } from '../../../src/talkback/downlink.js';
import { mulberry32 } from '../../../src/core/seeded-random.js';
import { capturingLogger } from '../../helpers/ffmpeg-rig.js';

const FRAMES = 30_000; // 10 minutes of 20 ms frames
const STEP_MS = 100;

/** µ-law of a 440 Hz tone at −12 dBFS (G.711 encoder, ITU-T G.711 §A/µ tables by formula). */
function ulawTone(samples: number): Buffer {
  const out = Buffer.alloc(samples);
  for (let i = 0; i < samples; i++) {
    let s = Math.round(8192 * Math.sin((2 * Math.PI * 440 * i) / 8000));
    const sign = s < 0 ? 0x80 : 0;
    if (s < 0) s = -s;
    s = Math.min(s + 132, 32635);
    let exp = 7;
    for (let mask = 0x4000; (s & mask) === 0 && exp > 0; mask >>= 1) exp--;
    const mant = (s >> (exp + 3)) & 0x0f;
    out[i] = ~(sign | (exp << 4) | mant) & 0xff;
  }
  return out;
}

async function runSession(t: Test, clockSkew: number): Promise<{ perMinute: DownlinkStats[]; end: DownlinkStats }> {
  const clock = new ManualClock();
  const { logger } = capturingLogger();
  const audioOut = new SimAudioOut({ loop: new SimAudioLoop({ clock }), clock, logger });
  const downlink = new Downlink({
    codec: codecSpec('pcmu'),
    decodedRate: 8000,
    audioOut,
    amplifier: new SimAmplifier(logger),
    spawnDecoder: () => spawnAudioTranscoder(talkbackDecoderSpec(), { logger }),
    settings: () => ({ volume: 80, jitterMs: 60, maxJitterMs: 300, periodMs: 10, bufferMs: 40 }),
    clock,
    logger,
  });
  let failure: Error | null = null;
  downlink.onFailure((err) => (failure = err));
  await downlink.start();
  const tone = ulawTone(8000);
  const random = mulberry32(0x7a1c);
  // Arrival times: the sender's 20 ms is (1 + skew) × ours, plus jitter; the network keeps order here
  // (reordering is the jitter buffer's unit test), so sort by arrival.
  const arrivals = Array.from({ length: FRAMES }, (_, k) => ({ k, at: 500 + k * 20 * (1 + clockSkew) + random() * 30 })).sort((a, b) => a.at - b.at);
  const perMinute: DownlinkStats[] = [];
  let next = 0;
  const endMs = (arrivals.at(-1)?.at ?? 0) + 1000;
  for (let now = 0; now < endMs; now += STEP_MS) {
    // Deliver what arrives within this step at its own moment.
    for (;;) {
      const a = arrivals[next];
      if (!a || a.at > now + STEP_MS) break;
      clock.advance(Math.max(0, a.at - clock.monotonic()));
      const offset = (a.k * 160) % 8000;
      downlink.receive({ seq: a.k, timestamp: a.k * 160, marker: a.k === 0, payload: tone.subarray(offset, offset + 160) }, clock.monotonic());
      next++;
    }
    clock.advance(now + STEP_MS - clock.monotonic());
    // Let ffmpeg answer: its output comes back over a real pipe.
    await new Promise((resolve) => setTimeout(resolve, 1));
    if ((now + STEP_MS) % 60_000 === 0) perMinute.push(downlink.stats());
  }
  await downlink.close('abort');
  t.equal(failure, null, 'no decoder or device failure');
  return { perMinute, end: downlink.stats() };
}

t.test('a 10-minute session with a fast sender clock keeps every buffer bounded', async (t) => {
  const { perMinute, end } = await runSession(t, -0.001);
  t.ok(perMinute.length >= 10, `${perMinute.length} minutes sampled`);
  t.ok(end.maxBufferedMs <= 320, `jitter buffer high-water ${end.maxBufferedMs} ms (bound 300 ms + a frame)`);
  t.ok(end.maxOutputQueuedMs <= 260, `output queue high-water ${end.maxOutputQueuedMs} ms (bound 250 ms)`);
  const late = perMinute.slice(1).map((s) => s.bufferedMs);
  t.ok(Math.max(...late) <= 320, `held audio per minute stays bounded: ${late.join(', ')} ms`);
  // 0.1 % of 10 minutes is 600 ms the sender sends "too much": dropped by the overflow rule, not queued.
  t.ok(end.overflowDrops > 0, `the fast clock's surplus was dropped (${end.overflowDrops} frames)`);
  t.ok(end.playedMs >= 590_000, `played ${end.playedMs} ms of 600,000 sent`);
  t.equal(end.framesReceived, FRAMES);
});

t.test('a 10-minute session with a slow sender clock underruns gracefully and never grows', async (t) => {
  const { perMinute, end } = await runSession(t, 0.001);
  t.ok(end.maxBufferedMs <= 320, `jitter buffer high-water ${end.maxBufferedMs} ms`);
  t.ok(end.maxOutputQueuedMs <= 260, `output queue high-water ${end.maxOutputQueuedMs} ms`);
  t.ok(perMinute.every((s) => s.bufferedMs <= 320), `held audio per minute: ${perMinute.map((s) => s.bufferedMs).join(', ')} ms`);
  t.ok(end.playedMs >= 599_000, `played ${end.playedMs} ms of 600,000 sent`);
  // Each time the slow clock has eaten the margin one frame comes late (concealed) and the
  // schedule moves (jitter-buffer.ts, followLateFrame): about once per 30 s.
  t.ok(end.lost <= 30, `${end.lost} frames concealed in 10 minutes`);
});
