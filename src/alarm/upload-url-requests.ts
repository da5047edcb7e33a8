/**
 * The device side of "give me a presigned URL": the device publishes
 * `event/upload-url` {alarmId, requestId, …} and the cloud answers with the
 * request op `snapshot.upload-url` {alarmId, requestId, url, thumbnailUrl?}
 * (docs/protocol.md). This table pairs answers with waiting uploads by
 * requestId; an answer nobody waits for (late, duplicate, forged) is
 * refused with a code the cloud can log. No I/O of its own.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';

export interface UploadTarget {
  url: string;
  thumbnailUrl?: string;
  headers?: Record<string, string>;
}

export type UploadUrlResult = { ok: true; target: UploadTarget } | { ok: false; code: 'upload_url_timeout' | 'upload_url_unsent' };

interface Pending {
  alarmId: string;
  resolve: (r: UploadUrlResult) => void;
}

export class UploadUrlRequests {
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly clock: Clock) {}

  /**
   * Publishes the request through `send` and waits for the answer. `send`
   * returns false when the request could not be queued.
   */
  async request(alarmId: string, send: (requestId: string) => Promise<boolean>, timeoutMs: number): Promise<UploadUrlResult> {
    const requestId = randomBytes(8).toString('hex');
    const answer = new Promise<UploadUrlResult>((resolve) => {
      this.#pending.set(requestId, { alarmId, resolve });
    });
    const timer = this.clock.setTimeout(() => this.#settle(requestId, { ok: false, code: 'upload_url_timeout' }), timeoutMs);
    if (!(await send(requestId).catch(() => false))) this.#settle(requestId, { ok: false, code: 'upload_url_unsent' });
    const r = await answer;
    timer.cancel();
    return r;
  }

  /** The cloud's answer; returns an error code when no upload waits for it. */
  answer(a: { alarmId: string; requestId: string } & UploadTarget): null | 'upload_url_unexpected' {
    const p = this.#pending.get(a.requestId);
    if (!p || p.alarmId !== a.alarmId) return 'upload_url_unexpected';
    this.#settle(a.requestId, {
      ok: true,
      target: { url: a.url, ...(a.thumbnailUrl ? { thumbnailUrl: a.thumbnailUrl } : {}), ...(a.headers ? { headers: a.headers } : {}) },
    });
    return null;
  }

  /** Fails every waiting request (stop, link lost). */
  cancelAll(): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, { ok: false, code: 'upload_url_timeout' });
  }

  #settle(requestId: string, r: UploadUrlResult): void {
    const p = this.#pending.get(requestId);
    if (!p) return;
    this.#pending.delete(requestId);
    p.resolve(r);
  }
}
