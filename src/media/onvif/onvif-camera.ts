/**
 * The ONVIF adapter: the one module that talks to node-onvif's device API.
 * `connectOnvif()` runs node-onvif's init() (GetSystemDateAndTime,
 * GetCapabilities, GetDeviceInformation, GetProfiles, GetStreamUri ×3 per
 * profile, GetSnapshotUri per profile) and returns an OnvifCamera holding
 * what it learned; PTZ and snapshots are further calls.
 *
 * node-onvif traps handled here (test-rigs.md §1):
 * - always `{xaddr}`, never `{address}`: the latter rewrites every returned
 *   URI (`rtsp://h:8554/live?channel=1` → `h:80//live`);
 * - SOAP goes over `http:` only, so an https xaddr is refused up front;
 * - user and password must be printable ASCII without `<`/`>` (node-onvif
 *   throws from its service constructors otherwise), and the user name is
 *   pasted into XML unescaped, so `&` is refused there too;
 * - returned URIs carry no credentials: stream-uri.ts adds them.
 */
import onvif, { type OnvifDevice } from 'node-onvif';
import type { Logger } from '../../log/logger.js';
import { OnvifError, classifyOnvifFailure } from './onvif-error.js';
import { parsePresets, toDeviceInformation, toStreamProfile } from './onvif-parse.js';
import type { DeviceInformation, PtzPreset, PtzVelocity, StreamProfile } from './onvif-types.js';
import { chooseStreams, type StreamChoice } from './stream-choice.js';
import { credentialStrings, maskedUri, withCredentials, type Credentials } from './stream-uri.js';

export interface OnvifConnectOptions {
  /** Device service URL, e.g. `http://192.0.2.10/onvif/device_service`. */
  xaddr: string;
  user: string;
  password: string;
  /** Deadline for the whole connect (≈10 SOAP calls). Default 5000 ms. */
  timeoutMs?: number;
}

export interface OnvifDeps {
  logger?: Logger;
}

export const defaultOnvifTimeoutMs = 5_000;

/** Connects and reads device information, profiles and URIs. Rejects with an OnvifError. */
export async function connectOnvif(options: OnvifConnectOptions, deps: OnvifDeps = {}): Promise<OnvifCamera> {
  const creds: Credentials = { user: options.user, password: options.password };
  const secrets = credentialStrings(creds);
  const xaddr = checkXaddr(options.xaddr);
  checkCredentials(creds);
  const timeoutMs = options.timeoutMs ?? defaultOnvifTimeoutMs;
  // node-onvif's per-request socket timeout lives on its shared SOAP
  // singleton (3000 ms by default); one camera per agent, so setting it is safe.
  onvif._OnvifSoap.HTTP_TIMEOUT = timeoutMs;
  const device = new onvif.OnvifDevice({ xaddr, user: creds.user, pass: creds.password });
  const started = performance.now();
  try {
    await withDeadline(device.init(), timeoutMs, `no ONVIF answer from ${maskedUri(xaddr)} within ${timeoutMs} ms`);
  } catch (err) {
    throw classifyOnvifFailure(err, `ONVIF connect to ${maskedUri(xaddr)}`, secrets);
  }
  const profiles = device.getProfileList().map(toStreamProfile);
  if (profiles.length === 0) throw new OnvifError('onvif_invalid_response', 'the camera reported no media profiles');
  deps.logger?.debug({ xaddr: maskedUri(xaddr), profiles: profiles.length, ms: Math.round(performance.now() - started) }, 'onvif connected');
  return new OnvifCamera(device, toDeviceInformation(device.getInformation()), profiles, creds, deps);
}

export class OnvifCamera {
  readonly #device: OnvifDevice;
  readonly #creds: Credentials;
  readonly #deps: OnvifDeps;
  readonly info: DeviceInformation;
  readonly profiles: readonly StreamProfile[];

  /** Use connectOnvif(); the constructor only stores what it found. */
  constructor(device: OnvifDevice, info: DeviceInformation, profiles: StreamProfile[], creds: Credentials, deps: OnvifDeps) {
    this.#device = device;
    this.info = info;
    this.profiles = profiles;
    this.#creds = creds;
    this.#deps = deps;
  }

  /** Sub-stream (lowest resolution) and main stream (highest); null when no profile has an RTSP URI. */
  streams(): StreamChoice | null {
    return chooseStreams(this.profiles);
  }

