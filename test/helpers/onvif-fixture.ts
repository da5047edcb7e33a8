/**
 * An ONVIF camera for the tests: the device, media and (optionally) PTZ
 * services over SOAP/HTTP, a snapshot behind HTTP Digest, and WS-Discovery.
 * Answers the way the cameras we target do (test-rigs.md §1); node-onvif and
 * Debian's libonvif (onvif-util) are both checked against it.
 *
 * Deliberately small and dependency-free: requests are read with a few
 * regular expressions, not a SOAP stack. Only the calls listed in
 * `ACTIONS` are implemented; every other action gets the 400
 * `ter:ActionNotSupported` fault a real camera sends.
 *
 * Discovery joins 239.255.255.250, so it refuses to start in the root
 * network namespace (network safety rule: multicast only inside namespaces
 * the test created). Run it inside one with onvif-fixture-main.ts.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureProfile {
  token: string;
  name: string;
  width: number;
  height: number;
  encoding: 'H264' | 'H265' | 'JPEG';
  fps: number;
  /** What GetStreamUri returns for this profile (no credentials, like real cameras). */
  streamUri: string;
}

export interface FixturePreset {
  token: string;
  name: string;
  x: number;
  y: number;
  zoom: number;
}

export interface OnvifFixtureOptions {
  /** Address the HTTP server binds to. Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Host written into XAddrs and snapshot URIs. Default: `host`. */
  advertiseHost?: string;
  user?: string;
  password?: string;
  profiles?: FixtureProfile[];
  /** Offer the PTZ service (pan-tilt models). Default false. */
  ptz?: boolean;
  presets?: FixturePreset[];
  /** The device clock runs this far ahead of ours (node-onvif must compensate). */
  clockSkewMs?: number;
  /** Accepted distance between a UsernameToken's Created and the device clock. Default 5 min. */
  clockWindowMs?: number;
  /** Reject a nonce seen before. Off by default: libonvif reuses one nonce across calls. */
  rejectNonceReplay?: boolean;
  /** Answer WS-Discovery probes on UDP 3702. Only inside a test namespace. */
  discovery?: boolean;
  /** WS-Discovery scope values. */
  name?: string;
  hardware?: string;
  manufacturer?: string;
  model?: string;
  snapshot?: Buffer;
  /** Actions to answer with ActionNotSupported although implemented (a camera without them). */
  unsupported?: string[];
  /** Reply to every SOAP call with chunked encoding instead of Content-Length (libonvif then fails). */
  chunked?: boolean;
}

export interface FixtureCall {
  service: 'device' | 'media' | 'ptz' | 'unknown';
  action: string;
  /** The UsernameToken user, or null when the request had none. */
  user: string | null;
  status: number;
}

export type PtzLogEntry =
  | { action: 'ContinuousMove'; profile: string; x: number; y: number; zoom: number | null; timeout: string | null }
  | { action: 'Stop'; profile: string; panTilt: boolean; zoom: boolean }
  | { action: 'GotoPreset'; profile: string; preset: string };

const NS = [
  'xmlns:s="http://www.w3.org/2003/05/soap-envelope"',
  'xmlns:tt="http://www.onvif.org/ver10/schema"',
  'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"',
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl"',
  'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl"',
  'xmlns:ter="http://www.onvif.org/ver10/error"',
].join(' ');

/** ONVIF Core §5.9.4: calls any client may make before authenticating. */
const PRE_AUTH = new Set(['GetSystemDateAndTime', 'GetCapabilities', 'GetServices', 'GetHostname', 'GetWsdlUrl', 'GetServiceCapabilities']);

const SERVICE_BY_PATH: Record<string, FixtureCall['service']> = {
  '/onvif/device_service': 'device',
  '/onvif/media_service': 'media',
  '/onvif/ptz_service': 'ptz',
};

export const defaultFixtureProfiles: FixtureProfile[] = [
  { token: 'main', name: 'MainStream', width: 1920, height: 1080, encoding: 'H264', fps: 25, streamUri: 'rtsp://127.0.0.1:8554/main?channel=1&subtype=0' },
  { token: 'sub', name: 'SubStream', width: 640, height: 360, encoding: 'H264', fps: 10, streamUri: 'rtsp://127.0.0.1:8554/sub?channel=1&subtype=1' },
];

