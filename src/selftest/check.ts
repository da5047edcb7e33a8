import type { Clock } from '../core/clock.js';

/**
 * What a self-test check is: an id, the claim it proves, and a run that
 * measures one thing on the board and compares it with a limit. Checks are
 * plain objects built by factories in checks/, so the list, order and
 * limits of a self-test are data the runner walks through.
 */

/** Why a check failed; what the factory's test station records and maps to a repair hint. */
export type SelfTestCode =
  // runner
  | 'check_timeout'
  | 'check_crashed'
  // camera-frames
  | 'camera_not_configured'
  | 'camera_no_frames'
  | 'camera_image_black'
  | 'camera_image_uniform'
  // audio-loopback
  | 'speaker_failed'
  | 'microphone_failed'
  | 'tone_not_heard'
  // status-led
  | 'led_missing'
  | 'led_readback_mismatch'
  // reset-button
  | 'button_not_pressed'
  // wifi-scan (plus the scanner's own codes, see network/wifi-scan.ts)
  | 'wifi_no_networks'
  | 'radio_off'
  | 'no_wifi_device'
  | 'nmcli_missing'
  | 'nm_not_running'
  | 'scan_failed'
  // clock
  | 'clock_before_build'
  | 'clock_far_future'
  | 'monotonic_stalled'
  // identity
  | 'identity_missing'
  | 'identity_unreadable'
  | 'identity_incomplete';

/** What one run of a check found. */
export type CheckOutcome =
  | { pass: true; measured: Measured; detail?: string }
  | { pass: false; measured: Measured; code: SelfTestCode; detail?: string };

/** A number where one makes sense (the station may trend it), else a short text. */
export type Measured = number | string | null;

export interface CheckContext {
  clock: Clock;
  /** Aborted when the check ran out of time; a check stops waiting and returns. */
  signal: AbortSignal;
  /** Registers an undo step (stop a process, restore the LED); the runner runs them even after a timeout. */
  onCleanup(step: () => unknown): void;
  /** Tells the operator what to do ("press the reset button now"). */
  prompt(line: string): void;
}

export interface SelfTestCheck {
  /** kebab-case, stable: stations and --only refer to it. */
  id: string;
  /** The claim a pass proves, for the report. */
  proves: string;
  /** The pass condition in words, with units. */
  limit: string;
  /** Upper bound on run(); the runner gives up and cleans up after it. */
  timeoutMs: number;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

export const pass = (measured: Measured, detail?: string): CheckOutcome => (detail === undefined ? { pass: true, measured } : { pass: true, measured, detail });

export const fail = (code: SelfTestCode, measured: Measured, detail?: string): CheckOutcome =>
  detail === undefined ? { pass: false, measured, code } : { pass: false, measured, code, detail };

/** Resolves after ms of clock time, or early (false) when the signal aborts. */
export function waitFor(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      resolve(false);
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
