/**
 * What capture hands to processing. Kept apart from both so neither imports
 * the other: capture knows nothing of sharp, processing nothing of HTTP.
 */
export type SnapshotSource = 'onvif' | 'grab' | 'pre-event';

export type SnapshotFrame =
  | {
      kind: 'encoded';
      /** A complete JPEG or PNG (checked with image-inspect.ts). */
      bytes: Buffer;
      source: SnapshotSource;
      lowRes: boolean;
    }
  | {
      kind: 'gray';
      /** width×height luma bytes, a private copy (the frame source reuses its buffers). */
      data: Uint8Array;
      width: number;
      height: number;
      source: 'pre-event';
      lowRes: true;
    };
