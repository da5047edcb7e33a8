/**
 * PUT one image to a presigned HTTPS URL: the adapter for
 * `alarm.delivery = https`. Only `https:` is accepted (the product promises
 * encryption in transit). The URL's query string is a credential (the
 * signature): it is never logged or put into an error message — errors name
 * the host only.
 */
import { request } from 'node:https';

export type UploadErrorCode = 'upload_invalid_url' | 'upload_http_error' | 'upload_network_error' | 'upload_timeout';
export type UploadResult = { ok: true; status: number } | { ok: false; code: UploadErrorCode; message: string; status?: number };

export interface HttpsUploadOptions {
  timeoutMs: number;
  /** Extra trusted CAs (PEM); undefined = Node's bundled roots. */
  ca?: Buffer;
  headers?: Record<string, string>;
}

export function putImage(url: string, body: Buffer, opts: HttpsUploadOptions): Promise<UploadResult> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, code: 'upload_invalid_url', message: 'upload URL is not a URL' });
  }
  if (u.protocol !== 'https:') return Promise.resolve({ ok: false, code: 'upload_invalid_url', message: 'upload URL must be https' });
  const host = u.host;
  return new Promise((resolve) => {
    let done = false;
    const settle = (r: UploadResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      u,
      {
        method: 'PUT',
        headers: { ...opts.headers, 'content-type': 'image/jpeg', 'content-length': String(body.byteLength) },
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) settle({ ok: true, status });
          else settle({ ok: false, code: 'upload_http_error', status, message: `upload to ${host} answered HTTP ${status}` });
        });
        res.on('error', () => settle({ ok: false, code: 'upload_network_error', message: `upload to ${host}: response aborted` }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      settle({ ok: false, code: 'upload_timeout', message: `upload to ${host} took longer than ${opts.timeoutMs} ms` });
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, code: 'upload_network_error', message: `upload to ${host} failed: ${err.code ?? 'error'}` }));
    req.end(body);
  });
}
