/**
 * Runs async tasks one at a time, in call order. A task that fails does
 * not stop the ones queued after it; its caller gets the rejection. The
 * one way the agent serialises access to a file, a radio or a child
 * process (config writes, the spool, NetworkManager, the hotspot…).
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
