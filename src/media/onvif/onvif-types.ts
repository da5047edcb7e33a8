/** What the ONVIF adapter reports about a camera: plain data, no node-onvif types. */

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmwareVersion: string;
  serialNumber: string;
  hardwareId: string;
}

export interface StreamProfile {
  token: string;
  name: string;
  /** From the video encoder configuration; null when the profile has none. */
  width: number | null;
  height: number | null;
  /** H264, H265, JPEG… as the camera names it; null when unknown. */
  encoding: string | null;
  fps: number | null;
  /** RTSP URI as returned by GetStreamUri, without credentials; null when the camera gave none. */
  rtspUri: string | null;
  snapshotUri: string | null;
}

export interface PtzPreset {
  token: string;
  name: string;
}

export interface PtzVelocity {
  /** Pan speed, −1 (left) … 1 (right). */
  x: number;
  /** Tilt speed, −1 (down) … 1 (up). */
  y: number;
  /** Zoom speed, −1 (out) … 1 (in). */
  zoom?: number;
}

export interface DiscoveredDevice {
  /** WS-Addressing endpoint, e.g. `urn:uuid:…`; stable across reboots. */
  urn: string;
  xaddrs: string[];
  scopes: string[];
  /** From the `onvif://www.onvif.org/name/` scope, `_` read as space. */
  name: string;
  /** From the `onvif://www.onvif.org/hardware/` scope. */
  hardware: string;
}
