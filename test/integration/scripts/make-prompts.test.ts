import t from 'tap';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makePrompts } from '../../../scripts/make-prompts.js';
import { PROMPT_TEXTS } from '../../../src/hal/prompt-texts.js';
import { tempDir } from '../../helpers/tmp.js';

/** Sample rate, channels, bits and duration from a canonical PCM WAV header. */
function wavInfo(b: Buffer) {
  const dataAt = b.indexOf('data');
  return {
    riff: b.toString('ascii', 0, 4) === 'RIFF' && b.toString('ascii', 8, 12) === 'WAVE',
    channels: b.readUInt16LE(22),
    rate: b.readUInt32LE(24),
    bits: b.readUInt16LE(34),
    seconds: b.readUInt32LE(dataAt + 4) / (b.readUInt32LE(24) * 2),
  };
}

t.test('every prompt of a language is synthesised as 16 kHz mono 16-bit speech', async (t) => {
  const dir = await tempDir(t);
  const files = await makePrompts(dir, ['en', 'de']);
  t.equal(files.length, 2 * Object.keys(PROMPT_TEXTS.en).length);
  t.same((await readdir(join(dir, 'en'))).sort(), Object.keys(PROMPT_TEXTS.en).map((id) => `${id}.wav`).sort(), 'one file per prompt, no leftovers');
  for (const f of files) {
    const info = wavInfo(await readFile(f));
    t.ok(info.riff, `${f} is a WAV`);
    t.same([info.channels, info.rate, info.bits], [1, 16000, 16]);
    t.ok(info.seconds > 0.3 && info.seconds < 10, `${f} lasts ${info.seconds.toFixed(2)} s`);
  }
});

t.test('every language has a text for every prompt', async (t) => {
  const ids = Object.keys(PROMPT_TEXTS.en).sort();
  for (const [lang, texts] of Object.entries(PROMPT_TEXTS)) {
    t.same(Object.keys(texts).sort(), ids, lang);
    for (const text of Object.values(texts)) t.ok(text.trim().length > 0);
  }
});
