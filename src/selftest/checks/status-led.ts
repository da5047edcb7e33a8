import { ledSequence, timerTriggerBlink } from '../../hal/led-patterns.js';
import type { LedPattern, StatusLed } from '../../hal/types.js';
import { fail, pass, type SelfTestCheck } from '../check.js';

export const ALL_PATTERNS: readonly LedPattern[] = ['off', 'provisioning', 'joining', 'online', 'error', 'identify', 'privacy', 'talkback'];

/** What one LED channel is doing, as sysfs shows it. */
export type ChannelOutput = 'on' | 'off' | 'blinking';

export interface ChannelReading {
  present: boolean;
  /** The kernel offers the `timer` trigger for this LED. */
  canBlink: boolean;
  output: ChannelOutput;
}

/** Reads the LEDs back from the hardware (sysfs on the camera). */
export interface LedReadback {
  read(): Promise<{ blue: ChannelReading; red: ChannelReading }>;
}

/**
 * What the channels must show right after show(pattern) resolved: the
 * kernel timer for single-colour blinks where the LED has it, otherwise the
 * pattern's first step (SysfsStatusLed writes that before resolving).
 */
export function expectedOutput(pattern: LedPattern, canBlink: { blue: boolean; red: boolean }): { blue: ChannelOutput; red: ChannelOutput } {
  const blink = timerTriggerBlink(pattern);
  if (blink && canBlink[blink.color]) {
    return blink.color === 'blue' ? { blue: 'blinking', red: 'off' } : { blue: 'off', red: 'blinking' };
  }
  const first = ledSequence(pattern)[0]?.color ?? 'off';
  return { blue: first === 'blue' ? 'on' : 'off', red: first === 'red' ? 'on' : 'off' };
}

export interface StatusLedOptions {
  led: StatusLed;
  /** Hardware readback; without it (simulator) the LED's own current() is the readback. */
  readback?: LedReadback;
}

export function statusLedCheck(opts: StatusLedOptions): SelfTestCheck {
  return {
    id: 'status-led',
    proves: 'the status LED shows every pattern (read back from the hardware)',
    limit: `${ALL_PATTERNS.length} of ${ALL_PATTERNS.length} patterns read back`,
    timeoutMs: 10_000,
    async run(ctx) {
      ctx.onCleanup(() => opts.led.show('off'));
      const wrong: string[] = [];
      for (const pattern of ALL_PATTERNS) {
        if (ctx.signal.aborted) break;
        await opts.led.show(pattern);
        if (opts.led.current() !== pattern) {
          wrong.push(`${pattern}: LED reports ${opts.led.current()}`);
          continue;
        }
        if (!opts.readback) continue;
        const seen = await opts.readback.read();
        const missing = (['blue', 'red'] as const).filter((c) => !seen[c].present);
        if (missing.length) return fail('led_missing', 0, `no ${missing.join(' or ')} LED in sysfs`);
        const want = expectedOutput(pattern, { blue: seen.blue.canBlink, red: seen.red.canBlink });
        if (want.blue !== seen.blue.output || want.red !== seen.red.output) {
          wrong.push(`${pattern}: blue ${seen.blue.output}/red ${seen.red.output}, want ${want.blue}/${want.red}`);
        }
      }
      const good = ALL_PATTERNS.length - wrong.length;
      return wrong.length === 0 ? pass(good) : fail('led_readback_mismatch', good, wrong.join('; '));
    },
  };
}
