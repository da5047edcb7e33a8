/**
 * A scripted stand-in for one ffmpeg run, for unit tests of the supervision
 * logic in frame-source.ts. It behaves like ffmpeg.ts promises to: data
 * chunks of any size, one `exited` resolution, SIGTERM/SIGKILL obeyed
 * (unless told to ignore SIGTERM, like a process stuck in a read()).
 */
import type { GrayFrameSpec } from '../../src/media/ffmpeg-args.js';
import type { FfmpegExit, FfmpegProcess, SpawnGrayFrames } from '../../src/media/ffmpeg.js';
import { MediaError } from '../../src/media/media-error.js';

let nextPid = 40_000;

export class FakeFfmpeg implements FfmpegProcess {
  readonly commandLine = 'ffmpeg (fake)';
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<FfmpegExit>;
  ignoreSigterm = false;
  readonly #pid = nextPid++;
  readonly #listeners: Array<(chunk: Uint8Array) => void> = [];
  #resolve: (exit: FfmpegExit) => void = () => undefined;
  #done = false;

  constructor(readonly spec: GrayFrameSpec) {
    this.exited = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get done(): boolean {
    return this.#done;
  }

  pid(): number | undefined {
    return this.#done ? undefined : this.#pid;
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.#listeners.push(listener);
  }

  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (this.#done) return;
    if (signal === 'SIGTERM' && this.ignoreSigterm) return;
    // ffmpeg handles SIGTERM by exiting with 255; SIGKILL cannot be handled.
    if (signal === 'SIGTERM') this.exitWith(255);
    else this.killedBy(signal);
  }

  /** Writes raw bytes as one stdout chunk. */
  write(bytes: Uint8Array): void {
    if (this.#done) throw new Error('fake ffmpeg already exited');
    for (const listener of this.#listeners) listener(bytes);
  }

  /** Writes `count` whole frames of the spec's size, as one chunk, pixel value = frame index. */
  writeFrames(count = 1): void {
    const size = this.spec.width * this.spec.height;
    const chunk = new Uint8Array(size * count);
    for (let i = 0; i < count; i++) chunk.fill(i & 0xff, i * size, (i + 1) * size);
    this.write(chunk);
  }

  exitWith(code: number, stderrTail: string[] = []): void {
    const error = code === 0 ? null : new MediaError('ffmpeg_exited', `ffmpeg exited with code ${code}`);
    this.#finish({ code, signal: null, error, stderrTail });
  }

  killedBy(signal: NodeJS.Signals): void {
    this.#finish({ code: null, signal, error: new MediaError('ffmpeg_killed', `ffmpeg was killed by ${signal}`), stderrTail: [] });
  }

  #finish(exit: FfmpegExit): void {
    if (this.#done) return;
    this.#done = true;
    this.#resolve(exit);
  }
}

export interface FakeSpawner {
  spawn: SpawnGrayFrames;
  /** Every run started so far, oldest first. */
  runs: FakeFfmpeg[];
  /** The latest run; throws when none was started. */
  current(): FakeFfmpeg;
  /** Runs whose process is still alive. */
  alive(): FakeFfmpeg[];
}

export function fakeSpawner(): FakeSpawner {
  const runs: FakeFfmpeg[] = [];
  return {
    runs,
    spawn: (spec) => {
      const run = new FakeFfmpeg(spec);
      runs.push(run);
      return run;
    },
    current: () => {
      const run = runs.at(-1);
      if (run === undefined) throw new Error('no ffmpeg run started');
      return run;
    },
    alive: () => runs.filter((r) => !r.done),
  };
}

/** Lets promise callbacks (exit handling) run; not a sleep, no time passes. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
