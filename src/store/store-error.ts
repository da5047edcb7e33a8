/** Failures of the personal-data store, as values with a code (never with the data in the message). */
export type StoreErrorCode =
  /** store.bin does not decrypt, is truncated, has a wrong header or an invalid document. Set aside; the store starts empty. */
  | 'store_corrupt'
  /** store.key does not unwrap under this unit's key (tampered, truncated, another unit's or device secret changed). Set aside with store.bin. */
  | 'store_key_invalid'
  /** store.key is absent while store.bin exists: the data is unreadable by design. store.bin is set aside. */
  | 'store_key_missing'
  /** hal.keys failed (no device secret): nothing can be read or written. */
  | 'store_key_unavailable'
  /** A value given to set() breaks the document schema. */
  | 'store_invalid_value'
  /** set()/get() with a key that is not part of the document. */
  | 'store_unknown_key'
  /** The store was used before open() succeeded. */
  | 'store_not_open';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
