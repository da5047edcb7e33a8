import t from 'tap';
import {
  audioTranscodeArgv,
  decodedRate,
  talkbackDecoderSpec,
  talkbackEncoderSpec,
  type TalkbackCodec,
} from '../../../src/media/audio-transcode-args.js';

/** The value following `flag` in argv, or undefined. */
function valueOf(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i < 0 ? undefined : argv[i + 1];
}

const codec = (name: TalkbackCodec['name'], sampleRate: number): TalkbackCodec => ({ name, sampleRate });

t.test('the decoder reads Matroska from stdin and starts at once on a live pipe', async (t) => {
  const spec = talkbackDecoderSpec();
  t.equal(spec.role, 'talkback-decoder');
  t.equal(spec.inputFormat, 'matroska');
  t.equal(valueOf(spec.inputOptions, '-probesize'), '32');
  t.equal(valueOf(spec.inputOptions, '-analyzeduration'), '0');
  t.equal(valueOf(spec.inputOptions, '-flags'), 'low_delay');
  t.notOk(spec.inputOptions.includes('-nostdin'), 'stdin is the input');
  t.ok(spec.inputOptions.includes('-hide_banner'));
  t.equal(valueOf(spec.inputOptions, '-loglevel'), 'error');
});

t.test('the decoder never uses -fflags nobuffer: it drops the frame read while probing', async (t) => {
  const argv = audioTranscodeArgv(talkbackDecoderSpec());
  t.notOk(argv.includes('-fflags'));
  t.notOk(argv.some((a) => a.includes('nobuffer')));
});

t.test('the decoder writes mono S16LE at the native rate, flushing every packet', async (t) => {
  const spec = talkbackDecoderSpec();
  t.equal(spec.outputFormat, 's16le');
  t.equal(valueOf(spec.outputOptions, '-ac'), '1');
  t.notOk(spec.outputOptions.includes('-ar'), 'no resampling in ffmpeg');
  t.equal(valueOf(spec.outputOptions, '-flush_packets'), '1');
});

t.test('decodedRate: G.711 8 kHz, Opus always 48 kHz, AAC its own rate', async (t) => {
  t.equal(decodedRate(codec('pcmu', 8000)), 8000);
  t.equal(decodedRate(codec('pcma', 8000)), 8000);
  t.equal(decodedRate(codec('opus', 16000)), 48000);
  t.equal(decodedRate(codec('opus', 48000)), 48000);
  t.equal(decodedRate(codec('aac', 16000)), 16000);
  t.equal(decodedRate(codec('aac', 24000)), 24000);
});

t.test('the encoder reads mono S16LE at the microphone rate from stdin, without probing', async (t) => {
  for (const name of ['pcmu', 'pcma', 'opus', 'aac'] as const) {
    const spec = talkbackEncoderSpec(codec(name, name === 'opus' ? 48000 : name === 'aac' ? 16000 : 8000), 16000);
    t.equal(spec.role, 'talkback-encoder');
    t.equal(spec.inputFormat, 's16le');
    t.equal(valueOf(spec.inputOptions, '-ar'), '16000', name);
    t.equal(valueOf(spec.inputOptions, '-ac'), '1', name);
    t.equal(valueOf(spec.inputOptions, '-probesize'), '32', name);
    t.equal(valueOf(spec.inputOptions, '-analyzeduration'), '0', name);
    t.notOk(spec.inputOptions.includes('-nostdin'), name);
    t.notOk(spec.inputOptions.includes('-fflags'), name);
    t.equal(valueOf(spec.outputOptions, '-flush_packets'), '1', name);
    t.equal(valueOf(spec.outputOptions, '-ac'), '1', name);
  }
});

t.test('G.711 is raw mu-law / A-law at 8 kHz whatever the microphone rate', async (t) => {
  const mu = talkbackEncoderSpec(codec('pcmu', 8000), 48000);
  t.equal(mu.outputFormat, 'mulaw');
  t.equal(valueOf(mu.outputOptions, '-ar'), '8000');
  t.equal(valueOf(mu.inputOptions, '-ar'), '48000');
  const a = talkbackEncoderSpec(codec('pcma', 8000), 16000);
  t.equal(a.outputFormat, 'alaw');
  t.equal(valueOf(a.outputOptions, '-ar'), '8000');
});

t.test('Opus is 20 ms libopus VoIP packets at the codec rate, one packet per Ogg page', async (t) => {
  const spec = talkbackEncoderSpec(codec('opus', 16000), 16000);
  t.equal(spec.outputFormat, 'ogg');
  t.equal(valueOf(spec.outputOptions, '-c:a'), 'libopus');
  t.equal(valueOf(spec.outputOptions, '-b:a'), '24k');
  t.equal(valueOf(spec.outputOptions, '-application'), 'voip');
  t.equal(valueOf(spec.outputOptions, '-frame_duration'), '20');
  t.equal(valueOf(spec.outputOptions, '-ar'), '16000');
  t.equal(valueOf(spec.outputOptions, '-page_duration'), '20000', 'µs: one 20 ms packet per page');
});

t.test('AAC is native aac in ADTS at the codec rate', async (t) => {
  const spec = talkbackEncoderSpec(codec('aac', 24000), 16000);
  t.equal(spec.outputFormat, 'adts');
  t.equal(valueOf(spec.outputOptions, '-c:a'), 'aac');
  t.equal(valueOf(spec.outputOptions, '-b:a'), '32k');
  t.equal(valueOf(spec.outputOptions, '-ar'), '24000');
});

t.test('argv: input options, -f, -i pipe:0, output options, -f, pipe:1', async (t) => {
  const spec = talkbackEncoderSpec(codec('pcmu', 8000), 16000);
  const argv = audioTranscodeArgv(spec);
  t.same(argv.slice(0, spec.inputOptions.length), spec.inputOptions);
  const i = argv.indexOf('-i');
  t.same(argv.slice(i - 2, i + 2), ['-f', 's16le', '-i', 'pipe:0']);
  t.same(argv.slice(-3), ['-f', 'mulaw', 'pipe:1']);
  t.same(argv.slice(i + 2, -3), spec.outputOptions);
});
