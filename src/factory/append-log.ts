import { open, readFile, truncate } from 'node:fs/promises';

/**
 * Line-oriented append-only files (manifest, journal, uniqueness index).
 * Each line is one write(2) on an O_APPEND descriptor followed by fdatasync:
 * a killed process leaves whole lines; only a power cut can leave a torn
 * last line, which `readLines` cuts off before anything appends again.
 */
export async function appendLine(path: string, text: string, headerIfNew = ''): Promise<void> {
  const fh = await open(path, 'a', 0o644);
  try {
    const size = (await fh.stat()).size;
    await fh.write(size === 0 ? headerIfNew + text : text);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** The complete lines of `path` ("" when it does not exist), truncating a torn tail. */
export async function readLines(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  if (text.length > 0 && !text.endsWith('\n')) {
    const keep = text.lastIndexOf('\n') + 1;
    await truncate(path, Buffer.byteLength(text.slice(0, keep)));
    text = text.slice(0, keep);
  }
  return text;
}
