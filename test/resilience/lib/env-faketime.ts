/**
 * Steps the wall clock of ONE process (the agent under test) with libfaketime,
 * never the machine's clock.
 *
 * How: LD_PRELOAD libfaketime with FAKETIME_TIMESTAMP_FILE; the test rewrites
 * the file ("+7200" = two hours ahead, in seconds) and, with
 * FAKETIME_NO_CACHE=1, the next clock_gettime() in the agent reads it.
 *
 * Measured on Node 20 / libfaketime 0.9.10 (Debian 12):
 * - Date.now() (CLOCK_REALTIME) follows the file at once, forward and back.
 * - CLOCK_MONOTONIC must NOT be faked (FAKETIME_DONT_FAKE_MONOTONIC=1): libuv
 *   timers and performance.now() run on it, and a faked backward step aborts
 *   node ("Assertion failed: (now) >= (timer_base())", env.cc GetNowUint64).
 *   Leaving it alone is also what a real step does: settimeofday()/NTP move
 *   CLOCK_REALTIME only, so timers keep firing on time across the jump.
 * - Child processes (ffmpeg) inherit LD_PRELOAD and see the same offset.
 * - OpenSSL checks certificate validity against the faked wall time, so a
 *   step back past a certificate's notBefore fails TLS (the test PKI issues
 *   certificates valid from "now": start ahead, step back less than that).
 */
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1', '/usr/lib/faketime/libfaketimeMT.so.1'];

export function faketimeLibrary(): string | null {
  return LIBS.find((p) => existsSync(p)) ?? null;
}

export interface FakeWallClock {
  /** Environment for the agent's process. */
  env: Record<string, string>;
  /** Current offset from the real wall clock, ms. */
  offsetMs(): number;
  /** Sets the agent's wall clock to real time + offset (takes effect at the agent's next clock read). */
  setOffset(ms: number): void;
  /** Steps by `ms` relative to the current offset (negative = backwards). */
  step(ms: number): void;
}

export function fakeWallClock(dir: string, initialOffsetMs = 0): FakeWallClock {
  const lib = faketimeLibrary();
  if (!lib) throw new Error('libfaketime is missing: scripts/ensure-deps --test installs the faketime package');
  const file = join(dir, 'faketime.rc');
  let offset = 0;
  const write = (ms: number) => {
    offset = ms;
    const s = Math.round(ms / 1000);
    writeFileSync(file, `${s >= 0 ? '+' : ''}${s}\n`);
  };
  write(initialOffsetMs);
  return {
    env: {
      LD_PRELOAD: lib,
      FAKETIME_TIMESTAMP_FILE: file,
      FAKETIME_NO_CACHE: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    },
    offsetMs: () => offset,
    setOffset: write,
    step: (ms) => write(offset + ms),
  };
}
