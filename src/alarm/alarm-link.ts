/**
 * What the alarm service needs from the cloud link, as an interface so the
 * alarm code never imports mqtt.js or the link (cloud-service.ts adapts
 * MqttLink to it; tests hand in a recording fake).
 */
export interface AlarmLink {
  /** Connected to the broker now. */
  online(): boolean;
  /** Called on every (re)connect; returns the unsubscribe function. */
  onOnline(listener: () => void): () => void;
  /** A QoS 1 event through the durable outbox (resolves when on flash). */
  publishEvent(type: string, data: Record<string, unknown>, priority: 'high' | 'low'): Promise<{ ok: true; id: string } | { ok: false; code: string }>;
  /** `cam/{deviceId}/snapshot/{alarmId}` (or with `/thumb`). */
  snapshotTopic(alarmId: string): string;
  /**
   * Publish one binary snapshot message at QoS 1 on the snapshot topic
   * (`part` 'thumb' appends `/thumb`); resolves on PUBACK. Rejects with a
   * `code` (`delivery_unavailable` when the link cannot publish binary
   * messages; then images stay spooled).
   */
  publishSnapshot(alarmId: string, part: 'image' | 'thumb', payload: Buffer): Promise<void>;
}
