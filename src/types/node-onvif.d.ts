/**
 * Types for node-onvif 0.1.7, which ships none (and @types/node-onvif does
 * not exist). Only what src/media/onvif/ uses is declared; shapes follow
 * lib/modules/device.js and soap.js of that version. Only the adapter in
 * src/media/onvif/ may import this module.
 */
declare module 'node-onvif' {
  import type { EventEmitter } from 'node:events';

  export interface OnvifDeviceParams {
    /**
     * Device service URL, e.g. `http://192.0.2.10/onvif/device_service`.
     * Always use this form: the `{address}` form rewrites every returned URI
     * (scheme, RTSP port and query are lost).
     */
    xaddr: string;
    user?: string;
    pass?: string;
  }

  export interface OnvifDeviceInformation {
    Manufacturer?: string;
    Model?: string;
    FirmwareVersion?: string;
    SerialNumber?: string;
    HardwareId?: string;
  }

  export interface OnvifProfile {
    token: string;
    name: string;
    /** '' when GetSnapshotUri failed for this profile. */
    snapshot: string;
    /** '' for each protocol whose GetStreamUri failed; never carries credentials. */
    stream: { udp: string; http: string; rtsp: string };
    video: {
      source: { token: string; name: string; bounds: { width: number; height: number; x: number; y: number } } | null;
      encoder: {
        token: string;
        name: string;
        resolution: { width: number; height: number };
        quality: number;
        framerate: number;
        bitrate: number;
        encoding: string;
      } | null;
    };
    audio: {
      source: { token: string; name: string } | null;
      encoder: { token: string; name: string; bitrate: number; samplerate: number; encoding: string } | null;
    };
    ptz: { range: Record<'x' | 'y' | 'z', { min: number; max: number }> };
  }

  /** What every SOAP call resolves with; `data` is the parsed <Body>. */
  export interface OnvifSoapResult {
    soap: string;
    formatted: string;
    converted: unknown;
    data: Record<string, unknown>;
  }

  export interface OnvifServiceDevice {
    getDeviceInformation(): Promise<OnvifSoapResult>;
    getHostname(): Promise<OnvifSoapResult>;
    getSystemDateAndTime(): Promise<OnvifSoapResult>;
    getCapabilities(): Promise<OnvifSoapResult>;
  }

  export interface OnvifServiceMedia {
    getProfiles(): Promise<OnvifSoapResult>;
    getStreamUri(params: { ProfileToken: string; Protocol: 'UDP' | 'HTTP' | 'RTSP' }): Promise<OnvifSoapResult>;
    getSnapshotUri(params: { ProfileToken: string }): Promise<OnvifSoapResult>;
  }

  export interface OnvifServicePtz {
    getStatus(params: { ProfileToken: string }): Promise<OnvifSoapResult>;
    /** Velocity values must be numbers in −1…1; Timeout an integer number of seconds (else rejected). */
    continuousMove(params: {
      ProfileToken: string;
      Velocity: { x: number; y: number; z: number };
      Timeout?: number;
    }): Promise<OnvifSoapResult>;
    stop(params: { ProfileToken: string; PanTilt?: boolean; Zoom?: boolean }): Promise<OnvifSoapResult>;
    getPresets(params: { ProfileToken: string }): Promise<OnvifSoapResult>;
    gotoPreset(params: {
      ProfileToken: string;
      PresetToken: string;
      Speed?: { x: number; y: number; z: number };
    }): Promise<OnvifSoapResult>;
  }

  /**
   * Only a type: the module is CommonJS with a singleton export, so Node's
   * ESM loader offers no named exports. Construct through `onvif.OnvifDevice`.
   */
  export interface OnvifDevice extends EventEmitter {
    xaddr: string;
    address: string;
    user: string;
    pass: string;
    services: {
      device: OnvifServiceDevice;
      media: OnvifServiceMedia | null;
      ptz: OnvifServicePtz | null;
      events: unknown;
      imaging: unknown;
    };
    /** GetSystemDateAndTime, GetCapabilities, GetDeviceInformation, GetProfiles, GetStreamUri ×3 per profile, GetSnapshotUri. */
    init(): Promise<OnvifDeviceInformation>;
    getInformation(): OnvifDeviceInformation | null;
    getProfileList(): OnvifProfile[];
    getCurrentProfile(): OnvifProfile | null;
    /** By index or token; null when there is no such profile. */
    changeProfile(indexOrToken: number | string): OnvifProfile | null;
    getUdpStreamUrl(): string;
    fetchSnapshot(): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>;
    ptzMove(params: { speed: { x?: number; y?: number; z?: number }; timeout?: number }): Promise<void>;
    ptzStop(): Promise<OnvifSoapResult>;
  }

  export interface OnvifProbeMatch {
    urn: string;
    name: string;
    hardware: string;
    location: string;
    types: string[] | '';
    xaddrs: string[];
    scopes: string[];
  }

  export interface Onvif {
    OnvifDevice: new (params: OnvifDeviceParams) => OnvifDevice;
    /** How long startProbe() listens, in ms (3000 by default). */
    _DISCOVERY_WAIT: number;
    /** Gap between the 9 probe datagrams, in ms (150 by default). */
    _DISCOVERY_INTERVAL: number;
    /** The shared SOAP client; HTTP_TIMEOUT is its per-request socket timeout in ms (3000). */
    _OnvifSoap: { HTTP_TIMEOUT: number };
    startProbe(): Promise<OnvifProbeMatch[]>;
    stopProbe(): Promise<void>;
  }

  const onvif: Onvif;
  export default onvif;
}
