/**
 * A talkback transport: the pipe that carries wire frames (talk-frame.ts)
 * between the far end (the app, through the cloud relay; a technician's
 * browser on the LAN; the cloud's MQTT push-to-talk path) and the session.
 * Every transport carries the same frames, so the session never knows which
 * one it has.
 */
export type TransportKind = 'relay' | 'local' | 'mqtt';

/** Why a transport closed, as the session reports it in its `talkback` event. */
export type TransportCloseReason =
  /** The session (or the agent shutting down) closed it. */
  | 'closed'
  /** The far end closed it cleanly (WebSocket close frame, MQTT stop). */
  | 'remote_closed'
  /** The connection died: TCP reset, TLS error, missed pongs, broker gone. */
  | 'transport_lost';

export interface TalkTransport {
  readonly kind: TransportKind;
  /** Listen for wire frames from the far end, as received (not yet parsed). */
  onFrame(listener: (bytes: Uint8Array) => void): void;
  /**
   * Send one wire frame to the far end. Returns false when it was dropped
   * because the link is backed up: audio is real-time, a late frame is
   * worth nothing, so transports never queue more than a few frames.
   */
  send(bytes: Uint8Array): boolean;
  /** Called once when the transport is gone, whoever closed it. */
  onClose(listener: (reason: TransportCloseReason, detail?: string) => void): void;
  /** Close it (idempotent); resolves when the underlying socket is closed. */
  close(): Promise<void>;
}
