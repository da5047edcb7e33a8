/**
 * node-onvif's parsed shapes → the adapter's plain types. Pure; every field
 * is read defensively because cameras omit elements freely and node-onvif
 * turns absent numbers into NaN.
 */
import type { OnvifDeviceInformation, OnvifProbeMatch, OnvifProfile } from 'node-onvif';
import type { DeviceInformation, DiscoveredDevice, PtzPreset, StreamProfile } from './onvif-types.js';

export function toDeviceInformation(info: OnvifDeviceInformation | null): DeviceInformation {
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    manufacturer: s(info?.Manufacturer),
    model: s(info?.Model),
    firmwareVersion: s(info?.FirmwareVersion),
    serialNumber: s(info?.SerialNumber),
    hardwareId: s(info?.HardwareId),
  };
}

export function toStreamProfile(p: OnvifProfile): StreamProfile {
  const enc = p.video?.encoder ?? null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  const uri = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  // Some cameras answer the RTSP request with their UDP/HTTP URI and vice versa;
  // any rtsp:// URI of the profile will do.
  const rtsp = [p.stream?.rtsp, p.stream?.udp, p.stream?.http].map(uri).find((u) => u !== null && /^rtsps?:\/\//i.test(u)) ?? null;
  return {
    token: p.token,
    name: typeof p.name === 'string' ? p.name : p.token,
    width: num(enc?.resolution?.width),
    height: num(enc?.resolution?.height),
    encoding: typeof enc?.encoding === 'string' ? enc.encoding : null,
    fps: num(enc?.framerate),
    rtspUri: rtsp,
    snapshotUri: uri(p.snapshot),
  };
}

/** GetPresetsResponse → presets. xml2js gives one object for one element, an array for several. */
export function parsePresets(data: Record<string, unknown>): PtzPreset[] {
  const response = data.GetPresetsResponse as { Preset?: unknown } | undefined;
  const raw = response?.Preset;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: PtzPreset[] = [];
  for (const item of list) {
    const token = (item as { $?: { token?: unknown } })?.$?.token;
    if (typeof token !== 'string') continue;
    const name = (item as { Name?: unknown }).Name;
    out.push({ token, name: typeof name === 'string' ? name : token });
  }
  return out;
}

export function toDiscoveredDevice(m: OnvifProbeMatch): DiscoveredDevice {
  return { urn: m.urn, xaddrs: [...m.xaddrs], scopes: [...m.scopes], name: m.name, hardware: m.hardware };
}
