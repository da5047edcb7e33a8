import { gzipSync } from 'node:zlib';
import type { Clock } from '../../core/clock.js';
import type { OpHandler, OpOutcome } from '../ops.js';

/** Bytes of gzip per MQTT chunk event: base64 grows it by 4/3, staying well under the 128 KB payload limit. */
export const LOG_CHUNK_BYTES = 64 * 1024;
const PUT_TIMEOUT_MS = 30_000;
const PUT_ATTEMPTS = 3;

export interface LogsUploadDeps {
  /** The redacted in-memory log ring, oldest first. */
  lines(): string[];
  /** The local API's audit trail (redacted JSON lines starting `{"audit":1`), sent ahead of the log lines. */
  auditLines?(): Promise<string[]>;
  /** Queue one chunk as a QoS 1 event (durable outbox). */
  publishChunk(data: Record<string, unknown>): Promise<boolean>;
  /** HTTPS PUT; injectable so tests can point it at a local server. */
  put?(url: string, body: Buffer, signal: AbortSignal): Promise<{ status: number }>;
  clock: Clock;
}

async function defaultPut(url: string, body: Buffer, signal: AbortSignal): Promise<{ status: number }> {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/gzip' }, signal });
  await res.arrayBuffer().catch(() => undefined);
  return { status: res.status };
}

/**
 * `logs.upload`: the recent log lines (already redacted and masked by the
 * log sink) gzipped, PUT to the presigned HTTPS URL of the request, or —
 * without a URL — sent as numbered chunk events through the outbox.
 */
export function logsUploadHandler(deps: LogsUploadDeps): OpHandler {
  return async (args, ctx): Promise<OpOutcome> => {
    const all = deps.lines();
    const max = typeof args.maxLines === 'number' ? args.maxLines : all.length;
    // The audit trail goes with every upload, whole: it is what the cloud keeps once unbind erases it here.
    const audit = (await deps.auditLines?.().catch(() => [])) ?? [];
    const lines = [...audit, ...all.slice(Math.max(0, all.length - max))];
    const body = gzipSync(Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8'));
    const url = typeof args.url === 'string' ? args.url : null;
    if (url) {
      // The schema demands https://; check again here, this is a privacy promise.
      if (!url.startsWith('https://')) return { ok: false, error: { code: 'invalid_args', message: 'logs can only be uploaded over HTTPS' } };
      const put = deps.put ?? defaultPut;
      let last = '';
      for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
        const abort = new AbortController();
        const timer = deps.clock.setTimeout(() => abort.abort(), PUT_TIMEOUT_MS);
        try {
          const { status } = await put(url, body, abort.signal);
          if (status >= 200 && status < 300) return { ok: true, data: { delivery: 'https', lines: lines.length, bytes: body.length, attempts: attempt } };
          last = `HTTP ${status}`;
          // A 4xx is the URL's fault (expired signature): retrying cannot help.
          if (status >= 400 && status < 500) break;
        } catch (err) {
          last = (err as Error).name === 'AbortError' ? 'timed out' : ((err as NodeJS.ErrnoException).code ?? 'network error');
        } finally {
          timer.cancel();
        }
        if (attempt < PUT_ATTEMPTS) await new Promise<void>((r) => deps.clock.setTimeout(r, 1000 * 2 ** (attempt - 1)));
      }
      return { ok: false, error: { code: 'upload_failed', message: `log upload failed: ${last}` } };
    }
    const total = Math.max(1, Math.ceil(body.length / LOG_CHUNK_BYTES));
    for (let index = 0; index < total; index++) {
      const chunk = body.subarray(index * LOG_CHUNK_BYTES, (index + 1) * LOG_CHUNK_BYTES);
      const queued = await deps.publishChunk({ transaction: ctx.transaction, index, total, encoding: 'gzip+base64', content: chunk.toString('base64') });
      if (!queued) return { ok: false, error: { code: 'outbox_full', message: `log chunk ${index + 1}/${total} could not be queued` } };
    }
    return { ok: true, data: { delivery: 'mqtt', lines: lines.length, bytes: body.length, chunks: total } };
  };
}
