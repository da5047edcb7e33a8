/**
 * Talkback audio as the app would send it: an espeak-ng utterance encoded
 * by ffmpeg in the session's codec, cut into payloads by the agent's own
 * splitter and framed, plus the reference PCM the camera should play (the
 * same encoded audio decoded by ffmpeg directly).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CodecSpec } from '../../src/talkback/codec.js';
import { createPayloadSplitter } from '../../src/talkback/payload-splitter.js';
import { encodeTalkFrame } from '../../src/talkback/talk-frame.js';

const run = promisify(execFile);

export const UTTERANCE_TEXT = 'Hello, this is the front door camera. Please leave the parcel by the gate, thank you.';

/** A WAV of espeak-ng speaking `text` (22.05 kHz mono), cached in `dir`. */
export async function utteranceWav(dir: string, text = UTTERANCE_TEXT): Promise<string> {
  const file = join(dir, 'utterance.wav');
  if (!existsSync(file)) await run('espeak-ng', ['-w', file, text]);
  return file;
}

export interface EncodedTalk {
  codec: CodecSpec;
  /** Payloads in order with their duration in the codec's clock units. */
  payloads: Array<{ payload: Uint8Array; duration: number }>;
  /** What a plain ffmpeg decode of the same encoded stream gives: S16LE mono at `rate`. */
  reference: Buffer;
  rate: number;
}

/** Encode `wav` for the codec and decode the result again for the reference. */
export async function encodeTalk(dir: string, wav: string, codec: CodecSpec): Promise<EncodedTalk> {
  const base = join(dir, `talk-${codec.name}-${codec.sampleRate}`);
  let file: string;
  let inputFormat: string[];
  let args: string[];
  switch (codec.name) {
    case 'pcmu':
    case 'pcma':
      file = `${base}.raw`;
      args = ['-ar', '8000', '-ac', '1', '-f', codec.name === 'pcmu' ? 'mulaw' : 'alaw', file];
      inputFormat = ['-f', codec.name === 'pcmu' ? 'mulaw' : 'alaw', '-ar', '8000', '-ac', '1'];
      break;
    case 'opus':
      file = `${base}.ogg`;
      args = ['-ar', String(codec.sampleRate), '-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-application', 'voip', '-frame_duration', '20', '-f', 'ogg', file];
      inputFormat = ['-f', 'ogg'];
      break;
    case 'aac':
      file = `${base}.aac`;
      args = ['-ar', String(codec.sampleRate), '-ac', '1', '-c:a', 'aac', '-b:a', '48k', '-f', 'adts', file];
      inputFormat = ['-f', 'aac'];
      break;
  }
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', wav, ...args]);
  const rate = codec.name === 'opus' ? 48000 : codec.sampleRate;
  const ref = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...inputFormat, '-i', file, '-f', 's16le', '-ac', '1', '-ar', String(rate), 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  const splitter = createPayloadSplitter(codec);
  const bytes = await readFile(file);
  const payloads = [...splitter.push(bytes), ...splitter.flush()];
  return { codec, payloads, reference: ref.stdout, rate };
}

export interface WireFrame {
  seq: number;
  timestamp: number;
  duration: number;
  bytes: Uint8Array;
}

/** Payloads framed as the app frames them: seq from 0, timestamps from `ts0`. */
export function frameTalk(talk: EncodedTalk, ts0 = 0): WireFrame[] {
  let ts = ts0 >>> 0;
  return talk.payloads.map(({ payload, duration }, seq) => {
    const bytes = encodeTalkFrame({ type: 'audio', codec: talk.codec.name, seq, timestamp: ts, marker: seq === 0, payload });
    const frame = { seq, timestamp: ts, duration, bytes };
    ts = (ts + duration) >>> 0;
    return frame;
  });
}

/**
 * Send frames in real time, each at its timestamp's moment (drift-free:
 * scheduled from the start, not from the previous send), as a network
 * would deliver them. `order` lets a test reorder, duplicate or drop
 * frames: a frame is sent at its own moment or, when it comes after a
 * later one in `order`, right after that one (it was held up in the
 * network); a duplicate goes right after the original; a dropped frame
 * leaves its moment empty.
 */
export async function sendPaced(send: (bytes: Uint8Array) => void, frames: WireFrame[], clockRate: number, order?: number[]): Promise<void> {
  const sequence = order ?? frames.map((_, i) => i);
  const first = frames[0];
  if (!first) return;
  const start = performance.now();
  for (const index of sequence) {
    const frame = frames[index];
    if (!frame) continue;
    const elapsedTs = (frame.timestamp - first.timestamp) >>> 0;
    const wait = start + (elapsedTs * 1000) / clockRate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    send(frame.bytes);
  }
}
