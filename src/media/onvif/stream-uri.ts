/**
 * Credentials in stream URIs. ONVIF's GetStreamUri returns URIs without
 * credentials (test-rigs.md §1), while ffmpeg, like most RTSP clients, takes
 * them from the URI's userinfo and percent-decodes user and password before
 * answering the Basic or Digest challenge (libavformat/httpauth.c). So the
 * agent adds them itself, percent-encoded: a password with `@`, `:`, `/` or
 * `%` would otherwise be split at the wrong place.
 */
import { maskUrlCredentials } from '../../log/url-mask.js';

export interface Credentials {
  user: string;
  password: string;
}

/**
 * `uri` with `user:password@` as its userinfo (replacing any it had).
 * Unchanged when `user` is empty: an anonymous camera gets no userinfo.
 * encodeURIComponent rather than WHATWG URL's userinfo set, which leaves
 * `%` (and `&`, `=`, `+`…) unencoded: "50%off" would reach the camera as
 * "50\u00f0f".
 */
export function withCredentials(uri: string, creds: Credentials): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(uri);
  if (!m) return uri;
  const [, scheme, authority = '', rest = ''] = m;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  if (creds.user === '') return `${scheme}${host}${rest}`;
  const userinfo = `${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}`;
  return `${scheme}${userinfo}@${host}${rest}`;
}

/** The literal strings that must never appear in output for these credentials. */
export function credentialStrings(creds: Credentials): string[] {
  if (creds.password === '') return [];
  return [...new Set([creds.password, encodeURIComponent(creds.password)])];
}

/** For output: the URI with its userinfo replaced by `***`. */
export function maskedUri(uri: string, creds?: Credentials): string {
  return maskUrlCredentials(uri, creds ? credentialStrings(creds) : []);
}
