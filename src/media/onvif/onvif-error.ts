/**
 * Failure classes of the ONVIF adapter. The code is what the CLI, API or an
 * LED pattern maps; the message is for humans, built from masked text only
 * (node-onvif's own messages never carry the password, but a caller's xaddr
 * may carry userinfo, so everything passes through maskUrlCredentials).
 */
import { maskUrlCredentials } from '../../log/url-mask.js';

export type OnvifErrorCode =
  /** Connection refused, host unreachable, or no answer within the timeout. */
  | 'onvif_unreachable'
  /** NotAuthorized fault, bad WS-UsernameToken digest, or HTTP 401. */
  | 'onvif_unauthorized'
  /** The camera answered ActionNotSupported (or "not implemented") for a call we need. */
  | 'onvif_unsupported'
  /** Something answered, but not with the ONVIF reply we need (HTML, no profiles, no RTSP URI…). */
  | 'onvif_invalid_response'
  /** PTZ asked of a camera without a PTZ service. */
  | 'ptz_unsupported'
  /** A caller's value we refuse before talking to the camera (bad xaddr, speed out of range…). */
  | 'onvif_invalid_argument'
  /** WS-Discovery could not run (socket error). Finding nothing is not an error. */
  | 'onvif_discovery_failed';

export class OnvifError extends Error {
  override readonly name = 'OnvifError';

  constructor(
    readonly code: OnvifErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/*
 * node-onvif reports everything as a plain Error whose message is built from
 * the HTTP status and the SOAP fault's Reason text (the fault subcode is not
 * kept), prefixed by "Failed to initialize the device: Error: " during
 * init(). So the class is read from the text. Reason texts differ between
 * vendors; these are the ones seen from Hikvision/Dahua/Axis-style firmware
 * and from our fixture.
 */
const UNREACHABLE = /Network Error|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|socket hang up|EAI_AGAIN|ENOTFOUND/i;
const UNAUTHORIZED = /not ?authori[sz]ed|unauthori[sz]ed|\b401\b|authority failure|bad digest|sender not authorized|invalid ?security|FailedAuthentication|could not be authenticated/i;
const BAD_ARGUMENT = /InvalidArgVal|NoToken|NoProfile|no such (ptz )?(preset|profile|token)|token does not exist/i;
const UNSUPPORTED = /ActionNotSupported|action not (supported|implemented)|not implemented|\b501\b/i;

/** Maps a node-onvif failure to an OnvifError; `secrets` are hidden from the message as well. */
export function classifyOnvifFailure(err: unknown, context: string, secrets: readonly string[] = []): OnvifError {
  if (err instanceof OnvifError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const text = maskUrlCredentials(raw.replace(/^Failed to initialize the device: (Error: )?/, ''), secrets);
  const code: OnvifErrorCode = UNREACHABLE.test(raw)
    ? 'onvif_unreachable'
    : UNAUTHORIZED.test(raw)
      ? 'onvif_unauthorized'
      : UNSUPPORTED.test(raw)
        ? 'onvif_unsupported'
        : BAD_ARGUMENT.test(raw)
          ? 'onvif_invalid_argument'
          : 'onvif_invalid_response';
  return new OnvifError(code, `${context}: ${text}`);
}
