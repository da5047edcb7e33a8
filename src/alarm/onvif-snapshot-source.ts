/**
 * The streamer's ONVIF snapshot URI as an event-snapshot source. Its one
 * extra duty over a plain GET: an event snapshot must never be a stale
 * cached image (Scrypted's snapshot plugin learned this: cameras and proxies
 * happily serve the same JPEG for seconds; anchors.md §3). So:
 *
 * - ask for a fresh one: `Cache-Control: no-cache`, `Pragma: no-cache`;
 * - refuse a response that says it is older than the trigger: `Age` > 0, or
 *   `Last-Modified` / `Date` before the trigger (HTTP dates have 1-s
 *   resolution, hence `clockToleranceMs`);
 * - refuse bytes we have returned before (a SHA-256 of the last few images),
 *   whatever the headers claim.
 */
import { createHash } from 'node:crypto';
import type { DigestHttpClient } from './digest-http-client.js';
import { inspectImage } from './image-inspect.js';
import { fail, ok, type Result } from './snapshot-error.js';

export interface SnapshotFetcher {
  /** A fresh JPEG/PNG taken no earlier than `triggerAt` (wall-clock ms). */
  fetch(triggerAt: number, timeoutMs: number): Promise<Result<Buffer>>;
  /** False while there is nothing to fetch from (no snapshot URI known yet); the capture then skips the step. */
  available?(): boolean;
}

export interface OnvifSnapshotSourceOptions {
  client: DigestHttpClient;
  /** From GetSnapshotUri, without credentials. */
  uri: () => string;
  maxBodyBytes?: number;
  /** Allowed difference between the streamer's clock and ours (same SoC: only the 1-s header resolution). */
  clockToleranceMs?: number;
  /** How many previous images' hashes to remember. */
  rememberHashes?: number;
}

export class OnvifSnapshotSource implements SnapshotFetcher {
  readonly #recent: string[] = [];

  constructor(private readonly opts: OnvifSnapshotSourceOptions) {}

  async fetch(triggerAt: number, timeoutMs: number): Promise<Result<Buffer>> {
    const res = await this.opts.client.get(this.opts.uri(), {
      timeoutMs,
      maxBodyBytes: this.opts.maxBodyBytes ?? 8 * 1024 * 1024,
      headers: { 'cache-control': 'no-cache', pragma: 'no-cache', accept: 'image/jpeg, image/png' },
    });
    if (!res.ok) return res;
    const { headers, body } = res.value;
    if (inspectImage(body) === null) {
      return fail('snapshot_invalid_image', `snapshot URI returned ${body.length} bytes that are not a complete JPEG or PNG`);
    }
    const stale = staleness(headers, triggerAt, this.opts.clockToleranceMs ?? 1000);
    if (stale !== null) return fail('snapshot_stale', stale);
    const hash = createHash('sha256').update(body).digest('hex');
    if (this.#recent.includes(hash)) return fail('snapshot_stale', 'snapshot URI returned the same image bytes as an earlier snapshot');
    this.#recent.push(hash);
    if (this.#recent.length > (this.opts.rememberHashes ?? 8)) this.#recent.shift();
    return ok(body);
  }
}

/** Why the headers say the image predates the trigger, or null if they do not. Pure. */
export function staleness(headers: Record<string, string | string[] | undefined>, triggerAt: number, toleranceMs: number): string | null {
  const age = Number(headers.age);
  if (Number.isFinite(age) && age > 0) return `response came from a cache (Age: ${age})`;
  for (const name of ['last-modified', 'date'] as const) {
    const raw = headers[name];
    if (typeof raw !== 'string') continue;
    const t = Date.parse(raw);
    if (Number.isNaN(t)) continue;
    if (t + toleranceMs < triggerAt) return `${name} ${raw} is before the trigger`;
  }
  return null;
}
