/**
 * Hides credentials embedded in URLs (`rtsp://user:pass@host/…`) inside any
 * text before it reaches a log line, an error message or a health event.
 * Camera RTSP URLs carry the device password, and ffmpeg echoes the input URL
 * verbatim in its banner and in most error lines.
 */

/** What replaces a secret (the whole userinfo: the user name is half of it). */
export const MASK = '***';

/**
 * `scheme://` followed by everything up to the LAST `@` before whitespace,
 * a quote or an angle bracket.
 *
 * Why the last `@` of the token rather than of the authority: a password with
 * an unencoded `/`, `?`, `#` or `@` (common when people type it into a config
 * file) would otherwise be split and partly printed. Over-masking a rare URL
 * whose path contains `@` is the accepted cost. Quotes end a token because
 * ffmpeg wraps URLs in them (`Error opening input file 'rtsp://…'.`).
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s'"<>]*@/gi;

/**
 * Returns `text` with the userinfo of every URL in it replaced by `***`.
 *
 * `secrets` are literal strings to hide as well, wherever they appear; pass
 * `credentialSecrets(configuredUrl)` so that a password the regex cannot
 * delimit (one with a raw space, say) is still hidden. Longer secrets are
 * replaced first so that a secret containing another is hidden whole.
 */
export function maskUrlCredentials(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const ordered = secrets.filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  for (const secret of ordered) out = out.split(secret).join(MASK);
  return out.replace(URL_USERINFO, (_match, scheme: string) => `${scheme}${MASK}@`);
}

/**
 * The literal secrets in one configured URL: its userinfo, its password, and
 * the percent-decoded password (ffmpeg may print either form). Empty when the
 * URL carries no credentials.
 */
export function credentialSecrets(url: string): string[] {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return [];
  const rest = url.slice(schemeEnd + 3);
  const at = rest.lastIndexOf('@');
  if (at < 0) return [];
  const userinfo = rest.slice(0, at);
  const secrets = new Set<string>([userinfo]);
  const colon = userinfo.indexOf(':');
  if (colon >= 0) {
    const password = userinfo.slice(colon + 1);
    secrets.add(password);
    secrets.add(safeDecode(password));
  }
  secrets.delete('');
  return [...secrets];
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // A stray `%` is not an encoding error worth failing over: keep it raw.
    return s;
  }
}
