import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { GestureTimings } from '../button-gesture.js';
import { DeviceTimeAligner } from '../edge-timestamps.js';
import { GestureButton } from '../gesture-button.js';
import { startProgram, type RunningProgram } from './child-process.js';
import { gpiomonArgs, parseGpiomonLine } from './gpiomon-output.js';

export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** A run at least this long counts as healthy and resets the backoff. */
  healthyAfterMs: number;
}

const DEFAULT_BACKOFF: RestartBackoff = { initialMs: 1000, maxMs: 30_000, healthyAfterMs: 10_000 };

/**
 * The reset button on a plain GPIO line, watched by libgpiod v1's gpiomon.
 * Edges are inverted here for active-low wiring rather than with
 * `gpiomon --active-low`, whose effect on edge events changed across kernels.
 * gpiomon is restarted with exponential backoff if it dies.
 */
export class GpiomonButton extends GestureButton {
  readonly #cfg: { chip: string; line: number; activeLow: boolean; command: string; backoff: RestartBackoff };
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #aligner = new DeviceTimeAligner();
  #program: RunningProgram | null = null;
  #restartTimer: Timer | null = null;
  #running = false;
  #delayMs: number;
  #partial = '';

  constructor(deps: {
    chip: string;
    line: number;
    activeLow: boolean;
    clock: Clock;
    logger: Logger;
    /** Program to run; resolved on PATH. */
    command?: string;
    backoff?: RestartBackoff;
    timings?: GestureTimings;
  }) {
    super(deps);
    this.#cfg = {
      chip: deps.chip,
      line: deps.line,
      activeLow: deps.activeLow,
      command: deps.command ?? 'gpiomon',
      backoff: deps.backoff ?? DEFAULT_BACKOFF,
    };
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#delayMs = this.#cfg.backoff.initialMs;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#spawn();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#restartTimer?.cancel();
    this.#restartTimer = null;
    const program = this.#program;
    this.#program = null;
    await program?.stop();
    this.reset();
  }

  /** Pid of the current gpiomon, for diagnostics and tests. */
  get pid(): number | undefined {
    return this.#program?.pid;
  }

  #spawn(): void {
    this.#partial = '';
    const startedAt = this.#clock.monotonic();
    const program = startProgram(this.#cfg.command, gpiomonArgs(this.#cfg.chip, this.#cfg.line), {
      onStdout: (chunk) => this.#onOutput(chunk),
    });
    this.#program = program;
    void program.exited.then((exit) => {
      if (this.#program !== program || !this.#running) return;
      this.#program = null;
      // Edges were lost while it was down; a half-seen press must not turn into a gesture.
      this.reset();
      const ranMs = this.#clock.monotonic() - startedAt;
      if (ranMs >= this.#cfg.backoff.healthyAfterMs) this.#delayMs = this.#cfg.backoff.initialMs;
      this.#logger.warn(
        {
          code: exit.code,
          signal: exit.signal,
          err: exit.spawnError ?? undefined,
          stderr: exit.stderrTail || undefined,
          restartInMs: this.#delayMs,
        },
        'gpiomon exited; restarting',
      );
      this.#restartTimer = this.#clock.setTimeout(() => {
        this.#restartTimer = null;
        if (this.#running) this.#spawn();
      }, this.#delayMs);
      this.#delayMs = Math.min(this.#cfg.backoff.maxMs, this.#delayMs * 2);
    });
  }

  #onOutput(chunk: Buffer): void {
    const arrival = this.#clock.monotonic();
    const lines = (this.#partial + chunk.toString('utf8')).split('\n');
    this.#partial = lines.pop() ?? '';
    const edges: { pressed: boolean; timeMs: number }[] = [];
    for (const line of lines) {
      if (line.trim() === '') continue;
      const edge = parseGpiomonLine(line);
      if (!edge) {
        this.#logger.debug({ line: line.slice(0, 120) }, 'unrecognised gpiomon output');
        continue;
      }
      if (edge.offset !== this.#cfg.line) continue;
      edges.push({ pressed: edge.rising !== this.#cfg.activeLow, timeMs: edge.timeMs });
    }
    const local = this.#aligner.toLocal(
      edges.map((e) => e.timeMs),
      arrival,
    );
    if (edges.length > 0) this.edges(edges.map((e, i) => ({ pressed: e.pressed, atMs: local[i] ?? arrival })));
  }
}
