import type { LedPattern } from './types.js';

/**
 * What each status-LED pattern looks like, as data. Drivers (sysfs, sim)
 * play these sequences; nothing here touches hardware.
 */

export type LedColor = 'blue' | 'red' | 'off';

export interface LedStep {
  readonly color: LedColor;
  readonly ms: number;
}

/** A sequence of one step is a steady colour; longer ones loop forever. */
export type LedSequence = readonly LedStep[];

const SEQUENCES: Readonly<Record<LedPattern, LedSequence>> = {
  off: [{ color: 'off', ms: 1000 }],
  // Slow blink: "I am waiting for you" (QR code / Wi-Fi credentials).
  provisioning: [
    { color: 'blue', ms: 500 },
    { color: 'off', ms: 500 },
  ],
  // Fast blink: "working on it", visibly different from provisioning at a glance.
  joining: [
    { color: 'blue', ms: 125 },
    { color: 'off', ms: 125 },
  ],
  online: [{ color: 'blue', ms: 1000 }],
  // Two short red flashes then a long pause: reads as an alert, not as activity,
  // and stays distinguishable from the blue blinks for colour-blind users by rhythm.
  error: [
    { color: 'red', ms: 150 },
    { color: 'off', ms: 150 },
    { color: 'red', ms: 150 },
    { color: 'off', ms: 1050 },
  ],
  // Rapid red/blue alternation: unmistakable when looking for "which camera is it".
  identify: [
    { color: 'red', ms: 100 },
    { color: 'blue', ms: 100 },
  ],
  // Off rather than dim red: a lit LED on a camera conventionally means "live",
  // which is the opposite of what privacy mode promises; red already means
  // "error" in this vocabulary; and many boards wire GPIO LEDs with
  // max_brightness 1, so "dim" could not be shown consistently anyway.
  privacy: [{ color: 'off', ms: 1000 }],
  // The microphone is open (talkback): a slow blue heartbeat, so anyone in the
  // room can tell a live microphone from the steady "online" blue.
  talkback: [
    { color: 'blue', ms: 800 },
    { color: 'off', ms: 200 },
  ],
};

export function ledSequence(pattern: LedPattern): LedSequence {
  return SEQUENCES[pattern];
}

/** The colour a pattern holds without change, or null when it animates. */
export function steadyColor(pattern: LedPattern): LedColor | null {
  const steps = SEQUENCES[pattern];
  const first = steps[0];
  if (!first) return 'off';
  return steps.every((s) => s.color === first.color) ? first.color : null;
}

export interface TimerTriggerBlink {
  readonly color: Exclude<LedColor, 'off'>;
  readonly delayOnMs: number;
  readonly delayOffMs: number;
}

/**
 * Whether the pattern is a single-colour on/off blink that the kernel's
 * `timer` LED trigger can run by itself (ledtrig-timer: delay_on/delay_off in
 * ms), so the agent need not wake up for every edge. The trigger takes the
 * two delays independently, so asymmetric blinks qualify too.
 */
export function timerTriggerBlink(pattern: LedPattern): TimerTriggerBlink | null {
  const steps = SEQUENCES[pattern];
  if (steps.length !== 2) return null;
  const [a, b] = steps as readonly [LedStep, LedStep];
  const on = a.color !== 'off' ? a : b;
  const off = a.color === 'off' ? a : b;
  if (on.color === 'off' || off.color !== 'off') return null;
  return { color: on.color, delayOnMs: on.ms, delayOffMs: off.ms };
}

/** One full loop of the sequence, in ms (for tests and the sim's log line). */
export function cycleMs(pattern: LedPattern): number {
  return SEQUENCES[pattern].reduce((sum, s) => sum + s.ms, 0);
}
