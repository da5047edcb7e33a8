import type { ButtonGesture, ResetButton } from '../../hal/types.js';
import { fail, pass, type SelfTestCheck } from '../check.js';

export interface ResetButtonOptions {
  button: ResetButton;
  /** Simulated board only: presses the button for the operator. */
  simulatePress?: (ms: number) => Promise<void>;
  /** How long the operator has; default 30 s. */
  waitMs?: number;
}

/** A short press in the simulator: well under the 5 s reset threshold. */
const SIM_PRESS_MS = 200;

export function resetButtonCheck(opts: ResetButtonOptions): SelfTestCheck {
  const waitMs = opts.waitMs ?? 30_000;
  return {
    id: 'reset-button',
    proves: 'a press of the reset button reaches the agent',
    limit: `a press within ${Math.round(waitMs / 1000)} s`,
    timeoutMs: waitMs + 5_000,
    async run(ctx) {
      const pressed = new Promise<{ gesture: ButtonGesture; heldMs: number } | null>((resolve) => {
        const off = opts.button.onGesture((gesture, heldMs) => {
          finish({ gesture, heldMs });
        });
        const timer = ctx.clock.setTimeout(() => finish(null), waitMs);
        const onAbort = (): void => finish(null);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        function finish(v: { gesture: ButtonGesture; heldMs: number } | null): void {
          off();
          timer.cancel();
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(v);
        }
      });
      if (opts.simulatePress) {
        ctx.prompt('reset-button: simulated board, pressing the button');
        opts.simulatePress(SIM_PRESS_MS).catch(() => undefined);
      } else {
        ctx.prompt(`reset-button: press the reset button briefly now (${Math.round(waitMs / 1000)} s)`);
      }
      const got = await pressed;
      if (!got) return fail('button_not_pressed', null, `no press within ${waitMs} ms`);
      return pass(`${got.gesture}, ${Math.round(got.heldMs)} ms`);
    },
  };
}
