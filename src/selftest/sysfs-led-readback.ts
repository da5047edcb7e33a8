import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChannelReading, LedReadback } from './checks/status-led.js';

/**
 * Reads the status LED back from the Linux LED class: `brightness` and the
 * `trigger` file, which lists every trigger with the active one in brackets
 * ("none [timer] heartbeat"). Test stand-in trees hold just the last word
 * written ("timer"); both read the same here.
 */
export class SysfsLedReadback implements LedReadback {
  readonly #dirs: { blue: string | null; red: string | null };

  /** @param dirs LED class directories (/sys/class/leds/<name> under sysRoot), null when not fitted */
  constructor(dirs: { blue: string | null; red: string | null }) {
    this.#dirs = dirs;
  }

  async read(): Promise<{ blue: ChannelReading; red: ChannelReading }> {
    return { blue: await readChannel(this.#dirs.blue), red: await readChannel(this.#dirs.red) };
  }
}

async function readChannel(dir: string | null): Promise<ChannelReading> {
  if (!dir) return { present: false, canBlink: false, output: 'off' };
  let brightness: number;
  try {
    brightness = Number.parseInt((await readFile(join(dir, 'brightness'), 'utf8')).trim(), 10);
  } catch {
    return { present: false, canBlink: false, output: 'off' };
  }
  const { active, available } = parseTrigger(await readFile(join(dir, 'trigger'), 'utf8').catch(() => ''));
  const output = active === 'timer' ? 'blinking' : brightness > 0 ? 'on' : 'off';
  // A stand-in file shows only the last word written, so a running timer also proves the trigger exists.
  return { present: true, canBlink: available.includes('timer') || active === 'timer', output };
}

export function parseTrigger(text: string): { active: string | null; available: string[] } {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const bracketed = words.find((w) => w.startsWith('[') && w.endsWith(']'));
  const available = words.map((w) => w.replace(/^\[|\]$/g, ''));
  if (bracketed) return { active: bracketed.slice(1, -1), available };
  // A single bare word: a stand-in file holding what was last written.
  return { active: words.length === 1 ? (words[0] ?? null) : null, available };
}
