import { credentialSecrets } from '../log/url-mask.js';
import { getPath } from './paths.js';
import { settings } from './schema.js';

/**
 * The secret strings in a configuration object: whole values of sensitive
 * keys, or only the credentials of a URL-valued one. They go into the log
 * sink's SecretRegistry before anything can log them.
 */
export function secretValues(values: unknown): string[] {
  const out: string[] = [];
  for (const [path, setting] of settings()) {
    if (!setting.sensitive) continue;
    const value = getPath(values, path);
    if (typeof value !== 'string' || value === '') continue;
    if (setting.mask === 'url-credentials') out.push(...credentialSecrets(value));
    // Passwords also travel percent-encoded inside URLs (an ONVIF stream URI).
    else out.push(value, encodeURIComponent(value));
  }
  return out;
}
