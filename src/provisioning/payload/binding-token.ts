import { isCrockford } from '../../factory/crockford.js';

/**
 * The cloud binding token in PRV1 `B:` (provisioning.md §6.2, §6.4): 26
 * Crockford base32 characters = 130 bits from the cloud's CSPRNG, single
 * use, 10-minute TTL. Only the canonical upper-case alphabet is accepted
 * (no I L O U, no look-alike folding): the app copies it verbatim from the
 * cloud, so anything else is a mis-decode. Never logged.
 */
export const BINDING_TOKEN_LENGTH = 26;

export function isBindingToken(text: string): boolean {
  return text.length === BINDING_TOKEN_LENGTH && isCrockford(text);
}
