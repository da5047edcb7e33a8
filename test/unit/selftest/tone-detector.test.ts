import t from 'tap';
import { detectTone, goertzelPower } from '../../../src/selftest/tone-detector.js';

const RATE = 16_000;

/** Deterministic Gaussian-ish noise (sum of 4 uniforms), so a failure reproduces. */
function noise(n: number, sigma: number, seed = 1): Float64Array {
  let s = seed | 0;
  // mulberry32
  const rnd = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let x = Math.imul(s ^ (s >>> 15), s | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(n);
  // Sum of 4 uniforms on [-1,1] has variance 4/3.
  for (let i = 0; i < n; i++) out[i] = ((rnd() + rnd() + rnd() + rnd()) * 2 - 4) * sigma * Math.sqrt(3 / 4);
  return out;
}

function sine(n: number, hz: number, amplitude: number, from = 0, to = n): Float64Array {
  const out = new Float64Array(n);
  for (let i = from; i < to; i++) out[i] = amplitude * Math.sin((2 * Math.PI * hz * i) / RATE);
  return out;
}

const mix = (...parts: Float64Array[]): Int16Array => {
  const n = parts[0]!.length;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(parts.reduce((s, p) => s + p[i]!, 0))));
  return out;
};

t.test('goertzel finds a pure tone at its frequency and not an octave away', async (t) => {
  const x = sine(1600, 1000, 1000);
  t.ok(goertzelPower(x, RATE, 1000) > 1000 * goertzelPower(x, RATE, 2000));
});

t.test('a clean 1 kHz tone is present, with its level measured in dBFS', async (t) => {
  const r = detectTone(mix(sine(RATE, 1000, 16384)), RATE, 1000);
  t.ok(r.present);
  t.ok(r.snrDb > 60, `snr ${r.snrDb}`);
  t.ok(Math.abs(r.levelDbfs - -6.02) < 0.2, `level ${r.levelDbfs}`);
});

t.test('silence is not a tone', async (t) => {
  const r = detectTone(new Int16Array(RATE), RATE, 1000);
  t.notOk(r.present);
  t.equal(r.snrDb, -Infinity);
});

t.test('noise alone is not a tone', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const r = detectTone(mix(noise(RATE, 3000, seed)), RATE, 1000);
    t.notOk(r.present, `seed ${seed}: snr ${r.snrDb.toFixed(1)} dB`);
    t.ok(r.snrDb < 12, `seed ${seed}: snr ${r.snrDb.toFixed(1)} dB stays well under the 20 dB threshold`);
  }
});

t.test('a tone 10 dB below broadband noise is still found in one second', async (t) => {
  // Tone RMS 707 vs noise RMS 2236: −10 dB in the time domain.
  const r = detectTone(mix(sine(RATE, 1000, 1000), noise(RATE, 2236, 7)), RATE, 1000);
  t.ok(r.present, `snr ${r.snrDb.toFixed(1)} dB`);
});

t.test('a tone buried 30 dB under the noise is not claimed', async (t) => {
  const r = detectTone(mix(sine(RATE, 1000, 100), noise(RATE, 7000, 9)), RATE, 1000);
  t.notOk(r.present, `snr ${r.snrDb.toFixed(1)} dB`);
});

t.test('a loud tone at the wrong frequency does not pass for 1 kHz', async (t) => {
  for (const hz of [440, 1500, 2000, 1125]) {
    const r = detectTone(mix(sine(RATE, hz, 16384), noise(RATE, 50, hz)), RATE, 1000);
    t.notOk(r.present, `${hz} Hz: snr ${r.snrDb.toFixed(1)} dB`);
  }
});

t.test('a tone filling only part of the recording is found (aplay starts late)', async (t) => {
  const n = Math.round(1.2 * RATE);
  const r = detectTone(mix(sine(n, 1000, 3000, Math.round(0.6 * RATE), Math.round(1.1 * RATE)), noise(n, 100, 3)), RATE, 1000);
  t.ok(r.present, `snr ${r.snrDb.toFixed(1)} dB`);
});

t.test('a quiet but clean tone under -60 dBFS does not count as heard', async (t) => {
  const r = detectTone(mix(sine(RATE, 1000, 20)), RATE, 1000);
  t.ok(r.levelDbfs < -60);
  t.notOk(r.present);
});

t.test('nonsense inputs give "not present" instead of throwing', async (t) => {
  t.notOk(detectTone(new Int16Array(4), RATE, 1000).present);
  t.notOk(detectTone(new Int16Array(RATE), RATE, 9000).present, 'above Nyquist');
  t.notOk(detectTone(new Int16Array(RATE), RATE, 0).present);
});
