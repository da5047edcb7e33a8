import type { WifiAuth, WifiCredentials } from '../provisioning-payload.js';
import { checkPassword } from './password.js';
import { fail, ok, type PayloadResult } from './payload-error.js';
import { ssidProblem } from './ssid.js';

/**
 * The one place WifiCredentials are assembled, so PRV1 and WIFI: (parsers
 * and encoders alike) apply identical SSID and password rules.
 */
export interface CredentialFields {
  ssid: string;
  ssidAlternates?: string[];
  auth: WifiAuth;
  password?: string | null;
  hidden?: boolean;
  transitionDisable?: boolean;
}

export function buildCredentials(fields: CredentialFields): PayloadResult<WifiCredentials> {
  const problem = ssidProblem(fields.ssid);
  if (problem) return fail(problem.code, problem.message);
  const password = checkPassword(fields.auth, fields.password);
  if (!password.ok) return password;
  return ok({
    ssid: fields.ssid,
    ssidAlternates: fields.ssidAlternates ?? [],
    auth: fields.auth,
    password: password.value.password,
    rawPsk: password.value.rawPsk,
    hidden: fields.hidden ?? false,
    // Transition disable only means something when there is a password to protect.
    transitionDisable: fields.auth !== 'open' && (fields.transitionDisable ?? false),
  });
}
