import type { Microphone, TonePlayer } from '../../hal/types.js';
import { fail, pass, type SelfTestCheck } from '../check.js';
import { detectTone } from '../tone-detector.js';

export interface AudioLoopbackOptions {
  microphone: Microphone;
  tone: TonePlayer;
  /** Default 1 kHz: mid-band for tiny camera speakers and MEMS microphones alike. */
  hz?: number;
  toneMs?: number;
  sampleRate?: number;
  minSnrDb?: number;
}

/**
 * Speaker and microphone in one check: play a tone while recording and look
 * for it. The recording is longer than the tone so that the delay before
 * aplay's first sample (device open, ~50–150 ms) still leaves the tone
 * inside the window.
 */
export function audioLoopbackCheck(opts: AudioLoopbackOptions): SelfTestCheck {
  const hz = opts.hz ?? 1000;
  const toneMs = opts.toneMs ?? 500;
  const sampleRate = opts.sampleRate ?? 16_000;
  const minSnrDb = opts.minSnrDb ?? 20;
  const recordMs = toneMs + 700;
  return {
    id: 'audio-loopback',
    proves: 'the speaker plays a tone and the microphone hears it',
    limit: `${hz} Hz tone >= ${minSnrDb} dB over noise`,
    timeoutMs: recordMs + 10_000,
    async run() {
      const recording = opts.microphone.record(recordMs, sampleRate);
      const played = opts.tone.playTone(hz, toneMs, sampleRate);
      const [rec, play] = await Promise.allSettled([recording, played]);
      if (play.status === 'rejected') return fail('speaker_failed', null, reason(play.reason));
      if (rec.status === 'rejected') return fail('microphone_failed', null, reason(rec.reason));
      const heard = detectTone(rec.value, sampleRate, hz, { minSnrDb });
      const snr = Number.isFinite(heard.snrDb) ? Math.round(heard.snrDb * 10) / 10 : null;
      const detail = `level ${Number.isFinite(heard.levelDbfs) ? heard.levelDbfs.toFixed(1) : '-inf'} dBFS`;
      return heard.present ? pass(snr, detail) : fail('tone_not_heard', snr, detail);
    },
  };
}

function reason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
