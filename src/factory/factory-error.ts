/**
 * Failure classes of the factory CLI. The code is what a station script or
 * MES integration maps; `exit` is the process exit code the command returns
 * (2 = usage/validation, 3 = label mismatch, 1 = anything else). Messages
 * never contain a verification code, AP passphrase or key.
 */
export type FactoryErrorCode =
  | 'usage'
  | 'bad_serial'
  | 'bad_model'
  | 'bad_mac'
  | 'bad_hw_rev'
  | 'bad_count'
  | 'bad_host'
  | 'serial_overflow'
  | 'ca_unreadable'
  | 'ca_mismatch'
  | 'ca_unsupported_key'
  | 'output_exists'
  | 'serial_in_manifest'
  | 'batch_mismatch'
  | 'uniqueness_exhausted'
  | 'image_unreadable'
  | 'no_qr_found'
  | 'identity_unreadable'
  | 'label_mismatch'
  | 'io_failed';

const EXIT: Partial<Record<FactoryErrorCode, number>> = {
  usage: 2,
  bad_serial: 2,
  bad_model: 2,
  bad_mac: 2,
  bad_hw_rev: 2,
  bad_count: 2,
  bad_host: 2,
  serial_overflow: 2,
  ca_unreadable: 2,
  ca_mismatch: 2,
  ca_unsupported_key: 2,
  output_exists: 2,
  serial_in_manifest: 2,
  batch_mismatch: 2,
  image_unreadable: 2,
  no_qr_found: 2,
  identity_unreadable: 2,
  label_mismatch: 3,
};

export class FactoryError extends Error {
  override readonly name = 'FactoryError';

  constructor(
    readonly code: FactoryErrorCode,
    message: string,
  ) {
    super(message);
  }

  get exit(): number {
    return EXIT[this.code] ?? 1;
  }
}
