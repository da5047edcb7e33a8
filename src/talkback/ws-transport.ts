import WebSocket from 'ws';
import type { Clock, Timer } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import { TransportEvents } from './transport-events.js';
import type { TalkTransport, TransportCloseReason, TransportKind } from './transport.js';

/**
 * An open `ws` WebSocket as a TalkTransport: the part the relay client
 * (relay-transport.ts) and the local API endpoint (local-ws-transport.ts)
 * share, so both follow the same rules.
 *
 * - Binary messages only. A text message is a protocol error (RFC 6455
 *   §7.4.1: 1003 "cannot accept this data type"): we close with 1003 and
 *   report `transport_lost` with detail `text_message`. Decision: not
 *   `remote_closed`, because the far end did not end the talk cleanly, and
 *   not silently ignored, because a peer that sends text speaks another
 *   protocol and every later frame would be garbage too.
 * - Keep-alive: a ping every `pingIntervalMs`; no pong between two pings →
 *   terminate, `transport_lost` (detail `pong_timeout`). So a dead peer is
 *   noticed within two intervals, long before TCP would.
 * - Back-pressure: send() drops (returns false) while more than
 *   `maxBufferedBytes` wait in the socket: audio is real-time, a late frame
 *   is worth nothing.
 * - Close reasons: our close() → `closed` (code 1000); a close frame from
 *   the far end → `remote_closed`; anything else (reset, TLS error, missing
 *   close frame = 1006, oversized message = 1009) → `transport_lost`.
 * - Frames that arrive before the session called onFrame() are held (at
 *   most 16, transport-events.ts) and delivered to the first listener: the first frame
 *   is often the one that says what the talk is.
 */

export const WS_TALK_LIMITS = {
  /** Largest message accepted; a wire frame is ≤ 1512 bytes, so this is headroom, not a target. Over it → close 1009. */
  maxPayloadBytes: 4096,
  /** Socket backlog above which send() drops: ~20 frames, ≈ 0.4–1 s of audio. */
  maxBufferedBytes: 32 * 1024,
  pingIntervalMs: 10_000,
  /** How long close() waits for the far end's close frame before cutting the socket. */
  closeTimeoutMs: 2_000,
} as const;


export interface WsTransportOptions {
  kind: TransportKind;
  clock: Clock;
  logger: Logger;
  /** Default WS_TALK_LIMITS.pingIntervalMs. */
  pingIntervalMs?: number;
  /** Default WS_TALK_LIMITS.maxBufferedBytes. */
  maxBufferedBytes?: number;
}

/** Wraps an OPEN socket; the transport owns it from now on (listeners, timers, close). */
export function wrapWebSocket(ws: WebSocket, opts: WsTransportOptions): TalkTransport {
  return new WsTalkTransport(ws, opts);
}

class WsTalkTransport implements TalkTransport {
  readonly kind: TransportKind;
  readonly #ws: WebSocket;
  readonly #opts: WsTransportOptions;
  readonly #events: TransportEvents;
  #pingTimer: Timer | null = null;
  #killTimer: Timer | null = null;
  #awaitingPong = false;
  /** Set when we decided why it ends (our close, text message, missed pong); wins over what the socket says. */
  #ending: { reason: TransportCloseReason; detail?: string } | null = null;
  #error: string | null = null;
  readonly #done: Promise<void>;
  #resolveDone!: () => void;
  #dropped = 0;

  constructor(ws: WebSocket, opts: WsTransportOptions) {
    this.kind = opts.kind;
    this.#ws = ws;
    this.#opts = opts;
    this.#events = new TransportEvents(opts.logger);
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    ws.on('pong', () => (this.#awaitingPong = false));
    ws.on('error', (err: Error & { code?: string }) => {
      this.#error ??= err.code ?? 'socket_error';
    });
    ws.on('close', (code) => this.#onSocketClose(code));
    if (ws.readyState !== WebSocket.OPEN) {
      // Already gone between accept and wrap: report it like any other loss.
      this.#ending = { reason: 'transport_lost', detail: 'not_open' };
      queueMicrotask(() => this.#onSocketClose(1006));
      return;
    }
    const every = opts.pingIntervalMs ?? WS_TALK_LIMITS.pingIntervalMs;
    this.#pingTimer = opts.clock.setInterval(() => this.#ping(), every);
  }

  onFrame(listener: (bytes: Uint8Array) => void): void {
    this.#events.onFrame(listener);
  }

  onClose(listener: (reason: TransportCloseReason, detail?: string) => void): void {
    this.#events.onClose(listener);
  }

  send(bytes: Uint8Array): boolean {
    const ws = this.#ws;
    if (this.#ending || ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > (this.#opts.maxBufferedBytes ?? WS_TALK_LIMITS.maxBufferedBytes)) {
      if (this.#dropped++ === 0) this.#opts.logger.debug({ bufferedBytes: ws.bufferedAmount }, 'talkback: link backed up, dropping frames');
      return false;
    }
    ws.send(bytes, { binary: true });
    return true;
  }

  close(): Promise<void> {
    this.#end({ reason: 'closed' }, 1000, '');
    return this.#done;
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.#ending) return;
    if (!isBinary) {
      this.#opts.logger.warn('talkback: text message on a binary-only link; closing');
      this.#end({ reason: 'transport_lost', detail: 'text_message' }, 1003, 'binary frames only');
      return;
    }
    // binaryType nodebuffer: one Buffer (fragments are joined by ws).
    this.#events.frame(data as Buffer);
  }

  #ping(): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return;
    if (this.#awaitingPong) {
      this.#opts.logger.info('talkback: no pong from the far end; dropping the link');
      this.#ending ??= { reason: 'transport_lost', detail: 'pong_timeout' };
      this.#ws.terminate();
      return;
    }
    this.#awaitingPong = true;
    this.#ws.ping();
  }

  /** Start a close handshake for `why`; cut the socket if the far end does not answer in time. */
  #end(why: { reason: TransportCloseReason; detail?: string }, code: number, text: string): void {
    if (this.#events.closed || this.#ending) return;
    this.#ending = why;
    this.#pingTimer?.cancel();
    const ws = this.#ws;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      ws.close(code, text);
      this.#killTimer = this.#opts.clock.setTimeout(() => ws.terminate(), WS_TALK_LIMITS.closeTimeoutMs);
    }
  }

  #onSocketClose(code: number): void {
    if (this.#events.closed) return;
    this.#pingTimer?.cancel();
    this.#killTimer?.cancel();
    let outcome: { reason: TransportCloseReason; detail?: string };
    if (this.#ending) outcome = this.#ending;
    else if (this.#error) outcome = { reason: 'transport_lost', detail: this.#error };
    else if (code === 1006) outcome = { reason: 'transport_lost', detail: 'no_close_frame' };
    else outcome = { reason: 'remote_closed', detail: String(code) };
    if (this.#dropped) this.#opts.logger.debug({ dropped: this.#dropped }, 'talkback: frames dropped while backed up');
    this.#opts.logger.info({ reason: outcome.reason, detail: outcome.detail, code }, 'talkback: link closed');
    this.#events.close(outcome);
    this.#resolveDone();
  }
}
