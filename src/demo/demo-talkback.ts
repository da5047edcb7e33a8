import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log/logger.js';
import { spawnAudioTranscoder } from '../media/ffmpeg.js';
import { talkbackEncoderSpec } from '../media/audio-transcode-args.js';
import { codecSpec } from '../talkback/codec.js';
import { createPayloadSplitter } from '../talkback/payload-splitter.js';
import { encodeTalkFrame } from '../talkback/talk-frame.js';
import type { StandInCloud } from './stand-in-cloud.js';

const run = promisify(execFile);

/**
 * The phone app talking through the camera, as the demo shows it: a short
 * spoken clip (espeak-ng; a two-tone chime where it is missing) encoded
 * as G.711 µ-law with the agent's own encoder path, sent as push-to-talk
 * frames over the stand-in cloud (MQTT: no relay in the demo). The camera
 * plays it through its simulated speaker, which keeps it as talkback.wav in
 * the output folder.
 */
const CLIP_TEXT = 'Hello! This is the phone app, talking through your camera.';
const SESSION_ID = 'demo-talkback-0001';

export async function demoTalkback(deps: { cloud: StandInCloud; deviceId: string; workDir: string; clip: string; logger: Logger; say: (line: string) => void }): Promise<void> {
  const { cloud, deviceId, say } = deps;
  const frames = await clipFrames(deps.workDir, deps.logger);
  let resolveAnswer: (status: string) => void = () => undefined;
  let resolveEnded: () => void = () => undefined;
  const answered = new Promise<string>((resolve) => (resolveAnswer = resolve));
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  cloud.onPublish((topic, payload) => {
    if (topic === `cam/${deviceId}/response/talkback.start`) resolveAnswer(String((JSON.parse(payload.toString()) as { status?: string }).status));
    if (topic === `cam/${deviceId}/event/talkback` && payload.includes('"state":"ended"') && payload.includes(SESSION_ID)) resolveEnded();
  });
  const request = (op: string, args: Record<string, unknown>): Promise<void> =>
    cloud.publish(`cam/${deviceId}/request/${op}`, JSON.stringify({ transaction: `demo-${op}-${Date.now()}`, ts: Date.now(), args }));
  say(`🎙  demo: the app starts a talkback session (push-to-talk over the cloud, G.711 µ-law)`);
  await request('talkback.start', { sessionId: SESSION_ID, codec: { name: 'pcmu' }, transport: 'mqtt' });
  const status = await Promise.race([answered, new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 10_000))]);
  if (status !== 'ok') {
    say(`demo: talkback.start answered ${status}`);
    return;
  }
  // Real time, 20 ms a frame, scheduled from the start so the pace does not drift.
  const start = performance.now();
  for (let i = 0; i < frames.length; i++) {
    const wait = start + i * 20 - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    await cloud.publish(`cam/${deviceId}/talkback/down`, frames[i] as Uint8Array, 0);
  }
  await cloud.publish(`cam/${deviceId}/talkback/down`, encodeTalkFrame({ type: 'end', seq: frames.length, timestamp: frames.length * 160 }), 0);
  // Let the jitter buffer play out before hanging up.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await request('talkback.stop', { sessionId: SESSION_ID });
  // The simulated speaker writes its recording when the playback ends, before the end event goes out.
  await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  say(`🔊 demo: the camera played the app's voice; its speaker output is in ${deps.clip}`);
}

/** The clip as wire frames: 20 ms of µ-law each. */
async function clipFrames(dir: string, logger: Logger): Promise<Uint8Array[]> {
  const { pcm, rate } = await speech(dir).catch(() => ({ pcm: chime(16000), rate: 16000 }));
  const spec = codecSpec('pcmu');
  const encoder = spawnAudioTranscoder(talkbackEncoderSpec(spec, rate), { logger });
  const splitter = createPayloadSplitter(spec);
  const payloads: Uint8Array[] = [];
  encoder.onData((bytes) => payloads.push(...splitter.push(bytes).map((p) => p.payload)));
  encoder.write(pcm);
  encoder.end();
  await encoder.exited;
  payloads.push(...splitter.flush().map((p) => p.payload));
  let ts = 0;
  return payloads.map((payload, seq) => {
    const frame = encodeTalkFrame({ type: 'audio', codec: 'pcmu', seq, timestamp: ts, marker: seq === 0, payload });
    ts += payload.length;
    return frame;
  });
}

/** espeak-ng's voice: a 16-bit mono WAV, its samples and rate. */
async function speech(dir: string): Promise<{ pcm: Buffer; rate: number }> {
  const file = join(dir, 'talkback-clip.wav');
  await run('espeak-ng', ['-w', file, CLIP_TEXT], { timeout: 10_000 });
  const wav = await readFile(file);
  const rate = wav.readUInt32LE(24);
  const data = wav.indexOf('data', 12, 'ascii');
  if (data < 0 || wav.readUInt16LE(34) !== 16 || wav.readUInt16LE(22) !== 1) throw new Error('unexpected espeak-ng WAV');
  return { pcm: wav.subarray(data + 8, data + 8 + wav.readUInt32LE(data + 4)), rate };
}

/** A door chime, for machines without espeak-ng: 660 Hz then 550 Hz, 0.6 s each, fading. */
function chime(rate: number): Buffer {
  const n = Math.round(rate * 0.6);
  const pcm = Buffer.alloc(n * 4);
  [660, 550].forEach((hz, k) => {
    for (let i = 0; i < n; i++) {
      const v = 12000 * Math.exp((-3 * i) / n) * Math.sin((2 * Math.PI * hz * i) / rate);
      pcm.writeInt16LE(Math.round(v), (k * n + i) * 2);
    }
  });
  return pcm;
}
