/**
 * Is a given tone in a recording? A pure function of PCM samples.
 *
 * Method: the Goertzel algorithm (one DFT bin, any frequency) on the
 * Hann-windowed recording measures the power at the tone's frequency and at
 * eight probe frequencies around it. The probes' median is the noise floor,
 * so broadband noise, hum or a tone at another frequency raise the floor
 * rather than fake a detection. The Hann window keeps a strong tone a few
 * hundred Hz away from leaking into the target bin (side lobes fall off at
 * 18 dB/octave).
 *
 * Sensitivity, for a sine of amplitude A in white noise of deviation σ over
 * N samples: SNR ≈ A²·N / (6σ²). One second at 16 kHz detects a tone 10 dB
 * *below* the noise with 20 dB to spare, so the threshold is about
 * "did the speaker make a sound at all", not about room acoustics.
 */

export interface ToneDetection {
  /** Target power over the noise floor, dB; -Infinity for silence. */
  snrDb: number;
  /** Level of the tone, dB relative to a full-scale sine; -Infinity for silence. */
  levelDbfs: number;
  /** snrDb ≥ minSnrDb and levelDbfs ≥ minLevelDbfs. */
  present: boolean;
}

export interface ToneDetectorOptions {
  /** Default 20 dB: the noise-floor estimate is a median of 8 bins, whose chance of being 20 dB under one noise bin is < 1e-20. */
  minSnrDb?: number;
  /** Default -60 dBFS: below that a "tone" is quantisation noise of a silent input. */
  minLevelDbfs?: number;
}

const PROBE_RATIOS = [0.5, 0.625, 0.75, 0.875, 1.125, 1.25, 1.375, 1.5];
/** Probes must stay clear of DC and of the Nyquist frequency. */
const MIN_PROBE_HZ = 50;

/** Power of one frequency in already-windowed samples (Goertzel, non-integer bin allowed). */
export function goertzelPower(samples: ArrayLike<number>, sampleRate: number, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2);
}

export function hannWindow(samples: ArrayLike<number>): Float64Array {
  const n = samples.length;
  const out = new Float64Array(n);
  if (n < 2) return out;
  for (let i = 0; i < n; i++) out[i] = samples[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)));
  return out;
}

export function detectTone(samples: ArrayLike<number>, sampleRate: number, hz: number, opts: ToneDetectorOptions = {}): ToneDetection {
  const minSnrDb = opts.minSnrDb ?? 20;
  const minLevelDbfs = opts.minLevelDbfs ?? -60;
  const n = samples.length;
  if (n < 16 || !(hz > 0 && hz < sampleRate / 2)) return { snrDb: -Infinity, levelDbfs: -Infinity, present: false };
  const windowed = hannWindow(samples);
  const target = goertzelPower(windowed, sampleRate, hz);
  const probes = PROBE_RATIOS.map((r) => hz * r)
    .filter((f) => f >= MIN_PROBE_HZ && f <= sampleRate * 0.45)
    .map((f) => goertzelPower(windowed, sampleRate, f));
  const floor = median(probes);
  // A sine of amplitude A gives |X| = A·Σw/2 = A·N/4 under a Hann window.
  const amplitude = (2 * Math.sqrt(target)) / (n / 2);
  const levelDbfs = amplitude > 0 ? 20 * Math.log10(amplitude / 32768) : -Infinity;
  const snrDb = target === 0 ? -Infinity : floor === 0 ? Infinity : 10 * Math.log10(target / floor);
  return { snrDb, levelDbfs, present: snrDb >= minSnrDb && levelDbfs >= minLevelDbfs };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
