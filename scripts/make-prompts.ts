// Synthesises the voice prompts into DIR/<language>/<prompt>.wav with
// espeak-ng, resampled by ffmpeg to 16 kHz mono 16-bit PCM (what a camera's
// small speaker codec plays without resampling, and half the flash of 32 kHz).
//
//   node --import tsx scripts/make-prompts.ts DIR [LANG…]
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ESPEAK_VOICE, PROMPT_TEXTS } from '../src/hal/prompt-texts.js';
import { LANGUAGES, type Language } from '../src/config/schema.js';

const run = promisify(execFile);

export async function makePrompts(dir: string, languages: readonly Language[] = LANGUAGES): Promise<string[]> {
  const written: string[] = [];
  for (const lang of languages) {
    await mkdir(join(dir, lang), { recursive: true });
    for (const [id, text] of Object.entries(PROMPT_TEXTS[lang])) {
      const raw = join(dir, lang, `.${id}.espeak.wav`);
      const out = join(dir, lang, `${id}.wav`);
      await run('espeak-ng', ['-v', ESPEAK_VOICE[lang], '-s', '150', '-w', raw, '--', text]);
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', raw, '-ac', '1', '-ar', '16000', '-sample_fmt', 's16', '-map_metadata', '-1', '-fflags', '+bitexact', out]);
      await rm(raw);
      written.push(out);
    }
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, ...langs] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: make-prompts DIR [LANG…]\n');
    process.exit(2);
  }
  const unknown = langs.filter((l) => !(LANGUAGES as readonly string[]).includes(l));
  if (unknown.length) {
    process.stderr.write(`unknown language(s): ${unknown.join(', ')}\n`);
    process.exit(2);
  }
  const files = await makePrompts(dir, langs.length ? (langs as Language[]) : LANGUAGES);
  process.stdout.write(`wrote ${files.length} prompts to ${dir}\n`);
}
