import type { ServerResponse } from 'node:http';

/**
 * Server-sent event streams (`GET /v1/events`, `GET /v1/logs?follow=1`),
 * bounded in number: each holds a socket, a subscription and a timer on a
 * device with little memory, and the console needs one or two. All are
 * ended when the server closes, so close() does not wait on them.
 */
export interface EventStream {
  /** `event:` name and one data payload; newlines in data are split into data lines as SSE requires. */
  send(event: string, data: string): void;
  readonly closed: boolean;
}

/** A comment line every 15 s keeps proxies and the socket timeout from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

export class EventStreams {
  private readonly open = new Set<{ res: ServerResponse; end: () => void }>();

  constructor(private readonly max: number, private readonly heartbeatMs = HEARTBEAT_MS) {}

  get count(): number {
    return this.open.size;
  }

  /**
   * Takes over `res` (already detached from the framework) and writes the
   * SSE head; `subscribe` gets the stream and returns its unsubscribe.
   * Returns false, writing nothing, when all slots are in use.
   */
  start(res: ServerResponse, subscribe: (stream: EventStream) => () => void): boolean {
    if (this.open.size >= this.max) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(': stream open\n\n');
    let closed = false;
    const stream: EventStream = {
      send(event, data) {
        if (closed) return;
        const lines = data.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join('\n');
        res.write(`event: ${event}\n${lines}\n\n`);
      },
      get closed() {
        return closed;
      },
    };
    const heartbeat = setInterval(() => res.write(': ping\n\n'), this.heartbeatMs);
    heartbeat.unref();
    let unsubscribe: () => void = () => undefined;
    const entry = {
      res,
      end: () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        this.open.delete(entry);
        try {
          unsubscribe();
        } finally {
          if (!res.writableEnded) res.end();
        }
      },
    };
    this.open.add(entry);
    res.on('close', entry.end);
    res.on('error', entry.end);
    try {
      unsubscribe = subscribe(stream);
    } catch (err) {
      entry.end();
      throw err;
    }
    return true;
  }

  /** Ends every stream (server shutdown). */
  closeAll(): void {
    for (const entry of [...this.open]) entry.end();
  }
}
