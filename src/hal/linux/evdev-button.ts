import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Clock, Timer } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { GestureTimings } from '../button-gesture.js';
import { DeviceTimeAligner } from '../edge-timestamps.js';
import { GestureButton } from '../gesture-button.js';
import { decodeInputEvents, inputEventSize, keyEdge, type EvdevLayout } from './input-events.js';

/** How often an idle device is checked. Hold times come from kernel timestamps, so this only adds latency. */
const POLL_MS = 50;
const REOPEN_MIN_MS = 1000;
const REOPEN_MAX_MS = 30_000;

/**
 * The reset button as a gpio-keys input device (/dev/input/eventN).
 *
 * Read with O_NONBLOCK and polled: Node has no readiness API for character
 * devices (net.Socket only takes pipes and sockets), and a blocking read
 * would pin a libuv pool thread until the next key event, so stop() could
 * not finish and the process could not exit.
 */
export class EvdevButton extends GestureButton {
  readonly #path: string;
  readonly #keyCode: number;
  readonly #layout: EvdevLayout;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #aligner = new DeviceTimeAligner();
  #fh: FileHandle | null = null;
  #timer: Timer | null = null;
  #running = false;
  #busy: Promise<void> | null = null;
  #rest: Buffer = Buffer.alloc(0);
  #reopenMs = REOPEN_MIN_MS;
  #warnedMissing = false;

  constructor(deps: {
    path: string;
    keyCode: number;
    layout: EvdevLayout;
    clock: Clock;
    logger: Logger;
    timings?: GestureTimings;
  }) {
    super(deps);
    this.#path = deps.path;
    this.#keyCode = deps.keyCode;
    this.#layout = deps.layout;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
  }

  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#run(() => this.#open());
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = null;
    while (this.#busy) await this.#busy;
    await this.#close();
    this.reset();
  }

  /** Runs one async step at a time; timers only ever schedule the next step. */
  #run(step: () => Promise<void>): void {
    if (!this.#running || this.#busy) return;
    this.#busy = step()
      .catch((err: unknown) => this.#logger.error({ err }, 'evdev button step failed'))
      .finally(() => {
        this.#busy = null;
      });
  }

  #later(ms: number, step: () => Promise<void>): void {
    if (!this.#running) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#run(step);
    }, ms);
  }

  async #open(): Promise<void> {
    try {
      this.#fh = await open(this.#path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (!this.#warnedMissing) this.#logger.warn({ err, path: this.#path }, 'reset button input device unavailable; retrying');
      this.#warnedMissing = true;
      this.#later(this.#reopenMs, () => this.#open());
      this.#reopenMs = Math.min(REOPEN_MAX_MS, this.#reopenMs * 2);
      return;
    }
    if (!this.#running) return this.#close();
    this.#reopenMs = REOPEN_MIN_MS;
    this.#warnedMissing = false;
    this.#rest = Buffer.alloc(0);
    await this.#readAvailable();
  }

  async #readAvailable(): Promise<void> {
    const fh = this.#fh;
    if (!fh) return;
    const buf = Buffer.alloc(inputEventSize(this.#layout) * 64);
    for (;;) {
      if (!this.#running) return;
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, null));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        // ENODEV: the device went away (driver unbound); start over.
        this.#logger.warn({ err, path: this.#path }, 'reading reset button failed; reopening');
        await this.#close();
        this.reset();
        this.#later(this.#reopenMs, () => this.#open());
        return;
      }
      // 0 = a FIFO with no writer (stand-in device); a real device never reports EOF.
      if (bytesRead === 0) break;
      this.#consume(buf.subarray(0, bytesRead));
    }
    this.#later(POLL_MS, () => this.#readAvailable());
  }

  #consume(chunk: Buffer): void {
    const arrival = this.#clock.monotonic();
    const { events, rest } = decodeInputEvents(Buffer.concat([this.#rest, chunk]), this.#layout, endianness());
    this.#rest = Buffer.from(rest);
    const edges: { pressed: boolean; timeMs: number }[] = [];
    for (const e of events) {
      const pressed = keyEdge(e, this.#keyCode);
      if (pressed !== null) edges.push({ pressed, timeMs: e.timeMs });
    }
    const local = this.#aligner.toLocal(
      edges.map((e) => e.timeMs),
      arrival,
    );
    if (edges.length > 0) this.edges(edges.map((e, i) => ({ pressed: e.pressed, atMs: local[i] ?? arrival })));
  }

  async #close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    await fh?.close().catch(() => undefined);
  }
}
