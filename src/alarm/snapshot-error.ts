/**
 * Failure classes of alarm snapshots: capture, processing and the spool. The
 * code is what an MQTT reply, the local API or a counter maps; the message is
 * for humans and never carries a URL with credentials, a nonce or image bytes.
 */
export type SnapshotErrorCode =
  /** A capture step (HTTP fetch, ffmpeg grab) did not finish in its time budget. */
  | 'snapshot_timeout'
  /** The streamer refused our Digest credentials (401 after answering the challenge, or 403). */
  | 'snapshot_unauthorized'
  /** The image is older than the trigger, or byte-identical to a previous one (a cached frame). */
  | 'snapshot_stale'
  /** What came back is not a decodable JPEG/PNG (HTML error page, truncated body, wrong size). */
  | 'snapshot_invalid_image'
  /** The snapshot URI answered with an HTTP status other than 200/401/403. */
  | 'snapshot_http_error'
  /** The snapshot URI could not be reached (refused, reset, DNS). */
  | 'snapshot_network_error'
  /** ffmpeg produced no frame (exited, could not start, empty output). */
  | 'grab_failed'
  /** No source delivered a frame and the pre-event ring was empty. */
  | 'snapshot_unavailable'
  /** sharp failed on an image we accepted (never expected after validation). */
  | 'process_failed'
  /** A processed snapshot still carried metadata segments; refused rather than leak EXIF/GPS. */
  | 'metadata_present'
  /** A spool entry is larger than the whole spool bound. */
  | 'spool_entry_too_large'
  /** An event id that cannot be a file name. */
  | 'spool_invalid_id'
  /** An id the spool does not hold (already delivered, dropped or expired). */
  | 'spool_unknown_id'
  /** A spool file failed its hash check or could not be read (flash corruption). */
  | 'spool_corrupt'
  /** A filesystem call failed (ENOSPC, EIO, EROFS). */
  | 'spool_io'
  /** No sealing key (personal-data store unavailable): snapshots are never spooled in clear. */
  | 'spool_key_unavailable'
  /**
   * The agent stopped (power cut, crash, restart) before the image was made or
   * spooled; reported at the next start (pending-captures.ts). Only on
   * `event/snapshot`, never returned by a capture call.
   */
  | 'capture_interrupted';

export interface SnapshotError {
  code: SnapshotErrorCode;
  message: string;
}

export type Result<T, E = SnapshotError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

export function fail(code: SnapshotErrorCode, message: string): Result<never> {
  return { ok: false, error: { code, message } };
}
