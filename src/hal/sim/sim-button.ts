import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { GestureTimings } from '../button-gesture.js';
import { GestureButton } from '../gesture-button.js';
import { HalError } from '../hal-error.js';
import { AppendedLines } from './appended-lines.js';
import { parsePressLine, pressDurationProblem } from './press-line.js';

/**
 * The reset button on a development machine. Presses come from lines
 * appended to a file (`press 6000`) or from simulatePress(); either way the
 * press is held for real (clock) time, so hold feedback and gestures happen
 * exactly as they would on the device.
 */
export class SimButton extends GestureButton {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #file: AppendedLines | null;
  #release: { timer: Timer; done: () => void } | null = null;

  constructor(deps: { clock: Clock; logger: Logger; buttonFile: string; timings?: GestureTimings }) {
    super(deps);
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#file = deps.buttonFile ? new AppendedLines(deps.buttonFile, (l) => this.#onLine(l), deps.logger) : null;
  }

  async start(): Promise<void> {
    await this.#file?.start();
  }

  /** Ends any simulated press without a release edge, so no gesture fires during shutdown. */
  async stop(): Promise<void> {
    await this.#file?.stop();
    const pending = this.#release;
    this.#release = null;
    pending?.timer.cancel();
    pending?.done();
    this.reset();
  }

  /** Settles once lines already appended to the button file have been acted on. */
  async fileDrained(): Promise<void> {
    await this.#file?.drained();
  }

  /** Press, hold for ms of clock time, release; resolves on release. */
  simulatePress(ms: number): Promise<void> {
    const problem = pressDurationProblem(ms);
    if (problem) return Promise.reject(new HalError('invalid_press_duration', problem));
    if (this.#release) return Promise.reject(new HalError('button_busy', 'a simulated press is still held'));
    this.#logger.info({ pressMs: ms }, 'simulated button press');
    this.edge(true, this.#clock.monotonic());
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#release = null;
        this.edge(false, this.#clock.monotonic());
        resolve();
      }, ms);
      this.#release = { timer, done: resolve };
    });
  }

  #onLine(line: string): void {
    const parsed = parsePressLine(line);
    if (parsed.kind === 'blank') return;
    if (parsed.kind === 'malformed') {
      this.#logger.warn({ line, reason: parsed.reason }, 'ignoring malformed line in sim button file');
      return;
    }
    this.simulatePress(parsed.ms).catch((err: unknown) =>
      this.#logger.warn({ err, line }, 'ignoring sim button file line'),
    );
  }
}