  /**
   * The RTSP URI of the sub- or main stream with the credentials in it, ready
   * for ffmpeg. Contains the password: mask it (maskUrlCredentials) before
   * it goes anywhere but ffmpeg's argv.
   */
  streamUri(which: 'sub' | 'main'): string {
    const choice = this.streams();
    if (choice === null) throw new OnvifError('onvif_invalid_response', 'no profile has an RTSP stream URI');
    return withCredentials(choice[which].rtspUri!, this.#creds);
  }

  /** Snapshot URI of the main stream's profile (without credentials: cameras want HTTP Digest). */
  snapshotUri(): string | null {
    const choice = this.streams();
    return choice?.main.snapshotUri ?? this.profiles.find((p) => p.snapshotUri !== null)?.snapshotUri ?? null;
  }

  /**
   * One JPEG through HTTP Digest, via node-onvif's fetchSnapshot(). For
   * diagnostics only: node-onvif passes `auth: user:pass` to http.request,
   * so Node also sends the password as HTTP Basic on the first, unchallenged
   * request, and its Digest client splits `user:pass` at the first `:`
   * (a password containing `:` fails). A production snapshot path should use
   * its own Digest client on snapshotUri().
   */
  async fetchSnapshot(): Promise<Buffer> {
    const uri = this.snapshotUri();
    if (uri === null) throw new OnvifError('onvif_unsupported', 'the camera offers no snapshot URI');
    // node-onvif fetches the snapshot of its "current" profile; its Digest
    // client is a module singleton, so calls must not overlap.
    const token = this.profiles.find((p) => p.snapshotUri === uri)?.token;
    if (token !== undefined) this.#device.changeProfile(token);
    try {
      const { body } = await this.#device.fetchSnapshot();
      return body;
    } catch (err) {
      throw classifyOnvifFailure(err, 'snapshot', this.#secrets());
    }
  }

  hasPtz(): boolean {
    return this.#device.services.ptz !== null;
  }

  /**
   * Starts a continuous pan/tilt/zoom move. Cameras stop by themselves after
   * `timeoutSeconds` (rounded up: ONVIF Timeout is a duration node-onvif only
   * writes in whole seconds), so a lost stop() never leaves the camera spinning.
   */
  async ptzMove(velocity: PtzVelocity, timeoutSeconds = 1): Promise<void> {
    const ptz = this.#ptz();
    for (const [axis, v] of [['x', velocity.x], ['y', velocity.y], ['zoom', velocity.zoom ?? 0]] as const) {
      if (!(typeof v === 'number' && v >= -1 && v <= 1)) {
        throw new OnvifError('onvif_invalid_argument', `PTZ ${axis} speed must be within −1…1, got ${String(v)}`);
      }
    }
    if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600)) {
      throw new OnvifError('onvif_invalid_argument', `PTZ timeout must be within 0–3600 s, got ${timeoutSeconds}`);
    }
    await this.#call('PTZ move', () =>
      ptz.continuousMove({
        ProfileToken: this.#ptzProfile(),
        Velocity: { x: velocity.x, y: velocity.y, z: velocity.zoom ?? 0 },
        Timeout: Math.ceil(timeoutSeconds),
      }),
    );
  }

  async ptzStop(): Promise<void> {
    const ptz = this.#ptz();
    await this.#call('PTZ stop', () => ptz.stop({ ProfileToken: this.#ptzProfile(), PanTilt: true, Zoom: true }));
  }

  async ptzPresets(): Promise<PtzPreset[]> {
    const ptz = this.#ptz();
    const result = await this.#call('PTZ presets', () => ptz.getPresets({ ProfileToken: this.#ptzProfile() }));
    return parsePresets(result.data);
  }

  async ptzGotoPreset(presetToken: string): Promise<void> {
    const ptz = this.#ptz();
    if (!/^[\x20-\x7e]+$/.test(presetToken) || /[<>&]/.test(presetToken)) {
      throw new OnvifError('onvif_invalid_argument', 'preset token must be printable ASCII without <, > or &');
    }
    await this.#call('PTZ goto preset', () => ptz.gotoPreset({ ProfileToken: this.#ptzProfile(), PresetToken: presetToken }));
  }

  #ptz() {
    const ptz = this.#device.services.ptz;
    if (ptz === null) throw new OnvifError('ptz_unsupported', 'this camera has no PTZ service');
    return ptz;
  }

  /** PTZ calls name a media profile; the main stream's carries the PTZ configuration on the cameras we know. */
  #ptzProfile(): string {
    return this.streams()?.main.token ?? this.profiles[0]!.token;
  }

  #secrets(): string[] {
    return credentialStrings(this.#creds);
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const failure = classifyOnvifFailure(err, what, this.#secrets());
      this.#deps.logger?.warn({ code: failure.code, reason: failure.message }, 'onvif call failed');
      throw failure;
    }
  }
}

function checkXaddr(xaddr: string): string {
  let url: URL;
  try {
    url = new URL(xaddr);
  } catch {
    throw new OnvifError('onvif_invalid_argument', 'xaddr must be a URL such as http://192.0.2.10/onvif/device_service');
  }
  if (url.protocol !== 'http:') {
    throw new OnvifError('onvif_invalid_argument', `xaddr must be http:// (node-onvif speaks SOAP over plain HTTP only), got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new OnvifError('onvif_invalid_argument', 'put credentials in user/password, not in the xaddr');
  }
  return xaddr;
}

function checkCredentials(creds: Credentials): void {
  const printable = /^[\x20-\x7e]*$/;
  if (!printable.test(creds.user) || /[<>&]/.test(creds.user)) {
    throw new OnvifError('onvif_invalid_argument', 'ONVIF user must be printable ASCII without <, > or &');
  }
  if (!printable.test(creds.password) || /[<>]/.test(creds.password)) {
    throw new OnvifError('onvif_invalid_argument', 'ONVIF password must be printable ASCII without < or > (node-onvif cannot send others)');
  }
}

function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new OnvifError('onvif_unreachable', message)), ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
