/**
 * What `camera-agent onvif probe` prints about a camera: plain JSON with
 * every credential masked. Pure apart from reading the camera object.
 */
import type { OnvifCamera } from './onvif-camera.js';
import type { DeviceInformation, PtzPreset, StreamProfile } from './onvif-types.js';
import { maskedUri } from './stream-uri.js';

export interface ProbeReport {
  xaddr: string;
  device: DeviceInformation;
  profiles: StreamProfile[];
  /** Stream URIs as ffmpeg gets them, userinfo shown as `***`. */
  streams: { sub: { token: string; uri: string }; main: { token: string; uri: string } } | null;
  snapshotUri: string | null;
  ptz: { supported: boolean; presets: PtzPreset[] | null };
}

export function probeReport(xaddr: string, camera: OnvifCamera, presets: PtzPreset[] | null): ProbeReport {
  const choice = camera.streams();
  const stream = (which: 'sub' | 'main') => ({ token: choice![which].token, uri: maskedUri(camera.streamUri(which)) });
  return {
    xaddr: maskedUri(xaddr),
    device: camera.info,
    profiles: camera.profiles.map((p) => ({
      ...p,
      rtspUri: p.rtspUri === null ? null : maskedUri(p.rtspUri),
      snapshotUri: p.snapshotUri === null ? null : maskedUri(p.snapshotUri),
    })),
    streams: choice === null ? null : { sub: stream('sub'), main: stream('main') },
    snapshotUri: camera.snapshotUri() === null ? null : maskedUri(camera.snapshotUri()!),
    ptz: { supported: camera.hasPtz(), presets },
  };
}
