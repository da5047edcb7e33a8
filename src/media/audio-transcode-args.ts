/**
 * The ffmpeg argument lists for talkback audio: decode the downlink (a live
 * Matroska stream on stdin) to raw PCM, and encode the microphone's raw PCM
 * to the session codec. Pure, so every flag choice is unit-tested without
 * ffmpeg; ffmpeg.ts runs them (spawnAudioTranscoder).
 *
 * Measured with ffmpeg 5.1 (Debian 12), 20 ms frames written every 20 ms:
 *
 * - Decoder, Matroska in (one known-size Cluster per frame) → s16le out:
 *   a frame's PCM is on stdout 0.3 ms (median; max 2–4 ms) after its
 *   Cluster is written, for G.711, Opus and AAC alike. There is NO one-frame
 *   hold-back in the demuxer. What looked like one was `-fflags nobuffer`:
 *   it discards the packets read while probing the stream, i.e. the FIRST
 *   frame, so "bytes out" lag "frames in" by one frame forever after (and
 *   the stream ends one frame short). It is therefore not used here.
 * - Probing: `-probesize 32 -analyzeduration 0` never stalls a Matroska
 *   input (the track header carries everything); without them it does not
 *   stall either, but an s16le input then produces nothing until 5 s of
 *   audio (the default analyzeduration) or the end of stdin.
 * - Encoder, s16le in: ffmpeg's raw PCM demuxer reads fixed packets of
 *   min(sampleRate / 25, 1024) samples — 40 ms at 8 and 16 kHz, 21.3 ms at
 *   48 kHz — and no option changes that in 5.1. With 20 ms writes at 16 kHz
 *   output therefore comes every 40 ms, 0.3–0.7 ms after every second write
 *   (G.711: 320 bytes; Opus: two one-packet Ogg pages; AAC: a 64 ms ADTS
 *   frame whenever one is complete, the first ~150 ms after the first write
 *   because of the encoder's priming frame).
 * - Ogg: the muxer's default page_duration (1 s) holds a whole second of
 *   Opus; `-page_duration 20000` (µs) puts each 20 ms packet on its own page.
 */

/** How ffmpeg is run for one talkback direction: stdin in, stdout out. */
export interface AudioTranscodeSpec {
  /** ffmpeg input format (`-f`), read from stdin (pipe:0). */
  inputFormat: string;
  /** Options before `-i` (global flags included), without `-f`. */
  inputOptions: string[];
  /** ffmpeg output format (`-f`), written to stdout (pipe:1). */
  outputFormat: string;
  /** Options before the output, without `-f`. */
  outputOptions: string[];
  /** Label for logs, e.g. 'talkback-decoder'. */
  role: string;
}

export type TalkbackCodecName = 'pcmu' | 'pcma' | 'opus' | 'aac';

export interface TalkbackCodec {
  name: TalkbackCodecName;
  /** The codec's sample rate as negotiated (G.711 is 8000 by definition). */
  sampleRate: number;
}

/** Opus packet length the encoder is asked for, and the Ogg page length that keeps one packet per page. */
export const OPUS_FRAME_MS = 20;

// -nostats / -loglevel error: stderr carries only the reason for a failure,
// which becomes FfmpegExit.error. No -nostdin: stdin is the input.
const GLOBAL = ['-hide_banner', '-nostats', '-loglevel', 'error'];

// Start at once on a live pipe: the header (Matroska) or the command line
// (s16le) already says everything probing would find. `-flags low_delay`
// asks decoders not to delay output. NOT `-fflags nobuffer`: it drops the
// first frame (see above).
const LIVE_INPUT = ['-probesize', '32', '-analyzeduration', '0', '-flags', 'low_delay'];

// Write every packet to the pipe as soon as it is muxed, not when avio's
// 32 KB buffer fills.
const FLUSH = ['-flush_packets', '1'];

/**
 * Downlink: a live Matroska stream (talkback/matroska-writer.ts) on stdin to
 * mono S16LE on stdout, at the decoder's NATIVE rate (decodedRate()): no
 * `-ar`, because resampling in ffmpeg holds samples back in the resampler;
 * ALSA's plug layer resamples instead.
 */
export function talkbackDecoderSpec(): AudioTranscodeSpec {
  return {
    role: 'talkback-decoder',
    inputFormat: 'matroska',
    inputOptions: [...GLOBAL, ...LIVE_INPUT],
    outputFormat: 's16le',
    outputOptions: ['-vn', '-sn', '-dn', '-ac', '1', ...FLUSH],
  };
}

/**
 * The rate of the PCM talkbackDecoderSpec() produces for a codec (checked
 * against real ffmpeg in test/integration/media/audio-transcoder.test.ts):
 * - G.711: 8000 (ffmpeg's PCM decoders keep the track's declared rate; the
 *   writer declares 8000);
 * - Opus: 48000 always: ffmpeg's native Opus decoder (the default, not
 *   libopus) outputs 48 kHz whatever the track or OpusHead declares;
 * - AAC: the stream's own rate.
 */
export function decodedRate(codec: TalkbackCodec): number {
  switch (codec.name) {
    case 'pcmu':
    case 'pcma':
      return 8000;
    case 'opus':
      return 48000;
    case 'aac':
      return codec.sampleRate;
  }
}

/**
 * Uplink: the microphone's mono S16LE at `micRate` on stdin to `codec` on
 * stdout: raw G.711 bytes, Opus in Ogg (one packet per page) or AAC in ADTS.
 */
export function talkbackEncoderSpec(codec: TalkbackCodec, micRate: number): AudioTranscodeSpec {
  const inputOptions = [...GLOBAL, ...LIVE_INPUT, '-ar', String(micRate), '-ac', '1'];
  const common = ['-vn', '-sn', '-dn', '-ac', '1'];
  let outputFormat: string;
  let codecOptions: string[];
  switch (codec.name) {
    case 'pcmu':
      outputFormat = 'mulaw';
      codecOptions = ['-ar', '8000'];
      break;
    case 'pcma':
      outputFormat = 'alaw';
      codecOptions = ['-ar', '8000'];
      break;
    case 'opus':
      outputFormat = 'ogg';
      codecOptions = [
        '-c:a', 'libopus', '-b:a', '24k', '-application', 'voip',
        '-frame_duration', String(OPUS_FRAME_MS), '-ar', String(codec.sampleRate),
        // µs; the default (1 s) would hold a second of packets per page.
        '-page_duration', String(OPUS_FRAME_MS * 1000),
      ];
      break;
    case 'aac':
      outputFormat = 'adts';
      codecOptions = ['-c:a', 'aac', '-b:a', '32k', '-ar', String(codec.sampleRate)];
      break;
  }
  return {
    role: 'talkback-encoder',
    inputFormat: 's16le',
    inputOptions,
    outputFormat,
    outputOptions: [...common, ...codecOptions, ...FLUSH],
  };
}

/** The full argv (without the program name) as ffmpeg will see it: stdin in, stdout out. */
export function audioTranscodeArgv(spec: AudioTranscodeSpec): string[] {
  return [
    ...spec.inputOptions, '-f', spec.inputFormat, '-i', 'pipe:0',
    ...spec.outputOptions, '-f', spec.outputFormat, 'pipe:1',
  ];
}
