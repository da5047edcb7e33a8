import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../../src/core/clock.js';
import { SimAudioLoop } from '../../../src/hal/sim/sim-audio-loop.js';
import { SimMicrophone } from '../../../src/hal/sim/sim-microphone.js';
import { SimTone } from '../../../src/hal/sim/sim-tone.js';
import { detectTone } from '../../../src/selftest/tone-detector.js';

function board(): { clock: ManualClock; mic: SimMicrophone; tone: SimTone } {
  const clock = new ManualClock();
  const loop = new SimAudioLoop({ clock });
  return { clock, mic: new SimMicrophone({ loop, clock }), tone: new SimTone({ loop, clock, logger: pino({ level: 'silent' }) }) };
}

t.test('the simulated microphone hears a tone played while it records', async (t) => {
  const { clock, mic, tone } = board();
  const recording = mic.record(1000, 16_000);
  clock.advance(200);
  const played = tone.playTone(1000, 500, 16_000);
  clock.advance(800);
  await played;
  const pcm = await recording;
  t.equal(pcm.length, 16_000);
  const heard = detectTone(pcm, 16_000, 1000);
  t.ok(heard.present, `snr ${heard.snrDb.toFixed(1)} dB`);
  t.notOk(detectTone(pcm, 16_000, 1500).present, 'and only that frequency');
  t.same(Array.from(pcm.subarray(0, 3000)).every((s) => Math.abs(s) <= 100), true, 'room noise before the tone');
});

t.test('nothing played, nothing heard; a tone that ended before recording is not heard either', async (t) => {
  const { clock, mic, tone } = board();
  const played = tone.playTone(1000, 300, 16_000);
  clock.advance(400);
  await played;
  const recording = mic.record(500, 16_000);
  clock.advance(500);
  t.notOk(detectTone(await recording, 16_000, 1000).present);
});

t.test('recordings are reproducible: same timeline, same samples', async (t) => {
  const take = async (): Promise<Int16Array> => {
    const { clock, mic, tone } = board();
    const r = mic.record(100, 8000);
    void tone.playTone(440, 50, 8000);
    clock.advance(100);
    return r;
  };
  t.same(Array.from(await take()), Array.from(await take()));
});
