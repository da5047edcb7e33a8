/**
 * The stand-in for the cloud's talkback relay: a WebSocket server over TLS
 * (the test PKI's server certificate for 127.0.0.1) that accepts the
 * camera's connection when it presents the session token, records every
 * binary frame the camera sends and lets the test send frames to it.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { WatchedList } from './watched-list.js';

export interface RelayPeer {
  /** The camera's socket. */
  socket: WebSocket;
  /** Frames from the camera, with their arrival time (Date.now()). */
  frames: WatchedList<{ bytes: Buffer; at: number }>;
  closed: Promise<{ code: number; reason: string }>;
  send(bytes: Uint8Array): void;
}

export interface TalkRelay {
  url: string;
  /** The token the relay accepts; any other gets 401. */
  token: string;
  peers: WatchedList<RelayPeer>;
  /** Waits for the camera to connect (the n-th connection, 1-based). */
  peer(n?: number, timeoutMs?: number): Promise<RelayPeer>;
  close(): Promise<void>;
}

export async function startTalkRelay(t: Test, tls: { cert: Buffer; key: Buffer }, token = 'relay-session-token-0123456789'): Promise<TalkRelay> {
  const server: Server = createServer({ cert: tls.cert, key: tls.key });
  const wss = new WebSocketServer({ noServer: true });
  const peers = new WatchedList<RelayPeer>();
  server.on('upgrade', (req, socket, head) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const frames = new WatchedList<{ bytes: Buffer; at: number }>();
      ws.on('message', (data, isBinary) => {
        if (isBinary) frames.push({ bytes: Buffer.from(data as Buffer), at: Date.now() });
      });
      const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
      peers.push({ socket: ws, frames, closed, send: (bytes) => ws.send(bytes, { binary: true }) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = async (): Promise<void> => {
    for (const p of peers.items) p.socket.terminate();
    wss.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(close);
  return {
    url: `wss://127.0.0.1:${port}/talk`,
    token,
    peers,
    async peer(n = 1, timeoutMs = 15_000) {
      const found = await peers.waitFor(() => true, n, timeoutMs, (k) => `relay: ${k} connection(s), waited for ${n}`);
      const p = found[n - 1];
      if (!p) throw new Error(`relay: no connection #${n}`);
      return p;
    },
    close,
  };
}
