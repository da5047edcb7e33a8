import type { Clock } from '../../core/clock.js';
import type { ResetButton } from '../../hal/types.js';

/**
 * awaitButtonPress for OfflineLogin from the HAL's reset button: a `short`
 * gesture (< 5 s, hal/types.ts) within the window. Longer holds mean
 * provisioning or factory reset and do not confirm a login; whoever owns
 * the button's other meanings keeps them (this only listens).
 */
export function buttonPressWaiter(button: ResetButton, clock: Clock): (timeoutMs: number) => Promise<boolean> {
  return (timeoutMs) =>
    new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (pressed: boolean): void => {
        if (done) return;
        done = true;
        unsubscribe();
        timer.cancel();
        resolve(pressed);
      };
      const unsubscribe = button.onGesture((gesture) => {
        if (gesture === 'short') finish(true);
      });
      const timer = clock.setTimeout(() => finish(false), timeoutMs);
    });
}
