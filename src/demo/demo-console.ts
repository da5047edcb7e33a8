import { createWriteStream, type WriteStream } from 'node:fs';
import type { LogOutput } from '../log/logger.js';

/**
 * What the demo shows a person: every agent log line at info or above as a
 * short readable line, while the full JSON lines go to agent.log in the
 * output folder, exactly as journald would receive them on a camera.
 */
export class DemoConsole implements LogOutput {
  readonly #file: WriteStream;

  constructor(
    logFile: string,
    private readonly print: (line: string) => void,
  ) {
    this.#file = createWriteStream(logFile, { flags: 'a' });
  }

  write(line: string): void {
    this.#file.write(line);
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (rec.level === 'debug' || rec.level === 'trace') return;
    this.print(humanLine(rec));
  }

  say(text: string): void {
    this.print(`${clock()}  ${text}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#file.end(() => resolve()));
  }
}

const ICON: Record<string, string> = { led: '💡', prompt: '🔊', state: '➜ ', video: '🎥', motion: '🏃', warn: '⚠️ ', error: '✖ ', fatal: '✖ ' };

export function humanLine(rec: Record<string, unknown>): string {
  const { level, time, svc, msg, pid: _p, hostname: _h, ...rest } = rec;
  let icon = '  ';
  if ('led' in rest) icon = ICON.led!;
  else if ('prompt' in rest) icon = ICON.prompt!;
  else if (msg === 'device state changed') icon = ICON.state!;
  else if (svc === 'video') icon = ICON.video!;
  else if (svc === 'motion') icon = ICON.motion!;
  if (level === 'warn' || level === 'error' || level === 'fatal') icon = ICON[level as string]!;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const t = typeof time === 'string' ? time.slice(11, 19) : clock();
  return `${t}  ${icon} [${String(svc)}] ${String(msg)}${fields ? `  ${fields}` : ''}`;
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
