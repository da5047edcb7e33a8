/**
 * Parts that come up together and go down together: start() starts them in
 * order, stop() stops them in reverse. A stop() that arrives while start() is
 * still under way waits for it and wins: no part is started after the stop,
 * and everything that was started is stopped.
 *
 * Why: the QR scanning window starts its decoder, then its own ffmpeg. When
 * the window closed while the decoder was still loading (the camera came
 * online during provisioning, on a busy CPU), the stop found nothing to stop
 * yet and the ffmpeg started right after it, for good: a second RTSP session
 * on the camera (test/resilience/faults/rtsp-stall.test.ts found it).
 */
export interface StartStop {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function orderedStart(parts: readonly StartStop[]): StartStop {
  let starting: Promise<void> | null = null;
  let started: StartStop[] = [];
  let stopRequested = false;
  return {
    start() {
      stopRequested = false;
      started = [];
      const run = (async () => {
        for (const part of parts) {
          if (stopRequested) return;
          await part.start();
          started.push(part);
        }
      })();
      starting = run;
      return run;
    },
    async stop() {
      stopRequested = true;
      // A start that fails still ends; what it started is stopped below.
      await starting?.catch(() => undefined);
      starting = null;
      const toStop = started.reverse();
      started = [];
      for (const part of toStop) await part.stop();
    },
  };
}