const defaultPresets: FixturePreset[] = [
  { token: '1', name: 'Door', x: -0.5, y: 0.1, zoom: 0 },
  { token: '2', name: 'Garden', x: 0.75, y: -0.2, zoom: 0.5 },
];

class SoapFault {
  constructor(
    readonly status: number,
    readonly subcode: string,
    readonly reason: string,
  ) {}
}

export class OnvifFixture {
  readonly calls: FixtureCall[] = [];
  readonly ptzLog: PtzLogEntry[] = [];
  readonly snapshotRequests: Array<{ authorized: boolean }> = [];
  readonly #opts: Required<Omit<OnvifFixtureOptions, 'advertiseHost'>> & { advertiseHost: string | undefined };
  #http: Server | null = null;
  #udp: Socket | null = null;
  #port = 0;
  #nonces = new Set<string>();
  #digestNonces = new Set<string>();
  #moving = false;
  readonly #uuid = randomUUID();

  constructor(options: OnvifFixtureOptions = {}) {
    this.#opts = {
      host: '127.0.0.1',
      port: 0,
      advertiseHost: undefined,
      user: 'admin',
      password: 'secret',
      profiles: defaultFixtureProfiles,
      ptz: false,
      presets: defaultPresets,
      clockSkewMs: 0,
      clockWindowMs: 5 * 60_000,
      rejectNonceReplay: false,
      discovery: false,
      name: 'Fixture_Cam',
      hardware: 'SoC-X1',
      manufacturer: 'Fixture',
      model: 'SoC-X1',
      snapshot: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('fixture snapshot'), Buffer.from([0xff, 0xd9])]),
      chunked: false,
      unsupported: [],
      ...options,
    };
  }

  get port(): number {
    return this.#port;
  }

  get xaddr(): string {
    return `${this.#base()}/onvif/device_service`;
  }

  get snapshotUri(): string {
    return `${this.#base()}/snapshot.jpg`;
  }

  /** Actions called, in order (handy for `t.same`). */
  actions(): string[] {
    return this.calls.map((c) => c.action);
  }

  async start(): Promise<void> {
    if (this.#opts.discovery) assertNotRootNamespace();
    const http = createServer((req, res) => void this.#onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.#opts.port, this.#opts.host, () => resolve());
    });
    this.#http = http;
    this.#port = (http.address() as AddressInfo).port;
    if (this.#opts.discovery) await this.#startDiscovery();
  }

  async stop(): Promise<void> {
    const udp = this.#udp;
    this.#udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const http = this.#http;
    this.#http = null;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }

  #base(): string {
    return `http://${this.#opts.advertiseHost ?? this.#opts.host}:${this.#port}`;
  }

  // ---- HTTP --------------------------------------------------------------

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/snapshot.jpg') return this.#snapshot(req, res);
    if (req.method !== 'POST') return reply(res, 405, 'text/plain', 'method not allowed', false);

    const service = SERVICE_BY_PATH[path] ?? 'unknown';
    const action = bodyAction(body) ?? '(none)';
    const token = usernameToken(body);
    let status = 200;
    let xml: string;
    try {
      if (service === 'unknown' || (service === 'ptz' && !this.#opts.ptz)) throw notSupported();
      if (!PRE_AUTH.has(action)) this.#authenticate(token);
      xml = envelope(this.#answer(service, action, body));
    } catch (err) {
      if (!(err instanceof SoapFault)) throw err;
      status = err.status;
      xml = envelope(fault(err));
    }
    this.calls.push({ service, action, user: token?.user ?? null, status });
    reply(res, status, 'application/soap+xml; charset=utf-8', xml, this.#opts.chunked);
  }

  /** WS-UsernameToken PasswordDigest: B64(SHA1(nonce + created + password)), WSS UsernameToken Profile 1.0 §3.1. */
  #authenticate(token: UsernameToken | null): void {
    const notAuthorized = (why: string) => new SoapFault(400, 'ter:NotAuthorized', `Sender not Authorized (${why})`);
    if (token === null) throw notAuthorized('no UsernameToken');
    if (token.user !== this.#opts.user) throw notAuthorized('unknown user');
    const created = Date.parse(token.created);
    if (!Number.isFinite(created) || Math.abs(created - this.#now()) > this.#opts.clockWindowMs) {
      throw notAuthorized('Created outside the clock window');
    }
    if (this.#opts.rejectNonceReplay) {
      if (this.#nonces.has(token.nonce)) throw notAuthorized('nonce replayed');
      this.#nonces.add(token.nonce);
    }
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from(token.nonce, 'base64'), Buffer.from(token.created), Buffer.from(this.#opts.password)]))
      .digest('base64');
    if (expected !== token.digest) throw notAuthorized('bad digest');
  }

  #now(): number {
    return Date.now() + this.#opts.clockSkewMs;
  }

  #answer(service: FixtureCall['service'], action: string, body: string): string {
    const handler = ACTIONS[`${service}:${action}`];
    if (!handler || this.#opts.unsupported.includes(action)) throw notSupported();
    return handler.call(this, body);
  }

  #profile(body: string): FixtureProfile {
    const token = elementText(body, 'ProfileToken');
    const profile = this.#opts.profiles.find((p) => p.token === token);
    if (!profile) throw new SoapFault(400, 'ter:InvalidArgVal', 'No such profile');
    return profile;
  }

  // ---- device service ----------------------------------------------------

  getSystemDateAndTime(): string {
    const d = new Date(this.#now());
    return `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>
      <tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>
      <tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>
      <tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute><tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time>
      <tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year><tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>
    </tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`;
  }

  getCapabilities(): string {
    const b = this.#base();
    const ptz = this.#opts.ptz ? `<tt:PTZ><tt:XAddr>${b}/onvif/ptz_service</tt:XAddr></tt:PTZ>` : '';
    return `<tds:GetCapabilitiesResponse><tds:Capabilities>
      <tt:Device><tt:XAddr>${b}/onvif/device_service</tt:XAddr></tt:Device>
      <tt:Media><tt:XAddr>${b}/onvif/media_service</tt:XAddr>
        <tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities>
      </tt:Media>${ptz}
    </tds:Capabilities></tds:GetCapabilitiesResponse>`;
  }

  getServices(): string {
    const b = this.#base();
    const svc = (ns: string, path: string) =>
      `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${b}${path}</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>`;
    return `<tds:GetServicesResponse>${svc('http://www.onvif.org/ver10/device/wsdl', '/onvif/device_service')}${svc(
      'http://www.onvif.org/ver10/media/wsdl',
      '/onvif/media_service',
    )}${this.#opts.ptz ? svc('http://www.onvif.org/ver20/ptz/wsdl', '/onvif/ptz_service') : ''}</tds:GetServicesResponse>`;
  }

  getDeviceInformation(): string {
    const o = this.#opts;
    return `<tds:GetDeviceInformationResponse><tds:Manufacturer>${xml(o.manufacturer)}</tds:Manufacturer><tds:Model>${xml(o.model)}</tds:Model>
      <tds:FirmwareVersion>1.4.2</tds:FirmwareVersion><tds:SerialNumber>FX-0001</tds:SerialNumber><tds:HardwareId>soc-x1-rev2</tds:HardwareId>
    </tds:GetDeviceInformationResponse>`;
  }

  getHostname(): string {
    return '<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>fixture-cam</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>';
  }

  // ---- media service -----------------------------------------------------

  #profileXml(p: FixtureProfile, element: 'trt:Profiles' | 'trt:Profile'): string {
    const ptz = this.#opts.ptz
      ? `<tt:PTZConfiguration token="ptz0"><tt:Name>PTZ</tt:Name><tt:UseCount>2</tt:UseCount><tt:NodeToken>node0</tt:NodeToken>
          <tt:DefaultPTZTimeout>PT5S</tt:DefaultPTZTimeout>
          <tt:PanTiltLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace</tt:URI>
            <tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange><tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange></tt:Range></tt:PanTiltLimits>
          <tt:ZoomLimits><tt:Range><tt:URI>http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace</tt:URI>
            <tt:XRange><tt:Min>0</tt:Min><tt:Max>1</tt:Max></tt:XRange></tt:Range></tt:ZoomLimits></tt:PTZConfiguration>`
      : '';
    return `<${element} token="${xml(p.token)}" fixed="true"><tt:Name>${xml(p.name)}</tt:Name>
      <tt:VideoSourceConfiguration token="vsc0"><tt:Name>VideoSource</tt:Name><tt:UseCount>2</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken>
        <tt:Bounds x="0" y="0" width="1920" height="1080"></tt:Bounds></tt:VideoSourceConfiguration>
      <tt:VideoEncoderConfiguration token="vec-${xml(p.token)}"><tt:Name>Encoder ${xml(p.token)}</tt:Name><tt:UseCount>1</tt:UseCount>
        <tt:Encoding>${p.encoding}</tt:Encoding><tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>
        <tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl>
        <tt:H264><tt:GovLength>${p.fps * 2}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>
        <tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>${ptz}
    </${element}>`;
  }

  getProfiles(): string {
    return `<trt:GetProfilesResponse>${this.#opts.profiles.map((p) => this.#profileXml(p, 'trt:Profiles')).join('')}</trt:GetProfilesResponse>`;
  }

  getProfile(body: string): string {
    return `<trt:GetProfileResponse>${this.#profileXml(this.#profile(body), 'trt:Profile')}</trt:GetProfileResponse>`;
  }

  getStreamUri(body: string): string {
    // Like many cameras: the same RTSP URI whatever transport was asked for.
    const uri = this.#profile(body).streamUri;
    return `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>${xml(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>
      <tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`;
  }

  getSnapshotUri(body: string): string {
    this.#profile(body);
    return `<trt:GetSnapshotUriResponse><trt:MediaUri><tt:Uri>${xml(this.snapshotUri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>
      <tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetSnapshotUriResponse>`;
  }

  // ---- PTZ service -------------------------------------------------------

  continuousMove(body: string): string {
    const profile = this.#profile(body).token;
    const pt = elementAttributes(body, 'PanTilt');
    const zoom = elementAttributes(body, 'Zoom');
    this.#moving = true;
    this.ptzLog.push({
      action: 'ContinuousMove',
      profile,
      x: Number(pt.x ?? 0),
      y: Number(pt.y ?? 0),
      zoom: zoom.x === undefined ? null : Number(zoom.x),
      timeout: elementText(body, 'Timeout'),
    });
    return '<tptz:ContinuousMoveResponse></tptz:ContinuousMoveResponse>';
  }

  stopMove(body: string): string {
    const profile = this.#profile(body).token;
    this.#moving = false;
    this.ptzLog.push({ action: 'Stop', profile, panTilt: elementText(body, 'PanTilt') !== 'false', zoom: elementText(body, 'Zoom') !== 'false' });
    return '<tptz:StopResponse></tptz:StopResponse>';
  }

  getStatus(body: string): string {
    this.#profile(body);
    const state = this.#moving ? 'MOVING' : 'IDLE';
    return `<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position><tt:PanTilt x="0" y="0"></tt:PanTilt><tt:Zoom x="0"></tt:Zoom></tt:Position>
      <tt:MoveStatus><tt:PanTilt>${state}</tt:PanTilt><tt:Zoom>IDLE</tt:Zoom></tt:MoveStatus><tt:UtcTime>${new Date(this.#now()).toISOString()}</tt:UtcTime>
    </tptz:PTZStatus></tptz:GetStatusResponse>`;
  }

  getPresets(body: string): string {
    this.#profile(body);
    const presets = this.#opts.presets
      .map(
        (p) => `<tptz:Preset token="${xml(p.token)}"><tt:Name>${xml(p.name)}</tt:Name><tt:PTZPosition>
          <tt:PanTilt x="${p.x}" y="${p.y}"></tt:PanTilt><tt:Zoom x="${p.zoom}"></tt:Zoom></tt:PTZPosition></tptz:Preset>`,
      )
      .join('');
    return `<tptz:GetPresetsResponse>${presets}</tptz:GetPresetsResponse>`;
  }

  gotoPreset(body: string): string {
    const profile = this.#profile(body).token;
    const preset = elementText(body, 'PresetToken') ?? '';
    if (!this.#opts.presets.some((p) => p.token === preset)) throw new SoapFault(400, 'ter:InvalidArgVal', 'No such PTZ preset');
    this.ptzLog.push({ action: 'GotoPreset', profile, preset });
    return '<tptz:GotoPresetResponse></tptz:GotoPresetResponse>';
  }

  // ---- snapshot behind HTTP Digest (RFC 7616, MD5, qop=auth) --------------

  #snapshot(req: IncomingMessage, res: ServerResponse): void {
    const realm = 'fixture';
    const auth = parseDigest(req.headers.authorization ?? '');
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    let ok = false;
    if (auth && auth.username === this.#opts.user && this.#digestNonces.has(auth.nonce ?? '')) {
      const ha1 = md5(`${this.#opts.user}:${realm}:${this.#opts.password}`);
      const ha2 = md5(`GET:${auth.uri}`);
      ok = auth.response === md5(`${ha1}:${auth.nonce}:${auth.nc}:${auth.cnonce}:${auth.qop}:${ha2}`);
    }
    this.snapshotRequests.push({ authorized: ok });
    if (!ok) {
      const nonce = randomBytes(16).toString('hex');
      this.#digestNonces.add(nonce);
      // node-onvif's parser needs `Digest realm` first and splits on commas, so qop must be the single value "auth".
      res.setHeader('WWW-Authenticate', `Digest realm="${realm}", qop="auth", nonce="${nonce}", algorithm=MD5`);
      return reply(res, 401, 'text/plain', 'unauthorized', false);
    }
    reply(res, 200, 'image/jpeg', this.#opts.snapshot, false);
  }

  // ---- WS-Discovery --------------------------------------------------------

  async #startDiscovery(): Promise<void> {
    const udp = createSocket({ type: 'udp4', reuseAddr: true });
    udp.on('message', (msg, rinfo) => this.#onProbe(msg.toString('utf8'), rinfo.address, rinfo.port));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(3702, () => resolve());
    });
    udp.addMembership('239.255.255.250');
    this.#udp = udp;
  }

  #onProbe(message: string, address: string, port: number): void {
    if (!/Probe<|:Probe[\s>]/.test(message) || /ProbeMatches/.test(message)) return;
    // Answer probes for NetworkVideoTransmitter / Device, or untyped ones (WS-Discovery §5.2).
    const types = elementText(message, 'Types');
    if (types !== null && !/NetworkVideoTransmitter|Device\b/.test(types)) return;
    const relatesTo = elementText(message, 'MessageID') ?? '';
    const o = this.#opts;
    const scopes = [
      'onvif://www.onvif.org/type/video_encoder',
      'onvif://www.onvif.org/Profile/Streaming',
      `onvif://www.onvif.org/name/${o.name}`,
      `onvif://www.onvif.org/hardware/${o.hardware}`,
      'onvif://www.onvif.org/location/country/test',
    ].join(' ');
    const reply = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">
<s:Header><a:MessageID>uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${xml(relatesTo)}</a:RelatesTo>
<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>
<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>
<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:${this.#uuid}</a:Address></a:EndpointReference>
<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types><d:Scopes>${xml(scopes)}</d:Scopes>
<d:XAddrs>${xml(this.xaddr)}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;
    // Unicast back to the prober's socket (WS-Discovery §5.3), never to the group.
    this.#udp?.send(Buffer.from(reply), port, address);
  }
}

type Handler = (this: OnvifFixture, body: string) => string;

const ACTIONS: Record<string, Handler> = {
  'device:GetSystemDateAndTime': OnvifFixture.prototype.getSystemDateAndTime,
  'device:GetCapabilities': OnvifFixture.prototype.getCapabilities,
  'device:GetServices': OnvifFixture.prototype.getServices,
  'device:GetDeviceInformation': OnvifFixture.prototype.getDeviceInformation,
  'device:GetHostname': OnvifFixture.prototype.getHostname,
  'media:GetProfiles': OnvifFixture.prototype.getProfiles,
  'media:GetProfile': OnvifFixture.prototype.getProfile,
  'media:GetStreamUri': OnvifFixture.prototype.getStreamUri,
  'media:GetSnapshotUri': OnvifFixture.prototype.getSnapshotUri,
  'ptz:ContinuousMove': OnvifFixture.prototype.continuousMove,
  'ptz:Stop': OnvifFixture.prototype.stopMove,
  'ptz:GetStatus': OnvifFixture.prototype.getStatus,
  'ptz:GetPresets': OnvifFixture.prototype.getPresets,
  'ptz:GotoPreset': OnvifFixture.prototype.gotoPreset,
};

// ---- small pure helpers ------------------------------------------------------

function notSupported(): SoapFault {
  return new SoapFault(400, 'ter:ActionNotSupported', 'Optional Action Not Implemented');
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope ${NS}><s:Body>${body}</s:Body></s:Envelope>`;
}

function fault(f: SoapFault): string {
  return `<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>${f.subcode}</s:Value></s:Subcode></s:Code>
    <s:Reason><s:Text xml:lang="en">${xml(f.reason)}</s:Text></s:Reason></s:Fault>`;
}

/** libonvif reports "No XML reply" on chunked replies, so SOAP answers carry Content-Length. */
function reply(res: ServerResponse, status: number, type: string, body: string | Buffer, chunked: boolean): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  if (chunked) {
    res.write(buf);
    res.end();
    return;
  }
  res.setHeader('Content-Length', buf.length);
  res.end(buf);
}

function xml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Local name of the first element inside <Body>, whatever its prefix. */
export function bodyAction(soap: string): string | null {
  return /<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([\w.-]+)/.exec(soap)?.[1] ?? null;
}

/** Text of the first element with this local name, or null. */
function elementText(soap: string, name: string): string | null {
  const m = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${name}>`).exec(soap);
  return m ? m[1]!.trim() : null;
}

function elementAttributes(soap: string, name: string): Record<string, string> {
  const m = new RegExp(`<(?:[\\w.-]+:)?${name}\\b([^>]*?)/?>`).exec(soap);
  const out: Record<string, string> = {};
  for (const a of (m?.[1] ?? '').matchAll(/([\w:.-]+)="([^"]*)"/g)) out[a[1]!] = a[2]!;
  return out;
}

interface UsernameToken {
  user: string;
  digest: string;
  nonce: string;
  created: string;
}

function usernameToken(soap: string): UsernameToken | null {
  const user = elementText(soap, 'Username');
  if (user === null) return null;
  return {
    user,
    digest: elementText(soap, 'Password') ?? '',
    nonce: elementText(soap, 'Nonce') ?? '',
    created: elementText(soap, 'Created') ?? '',
  };
}

function parseDigest(header: string): Record<string, string> | null {
  if (!header.startsWith('Digest ')) return null;
  const out: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) out[m[1]!] = m[2] ?? m[3] ?? '';
  return out;
}

/**
 * The network safety rule, enforced: join a multicast group only from a
 * namespace made with `ip netns add` (its inode is under /run/netns) that has
 * no default route, so nothing can leave the machine. (/proc/1/ns is not
 * readable in every container, so "not PID 1's namespace" cannot be asked.)
 */
function assertNotRootNamespace(): void {
  const self = statSync('/proc/self/ns/net').ino;
  let named = false;
  try {
    named = readdirSync('/run/netns').some((n) => statSync(`/run/netns/${n}`).ino === self);
  } catch {
    named = false;
  }
  const defaultRoute = readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .slice(1)
    .some((line) => line.split('\t')[1] === '00000000');
  if (!named || defaultRoute) {
    throw new Error('onvif fixture: discovery only inside a test network namespace without a default route (ip netns exec …)');
  }
}
