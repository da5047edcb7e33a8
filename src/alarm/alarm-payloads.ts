/**
 * The data of the events the alarm service publishes (docs/protocol.md).
 * Pure builders, so the shapes are unit-tested and match the JSON Schemas in
 * cloud/payload-schemas.ts.
 *
 * No image bytes ever travel in an event, not even the thumbnail: the event
 * goes out at once on motion start (the phone is notified before the
 * picture is ready), it sits in the durable outbox while offline (personal
 * data there would outlive the spool's retention rules), and AWS IoT caps a
 * message at 128 KB. Events carry references; images go by `alarm.delivery`.
 */
export type AlarmKind = 'motion' | 'manual';
export type AlarmDelivery = 'https' | 'mqtt';

export interface SnapshotRef {
  /** pending: being captured/delivered; off: alarm.snapshots is false. */
  state: 'pending' | 'off';
  delivery?: AlarmDelivery;
  /** mqtt: where the image and thumbnail will appear. */
  topic?: string;
  thumbnailTopic?: string;
}

export interface AlarmEventData {
  /** 32 hex: the alarm id; the snapshot topic, upload request and status events use it. */
  alarmId: string;
  kind: AlarmKind;
  /** Wall-clock ms of the motion start (or of the request). */
  at: number;
  /** Changed area in percent of the frame at the start; 0 for manual. */
  score: number;
  zones: string[];
  snapshot: SnapshotRef;
  /** Same delivery as the snapshot; `state: off` with snapshots off. */
  thumbnail: SnapshotRef;
  [k: string]: unknown;
}

export function alarmEventData(a: {
  alarmId: string;
  kind: AlarmKind;
  at: number;
  score: number;
  zones: readonly string[];
  snapshots: boolean;
  delivery: AlarmDelivery;
  snapshotTopic: (alarmId: string) => string;
}): AlarmEventData {
  const off: SnapshotRef = { state: 'off' };
  const ref = (thumb: boolean): SnapshotRef =>
    a.delivery === 'mqtt'
      ? { state: 'pending', delivery: 'mqtt', topic: `${a.snapshotTopic(a.alarmId)}${thumb ? '/thumb' : ''}` }
      : { state: 'pending', delivery: 'https' };
  return {
    alarmId: a.alarmId,
    kind: a.kind,
    at: a.at,
    score: Math.round(a.score * 100) / 100,
    zones: [...a.zones],
    snapshot: a.snapshots ? ref(false) : off,
    thumbnail: a.snapshots ? ref(true) : off,
  };
}

/** `cam/{id}/event/snapshot`: what became of an alarm's image. */
export interface SnapshotStatusData {
  alarmId: string;
  state: 'delivered' | 'retrying' | 'failed';
  delivery: AlarmDelivery;
  attempts: number;
  /** delivered: bytes of the image; retrying: when the next attempt is due (ms from now). */
  bytes?: number;
  width?: number;
  height?: number;
  lowRes?: boolean;
  source?: string;
  retryInMs?: number;
  /** An error code (snapshot_*, upload_*, delivery_*), never a URL or a message with one. */
  code?: string;
  [k: string]: unknown;
}

/** `cam/{id}/event/upload-url`: the device asks for presigned PUT URLs for one alarm's image and thumbnail. */
export interface UploadUrlRequestData {
  alarmId: string;
  /** Unique per attempt: the answer must echo it, so a late answer to an old attempt is ignored. */
  requestId: string;
  contentType: 'image/jpeg';
  image: { bytes: number; sha256: string };
  thumbnail: { bytes: number; sha256: string };
  [k: string]: unknown;
}
