/**
 * The `cloud.*` configuration the link needs, as a plain interface so the
 * cloud code does not depend on the convict schema (the composition root
 * maps `config.cloud` onto it). Defaults and ranges are documented in
 * docs/protocol.md and proposed for src/config/schema.ts.
 */
export interface CloudConfig {
  enabled: boolean;
  /** `mqtts://host:port` (production), `mqtt://` only for a loopback test or demo broker. */
  url: string;
  /** Device prefix template; `{deviceId}` is replaced. */
  topicPrefix: string;
  /** TLS SNI server name; empty: the URL's host (never an IP literal, which TLS forbids in SNI). */
  serverName: string;
  /** ALPN `x-amzn-mqtt-ca`: `auto` sends it on port 443 only (AWS IoT requires it there). */
  alpn: 'auto' | 'on' | 'off';
  /** `auto`: MQTT 5, falling back to 3.1.1 when the broker refuses 5. */
  protocol: 'auto' | '5' | '3.1.1';
  keepaliveS: number;
  /** MQTT 5 Session Expiry Interval; AWS IoT's default persistent session is 1 h. */
  sessionExpiryS: number;
  connectTimeoutMs: number;
  /** Applied to requests without ttlMs. */
  requestTtlMs: number;
  healthIntervalS: number;
  backoff: { minMs: number; maxMs: number; resetAfterMs: number; startDelayMaxMs: number };
  outbox: { maxCount: number; maxBytes: number; maxAgeH: number };
  drain: { messagesPerSecond: number; bytesPerSecond: number; maxInflight: number };
  homeAssistant: { enabled: boolean; discoveryPrefix: string };
}

export const DEFAULT_CLOUD_CONFIG: CloudConfig = {
  enabled: true,
  url: '',
  topicPrefix: 'cam/{deviceId}',
  serverName: '',
  alpn: 'auto',
  protocol: 'auto',
  keepaliveS: 120,
  sessionExpiryS: 3600,
  connectTimeoutMs: 20_000,
  requestTtlMs: 300_000,
  healthIntervalS: 300,
  backoff: { minMs: 1_000, maxMs: 120_000, resetAfterMs: 30_000, startDelayMaxMs: 5_000 },
  outbox: { maxCount: 1000, maxBytes: 4 * 1024 * 1024, maxAgeH: 24 },
  drain: { messagesPerSecond: 80, bytesPerSecond: 360_000, maxInflight: 20 },
  homeAssistant: { enabled: false, discoveryPrefix: 'homeassistant' },
};
