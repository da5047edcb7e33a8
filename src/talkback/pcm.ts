/**
 * Small operations on mono S16LE PCM buffers. Pure. Little-endian reads and
 * writes through DataView-free Buffer methods, so a big-endian CPU gets the
 * same answer (cameras are little-endian, but the code should not care).
 */

/** Samples × gain, clipped to 16 bits; gain 1 returns the input untouched. */
export function scalePcm(pcm: Buffer, gain: number): Buffer {
  if (gain === 1) return pcm;
  const out = Buffer.allocUnsafe(pcm.length & ~1);
  for (let i = 0; i + 1 < pcm.length; i += 2) {
    const v = Math.round(pcm.readInt16LE(i) * gain);
    out.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, i);
  }
  return out;
}

/** RMS level in dBFS (full-scale sine ≈ −3 dBFS); −Infinity for digital silence or no samples. */
export function pcmLevelDbfs(pcm: Buffer): number {
  const n = pcm.length >> 1;
  if (n === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = pcm.readInt16LE(i * 2);
    sum += v * v;
  }
  if (sum === 0) return -Infinity;
  return 20 * Math.log10(Math.sqrt(sum / n) / 32768);
}

/** Digital silence of the same length (half duplex mutes the microphone this way, keeping the timing). */
export function silenceLike(pcm: Buffer): Buffer {
  return Buffer.alloc(pcm.length);
}
