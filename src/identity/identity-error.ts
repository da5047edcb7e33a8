/**
 * Why the factory identity cannot be used. Each failure has its own code so
 * the agent start-up, the local API and the factory self-test can say which
 * file is wrong; messages name files and fields, never secret contents.
 */
export type IdentityErrorCode =
  /** identity.json is absent: the unit was never provisioned, or identity.dir is wrong. */
  | 'identity_missing'
  /** identity.json is not JSON or breaks the FactoryIdentity schema. */
  | 'identity_invalid'
  /** device.key is absent. */
  | 'key_missing'
  /** device.key is readable by group or others (must be 0600 or stricter). */
  | 'key_permissions'
  /** device.key is not a PKCS#8 PEM EC P-256 private key. */
  | 'key_invalid'
  /** device.crt is absent (only a CSR waiting for the factory CA, or nothing). */
  | 'certificate_missing'
  /** device.crt is not a readable PEM certificate. */
  | 'certificate_invalid'
  /** device.crt does not certify device.key's public key. */
  | 'key_certificate_mismatch'
  /** The certificate subject CN is not identity.json's deviceId. */
  | 'certificate_subject_mismatch'
  /** Serial or key fingerprint in the certificate/key disagrees with identity.json (see `field`). */
  | 'serial_mismatch'
  /** ca-chain.pem is absent/unreadable, does not issue device.crt, or is itself broken. */
  | 'chain_invalid'
  | 'certificate_expired'
  /** notBefore is in the future — also what a camera without RTC sees before NTP has run. */
  | 'certificate_not_yet_valid'
  /** ap-passphrase is absent or empty. */
  | 'ap_passphrase_missing'
  /** srp-verifier.json is absent. */
  | 'srp_verifier_missing'
  /** srp-verifier.json names an unknown suite or holds a malformed salt/verifier. */
  | 'srp_verifier_invalid';

export interface IdentityError {
  code: IdentityErrorCode;
  message: string;
  /** For serial_mismatch / identity_invalid: which field disagreed. */
  field?: string;
}

export function identityError(code: IdentityErrorCode, message: string, field?: string): IdentityError {
  return field === undefined ? { code, message } : { code, message, field };
}
