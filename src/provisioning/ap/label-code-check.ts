import { timingSafeEqual } from 'node:crypto';
import type { SrpSuite } from '../../crypto/srp.js';
import { normalizeCrockford } from '../../factory/crockford.js';
import { verificationCodeProblem, type CodeProblem } from '../../factory/verification-code.js';
import type { LockoutStore } from './code-lockout.js';
import { computeVerifierNative } from './srp-native.js';

/**
 * A label code typed by a person (the captive portal's form, provisioning.md
 * §6.5 "browser fallback"), checked without the camera ever holding the
 * code: recompute v = g^x from the typed code and the stored salt and
 * compare with the factory verifier in constant time. It goes through the
 * same lockout as the SRP handshake (A12).
 *
 * Typing is forgiven the Crockford way ("7kq2-m9xw-f", O for 0, I/L for 1).
 * A code that fails the check character or the length is a typo, reported
 * as `code_malformed` and NOT counted: the check character is public, so
 * refusing such a code tells a guesser nothing.
 */
export type LabelCodeResult =
  | { ok: true }
  | { ok: false; code: 'locked_out'; retryAfterMs: number }
  | { ok: false; code: 'code_malformed'; problem: CodeProblem }
  /** A well-formed code that is not this camera's; `retryAfterMs` when this one started a lockout. */
  | { ok: false; code: 'code_wrong'; retryAfterMs?: number };

export interface LabelCodeDeps {
  /** SRP identity I: the serial. */
  serial: string;
  srp: { suite: SrpSuite; salt: Uint8Array; verifier: Uint8Array };
  lockout: LockoutStore;
}

export async function checkLabelCode(typed: string, deps: LabelCodeDeps): Promise<LabelCodeResult> {
  const gate = deps.lockout.check();
  if (gate.locked) return { ok: false, code: 'locked_out', retryAfterMs: gate.retryAfterMs };
  // Bound the work before normalising: a form field can be anything.
  const code = normalizeCrockford(typed.slice(0, 64));
  const problem = verificationCodeProblem(code);
  if (problem) return { ok: false, code: 'code_malformed', problem };
  const computed = computeVerifierNative(deps.serial, code, deps.srp.salt, deps.srp.suite);
  const stored = deps.srp.verifier;
  if (computed.length === stored.length && timingSafeEqual(computed, stored)) {
    await deps.lockout.succeed();
    return { ok: true };
  }
  const after = await deps.lockout.fail();
  return after.locked ? { ok: false, code: 'code_wrong', retryAfterMs: after.retryAfterMs } : { ok: false, code: 'code_wrong' };
}
