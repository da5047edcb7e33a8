/**
 * Measurements on mono S16LE PCM buffers, pure, so audio tests can assert
 * what sox would report without shelling out (test-rigs.md §5 measured the
 * reference utterance with `sox … silence 1 1 0.1% reverse silence 1 1 0.1% reverse stat`).
 */

const FULL_SCALE = 32768;
/** sox's 0.1%: samples at or below this fraction of full scale count as silence. */
export const SILENCE_THRESHOLD = 0.001;

function samplesOf(pcm: Buffer): number {
  return Math.floor(pcm.length / 2);
}

/**
 * The span from the first to the last sample whose magnitude exceeds
 * `threshold` × full scale, like sox `silence` at both ends (with a
 * one-sample above-threshold period). All silence gives an empty buffer.
 */
export function trimSilence(pcm: Buffer, threshold = SILENCE_THRESHOLD): Buffer {
  const limit = threshold * FULL_SCALE;
  const n = samplesOf(pcm);
  let first = 0;
  while (first < n && Math.abs(pcm.readInt16LE(first * 2)) <= limit) first++;
  if (first === n) return Buffer.alloc(0);
  let last = n - 1;
  while (last > first && Math.abs(pcm.readInt16LE(last * 2)) <= limit) last--;
  return pcm.subarray(first * 2, (last + 1) * 2);
}

export function durationSeconds(pcm: Buffer, sampleRate: number): number {
  return samplesOf(pcm) / sampleRate;
}

/** RMS level in dBFS (a full-scale square wave is 0 dBFS, a full-scale sine −3); −Infinity for silence. */
export function rmsDbfs(pcm: Buffer): number {
  const n = samplesOf(pcm);
  if (n === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = pcm.readInt16LE(i * 2) / FULL_SCALE;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / n);
  return rms === 0 ? -Infinity : 20 * Math.log10(rms);
}

/**
 * Level of one frequency in dBFS (a full-scale sine at `hz` reads about −3,
 * like rmsDbfs), by the Goertzel algorithm: one DFT bin, no FFT needed.
 */
export function toneDbfs(pcm: Buffer, hz: number, sampleRate: number): number {
  const n = samplesOf(pcm);
  if (n === 0) return -Infinity;
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = pcm.readInt16LE(i * 2) / FULL_SCALE + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // |X(k)| = A·n/2 for a sine of amplitude A; its RMS is A/√2.
  const amplitude = (2 * Math.sqrt(Math.max(0, power))) / n;
  return amplitude === 0 ? -Infinity : 20 * Math.log10(amplitude / Math.SQRT2);
}
